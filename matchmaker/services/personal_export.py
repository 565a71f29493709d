"""A person's rights over her data (PIPL): a copy of everything held about her (subject
access). What is held about her (``Holdings``, ``_sections``) is also read by erasure and
retention.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import or_, select

from matchmaker.extensions import db
from matchmaker.models import (
    ActivitySignup,
    Application,
    AuditEvent,
    Award,
    ConsentRecord,
    Disbursement,
    Donation,
    DonorLetter,
    FollowUp,
    Notification,
    Pairing,
    Person,
    Pledge,
    ProgressNote,
    Proposal,
    ServiceAssignment,
    ServiceHours,
    ServiceRequest,
    Sponsorship,
    SponsorshipPayment,
    UnmatchedMentee,
    User,
)
from matchmaker.services import audit
from matchmaker.services.exports import safe_text
from matchmaker.services.people import profiles_of
from matchmaker.services.privacy import vault
from matchmaker.services.scope import get_person

# Columns left out of the subject-access copy: secrets and internal keys, not her data.
EXPORT_SKIP = {"id_cipher", "id_hash", "password_hash", "token_hash", "secret"}


# ---------------------------------------------------------------- what is held about her


@dataclass
class Holdings:
    person: Person
    profiles: dict[str, object]
    mentor_id: int | None
    spring_bud_id: int | None
    donor_id: int | None
    volunteer_id: int | None
    awards: list[Award]
    disbursements: list[Disbursement]
    donations: list[Donation]
    sponsorship_payments: list[SponsorshipPayment]

    @property
    def financial(self) -> bool:
        return bool(self.awards or self.disbursements or self.donations
                    or self.sponsorship_payments)


def _rows(stmt) -> list:
    return list(db.session.scalars(stmt))


def _holdings(person: Person) -> Holdings:
    profiles = profiles_of(person)

    def pid(kind):
        return profiles[kind].id if kind in profiles else None

    awards = _rows(select(Award).where(Award.person_id == person.id).order_by(Award.id))
    award_ids = [a.id for a in awards]
    disb = _rows(select(Disbursement).where(Disbursement.award_id.in_(award_ids))
                 .order_by(Disbursement.id)) if award_ids else []
    donor_id, sb_id = pid("donor"), pid("spring_bud")
    donations = _rows(select(Donation).where(Donation.donor_id == donor_id)
                      .order_by(Donation.id)) if donor_id else []
    payments = _rows(select(SponsorshipPayment).where(SponsorshipPayment.student_id == sb_id)
                     .order_by(SponsorshipPayment.id)) if sb_id else []
    return Holdings(person, profiles, pid("mentor"), sb_id, donor_id, pid("volunteer"),
                    awards, disb, donations, payments)


def _pairings(h: Holdings) -> list[Pairing]:
    cond = Pairing.mentee_person_id == h.person.id
    if h.mentor_id:
        cond = or_(cond, Pairing.mentor_id == h.mentor_id)
    return _rows(select(Pairing).where(cond).order_by(Pairing.id))


def _proposals(h: Holdings) -> list[Proposal]:
    cond = Proposal.mentee_person_id == h.person.id
    if h.mentor_id:
        cond = or_(cond, Proposal.mentor_id == h.mentor_id)
    if h.spring_bud_id:
        cond = or_(cond, Proposal.spring_bud_id == h.spring_bud_id)
    if "mentee" in h.profiles:
        cond = or_(cond, Proposal.mentee_id == h.profiles["mentee"].id)
    return _rows(select(Proposal).where(cond).order_by(Proposal.id))


def _sections(h: Holdings) -> list[tuple[str, list]]:
    """Every category of rows about her, in the order they are exported."""
    p = h.person
    pairings = _pairings(h)
    pairing_ids = [x.id for x in pairings]
    out: list[tuple[str, list]] = []
    for kind, prof in h.profiles.items():
        out.append((f"profile_{kind}", [prof]))
    out.append(("consent_record", _rows(select(ConsentRecord).where(
        ConsentRecord.person_id == p.id).order_by(ConsentRecord.id))))
    out.append(("pairing", pairings))
    out.append(("follow_up", _rows(select(FollowUp).where(FollowUp.pairing_id.in_(pairing_ids))
                                   .order_by(FollowUp.id))) if pairing_ids else ("follow_up", []))
    out.append(("proposal", _proposals(h)))
    out.append(("unmatched_mentee", _rows(select(UnmatchedMentee).where(
        UnmatchedMentee.person_id == p.id))))
    out.append(("application", _rows(select(Application).where(Application.person_id == p.id)
                                     .order_by(Application.id))))
    out.append(("award", h.awards))
    out.append(("disbursement", h.disbursements))
    if h.volunteer_id:
        for model in (ActivitySignup, ServiceHours, ServiceAssignment):
            out.append((model.__tablename__, _rows(select(model).where(
                model.volunteer_id == h.volunteer_id).order_by(model.id))))
    if h.spring_bud_id:
        for model in (Sponsorship, ProgressNote, DonorLetter):
            out.append((f"{model.__tablename__}_as_student", _rows(select(model).where(
                model.student_id == h.spring_bud_id).order_by(model.id))))
        out.append(("sponsorship_payment", h.sponsorship_payments))
    if h.donor_id:
        pledges = _rows(select(Pledge).where(Pledge.donor_id == h.donor_id).order_by(Pledge.id))
        out.append(("pledge", pledges))
        out.append(("donation", h.donations))
        out.append(("sponsorship_as_donor", _rows(select(Sponsorship).where(
            Sponsorship.pledge_id.in_([x.id for x in pledges]))) if pledges else []))
        out.append(("donor_letter_as_donor", _rows(select(DonorLetter).where(
            DonorLetter.donor_id == h.donor_id))))
    out.append(("service_request_as_beneficiary", _rows(select(ServiceRequest).where(
        ServiceRequest.person_id == p.id).order_by(ServiceRequest.id))))
    out.append(("notification", _rows(select(Notification).where(
        Notification.person_id == p.id).order_by(Notification.id))))
    out.append(("notification_about_her", _rows(select(Notification).where(
        Notification.about_person_id == p.id, Notification.person_id != p.id)
        .order_by(Notification.id))))
    out.append(("user_account", _rows(select(User).where(User.person_id == p.id))))
    return out


def _record_keys(h: Holdings, sections: list[tuple[str, list]]) -> list[tuple[str, int]]:
    keys = [("person", h.person.id)]
    for _name, rows in sections:
        for row in rows:
            keys.append((row.__tablename__, row.id))
    return keys


# ------------------------------------------------------------------------ subject access


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bytes | memoryview):
        return None
    return safe_text(value)


def _sheet(wb: Workbook, title: str, rows: list) -> None:
    ws = wb.create_sheet(title[:31])
    if not rows:
        ws.append([_("（无记录）")])
        return
    cols = [c.key for c in rows[0].__table__.columns if c.key not in EXPORT_SKIP]
    ws.append(cols)
    for row in rows:
        ws.append([_cell(getattr(row, c)) for c in cols])


def export_person(user: User, person: Person) -> bytes:
    """Everything held about her, as an .xlsx workbook (one sheet per category): her own
    data for her, so the ID number is decrypted. Audited as a subject-access export."""
    get_person(user, person.id)  # scope: NotFound outside the user's regions
    h = _holdings(person)
    sections = _sections(h)
    wb = Workbook()
    ws = wb.active
    ws.title = "person"
    ws.append([_("项目"), _("内容")])
    id_number = vault().decrypt(person.id_cipher) if person.id_cipher else ""
    for col in person.__table__.columns:
        if col.key in EXPORT_SKIP:
            continue
        ws.append([col.key, _cell(getattr(person, col.key))])
    ws.append(["id_number", id_number])
    ws.append(["region", person.region.full_name])
    ws.append(["exported_at", _cell(datetime.now(UTC))])
    for name, rows in sections:
        _sheet(wb, name, rows)
    keys = _record_keys(h, sections)
    events = []
    by_type: dict[str, list[int]] = {}
    for t, i in keys:
        by_type.setdefault(t, []).append(i)
    for t, ids in by_type.items():
        events += _rows(select(AuditEvent).where(AuditEvent.target_type == t,
                                                 AuditEvent.target_id.in_(ids)))
    au = wb.create_sheet("audit_event")
    au.append(["at", "action", "target_type", "target_id"])
    for ev in sorted(events, key=lambda e: (e.at, e.id)):
        au.append([_cell(ev.at), ev.action, ev.target_type, ev.target_id])
    audit.record("export", target_type="person", target_id=person.id, subject_access=True)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
