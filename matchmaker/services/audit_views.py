"""The audit log as admins read it: filters (action, user, person, period), the page's
query and its exports (.xlsx and .csv). Recording lives in ``services.audit``.

The log holds field names and identifiers only; even so, the viewer shows the *keys* of an
event's detail, never its values (apart from the changed-field names of a row update)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from io import BytesIO, StringIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select

from matchmaker.extensions import db
from matchmaker.models import (
    Application,
    AuditEvent,
    Award,
    ConsentRecord,
    Donation,
    DonorLetter,
    FollowUp,
    Pairing,
    Person,
    Pledge,
    ProgressNote,
    Proposal,
    ServiceRequest,
    Sponsorship,
    User,
)
from matchmaker.models.profiles import (
    DonorProfile,
    MenteeProfile,
    MentorProfile,
    SpringBudProfile,
    VolunteerProfile,
)
from matchmaker.models.volunteering import ActivitySignup, ServiceAssignment, ServiceHours
from matchmaker.services import audit
from matchmaker.services.clock import from_local, to_local
from matchmaker.services.errors import DomainError
from matchmaker.services.exports import safe_text

BATCH = 1000
MAX_EXPORT_ROWS = 200_000
# A changed-field name as the flush listener writes it (a column key).
_FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]{0,59}")


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    user: str = ""              # as typed: a username or a user id
    user_id: int | None = None  # what it resolved to
    person_id: int | None = None
    start: date | None = None   # local days, inclusive
    end: date | None = None

    def query_args(self) -> dict[str, str]:
        """The filters as the page's query arguments (for export links and pagers)."""
        args = {"action": self.action, "user": self.user,
                "person": str(self.person_id) if self.person_id else "",
                "start": self.start.isoformat() if self.start else "",
                "end": self.end.isoformat() if self.end else ""}
        return {k: v for k, v in args.items() if v}


@dataclass
class FilterErrors:
    by_field: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.by_field)


