"""Consent to privacy notices. Each notice has versions; the text of every version stays
in ``templates/notices/`` so that what someone agreed to can always be shown again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.models import ConsentRecord, Person, User
from matchmaker.models.base import utcnow
from matchmaker.models.consent import CONSENT_CHANNELS, CONSENT_PURPOSES
from matchmaker.services.errors import DomainError


@dataclass(frozen=True)
class Notice:
    purpose: str
    version: str

    @property
    def template(self) -> str:
        return f"notices/{self.purpose}_{self.version}.html"


# The version in force for each purpose. Publishing a new text: add its template, change
# the version here; earlier consents keep the version they were given to.
CURRENT_NOTICES = {
    "volunteer": Notice("volunteer", "2026-11"),
    "spring_bud": Notice("spring_bud", "2026-11"),
}


def current_notice(purpose: str) -> Notice:
    return CURRENT_NOTICES[purpose]


def give(*, person: Person, purpose: str, channel: str, version: str | None = None,
         given_by: str = "self", relation: str = "", scope: str = "",
         recorded_by: User | None = None, given_at: datetime | None = None) -> ConsentRecord:
    """Record a consent (to the current notice unless a version is named), given now or
    at ``given_at`` (an aware time: when a paper form was signed)."""
    if purpose not in CONSENT_PURPOSES or channel not in CONSENT_CHANNELS:
        raise DomainError(_("同意记录的用途或方式无效"))
    record = ConsentRecord(
        person_id=person.id, purpose=purpose,
        notice_version=version or current_notice(purpose).version,
        given_by=given_by, relation=relation, scope=scope, channel=channel,
        given_at=given_at or utcnow(), recorded_by=recorded_by.id if recorded_by else None)
    db.session.add(record)
    db.session.flush()
    return record


def active(person: Person, purpose: str) -> ConsentRecord | None:
    """Her consent in force for this purpose (the newest not withdrawn), if any."""
    return db.session.scalar(
        select(ConsentRecord).where(ConsentRecord.person_id == person.id,
                                    ConsentRecord.purpose == purpose,
                                    ConsentRecord.withdrawn_at.is_(None))
        .order_by(ConsentRecord.given_at.desc(), ConsentRecord.id.desc()).limit(1))


def history(person: Person) -> list[ConsentRecord]:
    return list(db.session.scalars(
        select(ConsentRecord).where(ConsentRecord.person_id == person.id)
        .order_by(ConsentRecord.given_at.desc(), ConsentRecord.id.desc())))


def withdraw(*, person: Person, purpose: str) -> int:
    """Withdraw every consent in force for this purpose; returns how many were."""
    now = utcnow()
    records = list(db.session.scalars(
        select(ConsentRecord).where(ConsentRecord.person_id == person.id,
                                    ConsentRecord.purpose == purpose,
                                    ConsentRecord.withdrawn_at.is_(None))))
    for r in records:
        r.withdrawn_at = now
    db.session.flush()
    return len(records)
