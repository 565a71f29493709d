"""The audit log viewer's filters and exports (services.audit_views)."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.models import AuditEvent, ConsentRecord, DonorProfile
from matchmaker.services import audit, audit_views
from matchmaker.services.audit_views import AuditFilters
from matchmaker.services.errors import DomainError


def _ids(filters: AuditFilters) -> list[int]:
    return [e.id for e in db.session.scalars(audit_views.events_query(filters))]


def _ev(session, *, action="reveal", user_id=None, actor="system", target_type="x",
        target_id=None, at=None, detail=None) -> AuditEvent:
    ev = AuditEvent(action=action, user_id=user_id, actor=actor, target_type=target_type,
                    target_id=target_id, detail=detail or {},
                    **({"at": at} if at else {}))
    session.add(ev)
    session.flush()
    return ev


def _targets(filters: AuditFilters) -> set[tuple[str, int]]:
    return {(e.target_type, e.target_id)
            for e in db.session.scalars(audit_views.events_query(filters))}


def test_person_filter_finds_her_person_row_and_her_profiles(app_ctx, make_applicant,
                                                             make_person):
    session = app_ctx
    her = make_applicant("沈小芳")
    donor = DonorProfile(person=her.person)
    session.add(donor)
    other = make_applicant("许美丽", mobile="13957005678")
    session.flush()
    audit.record("reveal", target_type="person", target_id=her.person_id, field="mobile")
    session.flush()
    consent = session.scalar(select(ConsentRecord).where(ConsentRecord.person_id
                                                         == her.person_id))
    found = _targets(AuditFilters(person_id=her.person_id))
    assert ("person", her.person_id) in found
    assert ("volunteer_profile", her.id) in found
    assert ("donor_profile", donor.id) in found
    assert ("consent_record", consent.id) in found
    assert ("person", other.person_id) not in found
    assert ("volunteer_profile", other.id) not in found
    assert all(t in {"person", "volunteer_profile", "donor_profile", "consent_record"}
               for t, _ in found)
    # The reveal is there as well as the row writes.
    actions = {e.action for e in session.scalars(
        audit_views.events_query(AuditFilters(person_id=her.person_id)))}
    assert actions == {"create", "reveal"}


def test_user_action_and_combined_filters(app_ctx):
    session = app_ctx
    a = _ev(session, action="reveal", user_id=900001, actor="alice", target_type="person",
            target_id=1)
    b = _ev(session, action="export", user_id=900001, actor="alice")
    c = _ev(session, action="reveal", user_id=900002, actor="bob", target_type="person",
            target_id=2)
    assert set(_ids(AuditFilters(user_id=900001))) == {a.id, b.id}
    reveal_ids = set(_ids(AuditFilters(action="reveal")))
    assert {a.id, c.id} <= reveal_ids and b.id not in reveal_ids
    assert _ids(AuditFilters(user_id=900001, action="reveal")) == [a.id]
    assert _ids(AuditFilters(user_id=900002, action="reveal", person_id=2)) == [c.id]
    assert _ids(AuditFilters(user_id=900001, person_id=2)) == []


def test_user_filter_resolves_a_username(app_ctx, make_user):
    user = make_user("admin", username="auditor1")
    ev = _ev(app_ctx, action="login", user_id=user.id, actor="auditor1")
    f, errors = audit_views.make_filters(user="auditor1")
    assert not errors and f.user_id == user.id
    assert ev.id in _ids(f)
    f, errors = audit_views.make_filters(user=str(user.id), user_digits=user.id)
    assert not errors and f.user_id == user.id


def test_period_is_inclusive_local_days(app_ctx):
    session = app_ctx
    # Asia/Shanghai is UTC+8.
    before = _ev(session, action="export", at=datetime(2026, 11, 28, 15, 59, tzinfo=UTC))
    first = _ev(session, action="export", at=datetime(2026, 11, 28, 16, 0, tzinfo=UTC))
    late = _ev(session, action="export", at=datetime(2026, 11, 29, 15, 30, tzinfo=UTC))
    after = _ev(session, action="export", at=datetime(2026, 11, 29, 16, 0, tzinfo=UTC))
    day = date(2026, 11, 29)
    assert set(_ids(AuditFilters(action="export", start=day, end=day))) == {first.id, late.id}
    assert set(_ids(AuditFilters(action="export", start=day))) == {first.id, late.id, after.id}
    assert set(_ids(AuditFilters(action="export", end=date(2026, 11, 28)))) >= {before.id}
    assert first.id not in _ids(AuditFilters(action="export", end=date(2026, 11, 28)))


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"start": "2026-13-01"}, "start"),
    ({"start": "yesterday"}, "start"),
    ({"end": "2026-2-30"}, "end"),
    ({"start": "2026-11-30", "end": "2026-11-29"}, "end"),
    ({"action": "hack"}, "action"),
    ({"user": "nobody-here"}, "user"),
])
def test_bad_filters_give_chinese_errors(app_ctx, kwargs, field):
    _, errors = audit_views.make_filters(**kwargs)
    assert field in errors.by_field
    assert any("\u4e00" <= ch <= "\u9fff" for ch in errors.by_field[field])


def test_detail_keys_never_show_values():
    shown = audit_views.detail_keys({"field": "mobile", "name": "沈小芳",
                                     "fields": ["mobile", "name"]})
    assert "沈小芳" not in shown and "field" in shown and "name" in shown
    assert "fields: mobile, name" in shown
    assert audit_views.detail_keys({"fields": ["13812345678"]}) == "fields"


def test_csv_export_matches_filter_is_formula_safe_and_audited(app_ctx):
    session = app_ctx
    a = _ev(session, action="reveal", user_id=900003, actor="=HYPERLINK(1)",
            target_type="person", target_id=5, detail={"field": "mobile"})
    _ev(session, action="reveal", user_id=900004, actor="bob")
    filters = AuditFilters(action="reveal", user="900003", user_id=900003)
    data = audit_views.build_csv(filters)
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0][0] == "编号"
    assert [r[0] for r in rows[1:]] == [str(a.id)]
    assert rows[1][3] == "'=HYPERLINK(1)" and rows[1][4] == "查看完整号码"
    assert rows[1][7] == "field" and "mobile" not in rows[1]
    session.flush()
    ev = session.scalar(select(AuditEvent).where(AuditEvent.target_type == "audit_event"))
    assert ev.action == "export"
    assert ev.detail["rows"] == 1 and ev.detail["format"] == "csv"
    assert ev.detail["filters"] == {"action": "reveal", "user": "900003"}


def test_xlsx_export_matches_filter(app_ctx):
    session = app_ctx
    ids = {_ev(session, action="match_run", user_id=900005, actor="+1").id for _ in range(3)}
    data = audit_views.build_xlsx(AuditFilters(action="match_run", user_id=900005))
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    body = list(ws.iter_rows(min_row=2, values_only=True))
    assert {r[0] for r in body} == ids
    assert all(r[3] == "'+1" for r in body)
    session.flush()
    ev = session.scalar(select(AuditEvent).where(AuditEvent.target_type == "audit_event"))
    assert ev.detail["rows"] == 3 and ev.detail["format"] == "xlsx"


def test_export_is_capped(app_ctx, monkeypatch):
    for _ in range(3):
        _ev(app_ctx, action="import")
    monkeypatch.setattr(audit_views, "MAX_EXPORT_ROWS", 2)
    with pytest.raises(DomainError, match="超过导出上限"):
        audit_views.build_csv(AuditFilters(action="import"))
    assert app_ctx.scalar(select(AuditEvent).where(AuditEvent.target_type
                                                   == "audit_event")) is None
