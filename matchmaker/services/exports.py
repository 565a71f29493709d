"""Spreadsheets for accountants. Every export is audited; amounts are numbers with two
decimals (not text), and no cell can start a formula."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.models import Award, Disbursement, Fund, Person
from matchmaker.services import audit
from matchmaker.services.money import to_yuan
from matchmaker.services.privacy import mask_id_tail

MONEY = "#,##0.00"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: object) -> object:
    """Text that a spreadsheet could take for a formula is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def fund_ledger_xlsx(*, fund: Fund, start: date | None = None, end: date | None = None) -> bytes:
    """Awards and disbursements of one fund (disbursements within [start, end])."""
    wb = Workbook()
    awards = wb.active
    awards.title = _("资助")
    awards.append([_("编号"), _("姓名"), _("身份证号"), _("地区"), _("资助金额"), _("已发放"),
                   _("状态"), _("批准时间")])
    rows = db.session.execute(select(Award, Person).join(Person, Person.id == Award.person_id)
                              .where(Award.fund_id == fund.id).order_by(Award.id))
    for award, person in rows:
        awards.append([award.id, safe_text(person.name), mask_id_tail(person.id_tail),
                       safe_text(person.region.full_name), float(to_yuan(award.amount_fen)),
                       float(to_yuan(award.paid_fen)),
                       _("已取消") if award.status == "cancelled" else _("有效"),
                       award.approved_at.replace(tzinfo=None) if award.approved_at else None])
    pays = wb.create_sheet(_("发放"))
    pays.append([_("编号"), _("资助编号"), _("姓名"), _("金额"), _("发放日期")])
    stmt = (select(Disbursement, Person).join(Award, Award.id == Disbursement.award_id)
            .join(Person, Person.id == Award.person_id)
            .where(Disbursement.fund_id == fund.id).order_by(Disbursement.paid_on,
                                                              Disbursement.id))
    if start:
        stmt = stmt.where(Disbursement.paid_on >= start)
    if end:
        stmt = stmt.where(Disbursement.paid_on <= end)
    for entry, person in db.session.execute(stmt):
        pays.append([entry.id, entry.award_id, safe_text(person.name),
                     float(to_yuan(entry.amount_fen)), entry.paid_on])
    for sheet, money_cols in ((awards, "EF"), (pays, "D")):
        for col in money_cols:
            for cell in sheet[col][1:]:
                cell.number_format = MONEY
    summary = wb.create_sheet(_("汇总"))
    summary.append([_("资金"), safe_text(fund.name)])
    summary.append([_("预算"), float(to_yuan(fund.budget_fen))])
    summary.append([_("已预留"), float(to_yuan(fund.reserved_fen))])
    summary.append([_("已发放"), float(to_yuan(fund.paid_fen))])
    summary.append([_("余额"), float(to_yuan(fund.budget_fen - fund.reserved_fen
                                            - fund.paid_fen))])
    for cell in summary["B"][1:]:
        cell.number_format = MONEY
    audit.record("export", target_type="fund", target_id=fund.id, what="ledger",
                 start=start.isoformat() if start else None,
                 end=end.isoformat() if end else None)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
