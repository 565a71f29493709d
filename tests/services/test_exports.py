from datetime import date
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from matchmaker.models import AuditEvent
from matchmaker.services import exports, funds, ledger
from tests.services.test_funds import fund_world  # noqa: F401  (fixture)


def test_ledger_export_has_numbers_masks_ids_and_is_audited(app_ctx, fund_world):  # noqa: F811
    admin, people = fund_world
    people[0].name = "=HYPERLINK(\"x\")"  # a name that would be a formula
    fund = funds.create_fund(user=admin, data=funds.FundInput(
        name="帮扶", year=2026, kind="material_aid", region_code="330481", budget="9000",
        rule="standard", standard="3000.50"))
    app = funds.submit_application(user=admin, fund=fund, data=funds.ApplicationInput(
        person_id=people[0].id, hardship=5))
    award = ledger.approve_award(user=admin, application=app)
    ledger.disburse(user=admin, award=award, amount_fen=100050, paid_on=date(2026, 11, 2),
                    idempotency_key="export-pay-01")
    data = exports.fund_ledger_xlsx(fund=fund, start=date(2026, 11, 1))
    wb = load_workbook(BytesIO(data))
    awards, pays, summary = wb.worksheets
    row = [c.value for c in awards[2]]
    assert row[1].startswith("'=")
    assert row[2].startswith("*" * 14) and people[0].id_tail in row[2]
    assert row[4] == 3000.5 and awards["E2"].number_format == "#,##0.00"
    assert [c.value for c in pays[2]][3] == 1000.5
    assert summary["B5"].value == 9000 - 3000.5
    event = app_ctx.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert event.target_id == fund.id and event.detail["what"] == "ledger"