def parse_day(raw: str, *, field_name: str) -> date | None:
    """A date typed as YYYY-MM-DD (what <input type=date> sends), or None when empty."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise DomainError(_("日期格式应为 年-月-日，例如 2026-11-29"), field=field_name) from None


def make_filters(*, action: str = "", user: str = "", user_digits: int | None = None,
                 person_id: int | None = None, start: str = "", end: str = ""
                 ) -> tuple[AuditFilters, FilterErrors]:
    """Validate the filters. ``user_digits`` is ``user`` read as an id (None if it is not
    one); an unknown username is an error, an unknown id is not (the log outlives
    accounts). Returns the valid filters and the errors by field."""
    errors = FilterErrors()
    action = (action or "").strip()
    if action and action not in audit.ACTION_LABELS:
        errors.by_field["action"] = _("没有这种操作")
        action = ""
    user = (user or "").strip()[:60]
    user_id: int | None = None
    if user_digits is not None:
        user_id = user_digits
    elif user:
        user_id = db.session.scalar(select(User.id).where(User.username == user))
        if user_id is None:
            errors.by_field["user"] = _("没有用户名为 %(name)s 的账号", name=user)
            user = ""
    days: dict[str, date | None] = {}
    for name, raw in (("start", start), ("end", end)):
        try:
            days[name] = parse_day(raw, field_name=name)
        except DomainError as e:
            errors.by_field[name] = e.message
            days[name] = None
    if days["start"] and days["end"] and days["start"] > days["end"]:
        errors.by_field["end"] = _("结束日期不能早于开始日期")
        days["end"] = None
    return AuditFilters(action=action, user=user, user_id=user_id, person_id=person_id,
                        start=days["start"], end=days["end"]), errors


def _owned_rows(person_id: int) -> list[tuple[str, Select]]:
    """(table name, ids of that table's rows belonging to the person) for every audited
    table whose rows can be tied to a person cheaply. Deleted rows cannot be resolved."""
    vol = select(VolunteerProfile.id).where(VolunteerProfile.person_id == person_id)
    donor = select(DonorProfile.id).where(DonorProfile.person_id == person_id)
    bud = select(SpringBudProfile.id).where(SpringBudProfile.person_id == person_id)
    mentor = select(MentorProfile.id).where(MentorProfile.person_id == person_id)
    owned: list[tuple[str, Select]] = [
        (model.__tablename__, select(model.id).where(model.person_id == person_id))
        for model in (VolunteerProfile, MentorProfile, MenteeProfile, SpringBudProfile,
                      DonorProfile, ConsentRecord, Application, Award, ServiceRequest, User)
    ]
    owned += [
        (m.__tablename__, select(m.id).where(m.volunteer_id.in_(vol)))
        for m in (ActivitySignup, ServiceAssignment, ServiceHours)
    ]
    owned += [(m.__tablename__, select(m.id).where(m.donor_id.in_(donor)))
              for m in (Pledge, Donation)]
    owned += [(m.__tablename__, select(m.id).where(m.student_id.in_(bud)))
              for m in (Sponsorship, ProgressNote)]
    owned += [
        ("donor_letter", select(DonorLetter.id).where(or_(DonorLetter.donor_id.in_(donor),
                                                          DonorLetter.student_id.in_(bud)))),
        ("pairing", select(Pairing.id).where(or_(Pairing.mentee_person_id == person_id,
                                                 Pairing.mentor_id.in_(mentor)))),
        ("proposal", select(Proposal.id).where(or_(Proposal.mentee_person_id == person_id,
                                                   Proposal.mentor_id.in_(mentor)))),
        ("follow_up", select(FollowUp.id).join(Pairing, FollowUp.pairing_id == Pairing.id)
         .where(or_(Pairing.mentee_person_id == person_id, Pairing.mentor_id.in_(mentor)))),
    ]
    return owned


def person_condition(person_id: int) -> ColumnElement[bool]:
    """Events about a person: on her person row, or on a row that is hers."""
    conds = [and_(AuditEvent.target_type == Person.__tablename__,
                  AuditEvent.target_id == person_id)]
    conds += [and_(AuditEvent.target_type == table, AuditEvent.target_id.in_(ids))
              for table, ids in _owned_rows(person_id)]
    return or_(*conds)


def period_bounds(start: date | None, end: date | None) -> tuple[datetime | None,
                                                                 datetime | None]:
    """Local days [start, end] as UTC [lower, upper) bounds."""
    lower = from_local(start, time.min) if start else None
    upper = from_local(end + timedelta(days=1), time.min) if end else None
    return lower, upper


def events_query(filters: AuditFilters) -> Select:
    """The filtered audit log, newest first."""
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.user_id is not None:
        stmt = stmt.where(AuditEvent.user_id == filters.user_id)
    elif filters.user:
        stmt = stmt.where(false())  # an unknown username matches nothing
    if filters.person_id is not None:
        stmt = stmt.where(person_condition(filters.person_id))
    lower, upper = period_bounds(filters.start, filters.end)
    if lower is not None:
        stmt = stmt.where(AuditEvent.at >= lower)
    if upper is not None:
        stmt = stmt.where(AuditEvent.at < upper)
    return stmt


def count_events(filters: AuditFilters) -> int:
    inner = events_query(filters).order_by(None).with_only_columns(AuditEvent.id).subquery()
    return db.session.scalar(select(func.count()).select_from(inner)) or 0


def detail_keys(detail: object) -> str:
    """What the viewer shows of an event's detail: its keys, and the changed-field names
    of an update (column names, never values)."""
    if not isinstance(detail, dict):
        return ""
    parts = []
    for key in sorted(detail):
        value = detail[key]
        if key == "fields" and isinstance(value, list) and value and all(
                isinstance(v, str) and _FIELD_NAME.fullmatch(v) for v in value):
            parts.append(f"fields: {', '.join(value)}")
        else:
            parts.append(str(key))
    return "; ".join(parts)


def action_label(action: str) -> str:
    label = audit.ACTION_LABELS.get(action)
    return _(label) if label else action


def headers() -> list[str]:
    return [_("编号"), _("时间"), _("用户编号"), _("操作人"), _("操作"), _("对象类型"),
            _("对象编号"), _("详情字段")]


def export_rows(filters: AuditFilters) -> Iterator[list[object]]:
    """The filtered events as cells (no header), read in batches."""
    stmt = events_query(filters).execution_options(yield_per=BATCH)
    for ev in db.session.scalars(stmt):
        yield [ev.id, to_local(ev.at).strftime("%Y-%m-%d %H:%M:%S") if ev.at else "",
               ev.user_id if ev.user_id is not None else "", safe_text(ev.actor or ""),
               safe_text(action_label(ev.action)), safe_text(ev.target_type or ""),
               ev.target_id if ev.target_id is not None else "",
               safe_text(detail_keys(ev.detail))]


def check_export_size(filters: AuditFilters) -> int:
    count = count_events(filters)
    if count > MAX_EXPORT_ROWS:
        raise DomainError(_("符合条件的记录有 %(count)s 条，超过导出上限 %(max)s 条，"
                            "请缩小时间范围或增加筛选条件", count=count, max=MAX_EXPORT_ROWS))
    return count


def _audit_export(filters: AuditFilters, fmt: str, count: int) -> None:
    audit.record("export", target_type="audit_event", what="audit_log", format=fmt,
                 filters=filters.query_args(), rows=count)


def build_xlsx(filters: AuditFilters) -> bytes:
    check_export_size(filters)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("操作日志"))
    ws.freeze_panes = "A2"
    for col, width in zip("ABCDEFGH", (10, 20, 10, 16, 16, 20, 10, 40), strict=True):
        ws.column_dimensions[col].width = width
    head = []
    for text in headers():
        cell = WriteOnlyCell(ws, value=text)
        cell.font = Font(bold=True)
        head.append(cell)
    ws.append(head)
    count = 0
    for row in export_rows(filters):
        ws.append([v if v != "" else None for v in row])
        count += 1
    _audit_export(filters, "xlsx", count)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def build_csv(filters: AuditFilters) -> bytes:
    """UTF-8 with a BOM (so Chinese Excel reads it), CRLF line ends."""
    check_export_size(filters)
    buf = StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers())
    count = 0
    for row in export_rows(filters):
        writer.writerow(row)
        count += 1
    _audit_export(filters, "csv", count)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
