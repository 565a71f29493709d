"""A person's rights over her data (PIPL): retention periods with ``purge``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, or_, select

from matchmaker.extensions import db
from matchmaker.models import (
    AuditEvent,
    Notification,
    OneTimeToken,
    Person,
    User,
)
from matchmaker.services import audit
from matchmaker.services.erasure import ANON_PREFIX, _erase, _shared, plan_erase
from matchmaker.services.people import profiles_of
from matchmaker.services.personal_export import _holdings, _rows, _sections


@dataclass
class PurgeLine:
    category: str
    key: str
    action: str
    why: str


@dataclass
class PurgeReport:
    today: date
    dry_run: bool
    lines: list[PurgeLine] = field(default_factory=list)

    def count(self, category: str) -> int:
        return sum(1 for line in self.lines if line.category == category)


def _years_ago(today: date, years: int) -> datetime:
    try:
        day = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        day = today.replace(year=today.year - years, day=28)
    return datetime.combine(day, time.min, tzinfo=UTC)


def _retention() -> dict[str, int]:
    return dict(current_app.config["RETENTION_YEARS"])


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)  # SQLite forgets the zone


def _people_past_retention(today: date, years: dict[str, int]) -> list[tuple[Person, str]]:
    """People with no active or pending profile, untouched for longer than the longest
    retention period of the registries they were in."""
    out = []
    people = _rows(select(Person).where(~Person.name.startswith(ANON_PREFIX))
                   .order_by(Person.id))
    for person in people:
        profiles = profiles_of(person)
        if not profiles and person.status != "inactive":
            continue
        if any(p.status in ("active", "pending") for p in profiles.values()):
            continue
        kinds = list(profiles) or ["person"]
        keep = max(years.get(f"{k}_inactive", years["person_inactive"]) for k in kinds)
        last = max(_aware(t) for t in
                   [person.updated_at] + [p.updated_at for p in profiles.values()])
        if last < _years_ago(today, keep):
            out.append((person, "、".join(kinds)))
    return out


def _old_uploads(hours: int, now: datetime) -> list[Path]:
    folder = Path(current_app.instance_path) / "imports"
    if not folder.is_dir():
        return []
    limit = now.timestamp() - hours * 3600
    return sorted(p for p in folder.iterdir() if p.is_file() and p.stat().st_mtime < limit)


def purge(today: date, dry_run: bool = True, *, now: datetime | None = None) -> PurgeReport:
    """List what is past its retention period and, unless ``dry_run``, erase or delete it."""
    years = _retention()
    report = PurgeReport(today, dry_run)
    now = now or datetime.now(UTC)
    lines = report.lines
    system = User(id=None, role="admin", username="purge")  # scope: everywhere, not saved
    for person, kinds in _people_past_retention(today, years):
        h = _holdings(person)
        keep_stub = h.financial or _shared(_sections(h))
        lines.append(PurgeLine("person", f"person:{person.id}",
                               "anonymise" if keep_stub else "delete",
                               _("不再登记（%(kinds)s）且超过保存期限", kinds=kinds)))
        if not dry_run:
            plan = plan_erase(system, person)
            _erase(system, person, "retention", plan)
    db.session.expire_all()
    cutoff = _years_ago(today, years["notification"])
    notes = _rows(select(Notification.id).where(Notification.created_at < cutoff))
    lines += [PurgeLine("notification", f"notification:{i}", "delete",
                        _("超过 %(n)s 年的通知", n=years["notification"])) for i in notes]
    tokens = _rows(select(OneTimeToken.id).where(
        or_(OneTimeToken.expires_at < now, OneTimeToken.used_at.is_not(None))))
    lines += [PurgeLine("token", f"one_time_token:{i}", "delete", _("已过期或已使用的一次性链接"))
              for i in tokens]
    cutoff_audit = _years_ago(today, years["audit"])
    events = _rows(select(AuditEvent.id).where(AuditEvent.at < cutoff_audit,
                                               AuditEvent.action != "erase"))
    lines += [PurgeLine("audit", f"audit_event:{i}", "delete",
                        _("超过 %(n)s 年的审计记录（删除记录除外）", n=years["audit"]))
              for i in events]
    uploads = _old_uploads(years["import_files_hours"], now)
    lines += [PurgeLine("upload", f"imports/{p.name[:6]}…", "delete",
                        _("超过 %(n)s 小时的导入文件", n=years["import_files_hours"]))
              for p in uploads]
    if not dry_run:
        if notes:
            db.session.execute(delete(Notification).where(Notification.id.in_(notes)))
        if tokens:
            db.session.execute(delete(OneTimeToken).where(OneTimeToken.id.in_(tokens)))
        if events:
            db.session.execute(delete(AuditEvent).where(AuditEvent.id.in_(events)))
        for path in uploads:
            path.unlink(missing_ok=True)
        audit.record("purge", target_type="", people=report.count("person"),
                     notifications=len(notes), tokens=len(tokens), audit_events=len(events),
                     uploads=len(uploads))
        db.session.flush()
    return report
