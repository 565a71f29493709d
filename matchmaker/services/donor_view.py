"""What a donor sees of the girls she sponsors: an allow-list projection, built field by
field, so that no ORM object of a girl ever reaches a donor's page.

A girl appears only while her guardian's consent is in force and her sponsorship with
this donor is live (active; or held — a proposal waiting for the donor's answer). Nothing
is cached: withdrawing consent hides her on the next request. Every lookup starts from
the donor's own profile; any id that is not hers is "not found", never "forbidden".

Shown: a pseudonym (her alias, else her given name), age band, grade, town, the
sponsorship's status and date, and approved progress notes (term and text) of the terms
since the sponsorship started. Never: full name, ID number, address, phone, school, family
finances, guardian, photo. Her payments and letters stay in the donor's records after the
sponsorship ends, but without her pseudonym.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.models import User
from matchmaker.models.base import utcnow
from matchmaker.models.fund import Disbursement
from matchmaker.models.profiles import DonorProfile, SpringBudProfile
from matchmaker.models.region import Region
from matchmaker.models.sponsorship import (
    Donation,
    DonorLetter,
    Pledge,
    ProgressNote,
    Sponsorship,
    SponsorshipPayment,
)
from matchmaker.services import clock, names, sponsorships
from matchmaker.services.donations import Receipt, receipt_data
from matchmaker.services.errors import NotFound
from matchmaker.services.terms import term_end, term_label

LIVE = ("held", "active")


@dataclass(frozen=True)
class NoteView:
    term: str  # as shown: "2026 年秋季学期"
    body: str


@dataclass(frozen=True)
class StudentCard:
    """One girl as her donor sees her. The fields are the allow-list: add one only
    after asking whether a donor needs it and whether it could identify her."""

    sponsorship_id: int
    pseudonym: str
    age_band: str
    grade: str
    town: str
    status: str  # "active", or "held" (a proposal for the donor to accept or decline)
    since: date | None
    hold_expires_at: datetime | None
    notes: tuple[NoteView, ...]


@dataclass(frozen=True)
class PaymentLine:
    id: int
    term: str
    amount_fen: int
    paid_on: date
    pseudonym: str  # "" unless she is the donor's girl now (sponsorship ended, consent gone)


@dataclass(frozen=True)
class LetterLine:
    id: int
    pseudonym: str
    body: str
    status: str
    written_at: datetime
    review_note: str


@dataclass(frozen=True)
class MoneySummary:
    donated_fen: int
    donations: int
    disbursed_fen: int
    payments: int


def pseudonym(student: SpringBudProfile) -> str:
    """Her alias, else her given name (surname cut off, compound surnames included)."""
    return names.pseudonym(student) or _("学员")


def town_of(region: Region | None) -> str:
    """The name of the town (镇/街道) her village lies in; nothing finer."""
    node = region
    while node is not None:
        if node.level == "town":
            return node.name
        node = node.parent
    return ""


def donor_of(user: User) -> DonorProfile:
    """The donor profile behind the account; an account without one sees nothing."""
    donor = None
    if user.person_id is not None:
        donor = db.session.scalar(select(DonorProfile).where(
            DonorProfile.person_id == user.person_id))
    if donor is None:
        raise NotFound(_("您的账号尚未关联捐助人登记，请联系所在地妇联"))
    return donor


def _visible(student: SpringBudProfile) -> bool:
    return sponsorships.consented(student)


def _since_sponsorship(term: str, started_on: date) -> bool:
    try:
        return term_end(term) >= started_on
    except ValueError:
        return False


def _notes(s: Sponsorship) -> tuple[NoteView, ...]:
    """Approved notes of the terms since this sponsorship started (those ending on or
    after its start): what she wrote for an earlier donor is not this donor's."""
    started = s.started_on or clock.to_local(s.created_at).date()
    rows = db.session.execute(
        select(ProgressNote.term, ProgressNote.body).where(
            ProgressNote.student_id == s.student_id, ProgressNote.status == "approved")
        .order_by(ProgressNote.term.desc(), ProgressNote.id.desc()))
    return tuple(NoteView(term=term_label(term), body=body) for term, body in rows
                 if _since_sponsorship(term, started))


def _card(s: Sponsorship, *, with_notes: bool) -> StudentCard:
    student = s.student
    birth = student.person.birth_date
    since = s.started_on if s.status == "active" else (
        clock.to_local(s.created_at).date() if s.created_at else None)
    return StudentCard(
        sponsorship_id=s.id,
        pseudonym=pseudonym(student),
        age_band=sponsorships.age_band(birth, clock.today()),
        grade=student.grade or "",
        town=town_of(student.person.region),
        status=s.status,
        since=since,
        hold_expires_at=s.hold_expires_at if s.status == "held" else None,
        notes=_notes(s) if with_notes and s.status == "active" else (),
    )


def _shown(s: Sponsorship) -> bool:
    """Active, or a proposal she can still answer (its hold not yet run out)."""
    if s.status == "active":
        return True
    return s.status == "held" and s.hold_expires_at is not None \
        and clock.as_utc(s.hold_expires_at) > utcnow()


def _live_sponsorships(donor: DonorProfile) -> list[Sponsorship]:
    rows = db.session.scalars(
        select(Sponsorship).join(Sponsorship.pledge).where(
            Pledge.donor_id == donor.id, Sponsorship.status.in_(LIVE))
        .order_by(Sponsorship.status.desc(), Sponsorship.id))
    return [s for s in rows if _shown(s)]


def cards(donor: DonorProfile, *, with_notes: bool = False) -> list[StudentCard]:
    """Her girls: active sponsorships and proposals (held) waiting for her answer."""
    return [_card(s, with_notes=with_notes) for s in _live_sponsorships(donor)
            if _visible(s.student)]


def _sponsorship(donor: DonorProfile, sponsorship_id: int) -> Sponsorship:
    s = db.session.get(Sponsorship, sponsorship_id)
    if s is None or s.pledge.donor_id != donor.id or not _shown(s) \
            or not _visible(s.student):
        raise NotFound(_("找不到这位学员"))
    return s


def card(donor: DonorProfile, sponsorship_id: int) -> StudentCard:
    """One of her girls, with the approved progress notes."""
    return _card(_sponsorship(donor, sponsorship_id), with_notes=True)


def student_id_for_letter(donor: DonorProfile, sponsorship_id: int) -> int:
    """The girl a letter written on this card goes to (an active sponsorship only)."""
    s = _sponsorship(donor, sponsorship_id)
    if s.status != "active":
        raise NotFound(_("找不到这位学员"))
    return s.student_id


def _pseudonyms(donor: DonorProfile, student_ids: set[int]) -> dict[int, str]:
    """Pseudonyms of the girls this donor sponsors now (active, or held for her answer)
    and who are still visible; girls whose sponsorship by her ended, or whose guardian
    withdrew consent, are left out (the page shows neutral text instead)."""
    if not student_ids:
        return {}
    live = db.session.scalars(
        select(Sponsorship).join(Sponsorship.pledge).where(
            Pledge.donor_id == donor.id, Sponsorship.student_id.in_(student_ids),
            Sponsorship.status.in_(LIVE)))
    return {s.student_id: pseudonym(s.student) for s in live
            if _shown(s) and _visible(s.student)}


def _my_payments():
    return (select(SponsorshipPayment, Disbursement)
            .join(SponsorshipPayment.sponsorship).join(Sponsorship.pledge)
            .join(SponsorshipPayment.disbursement)
            .where(SponsorshipPayment.source == "pledge"))


def payments(donor: DonorProfile) -> list[PaymentLine]:
    """The term payments made from her money, newest first."""
    rows = db.session.execute(_my_payments().where(Pledge.donor_id == donor.id)
                              .order_by(Disbursement.paid_on.desc(),
                                        SponsorshipPayment.id.desc())).all()
    names = _pseudonyms(donor, {p.student_id for p, _d in rows})
    return [PaymentLine(id=p.id, term=term_label(p.term), amount_fen=d.amount_fen,
                        paid_on=d.paid_on, pseudonym=names.get(p.student_id, "")) for p, d in rows]


def payment(donor: DonorProfile, payment_id: int) -> PaymentLine:
    row = db.session.execute(_my_payments().where(
        Pledge.donor_id == donor.id, SponsorshipPayment.id == payment_id)).first()
    if row is None:
        raise NotFound(_("找不到这笔发放记录"))
    p, d = row
    return PaymentLine(id=p.id, term=term_label(p.term), amount_fen=d.amount_fen,
                       paid_on=d.paid_on,
                       pseudonym=_pseudonyms(donor, {p.student_id}).get(p.student_id, ""))


def receipts(donor: DonorProfile) -> list[Receipt]:
    rows = db.session.scalars(select(Donation).where(Donation.donor_id == donor.id)
                              .order_by(Donation.received_on.desc(), Donation.id.desc()))
    return [receipt_data(d) for d in rows]


def donation(donor: DonorProfile, donation_id: int) -> Donation:
    """Her donation (for a printable receipt); anyone else's is "not found"."""
    d = db.session.get(Donation, donation_id)
    if d is None or d.donor_id != donor.id:
        raise NotFound(_("找不到这张收据"))
    return d


def receipt(donor: DonorProfile, donation_id: int) -> Receipt:
    return receipt_data(donation(donor, donation_id))


def _letter_line(letter: DonorLetter, names: dict[int, str]) -> LetterLine:
    return LetterLine(id=letter.id, pseudonym=names.get(letter.student_id, ""),
                      body=letter.body, status=letter.status, written_at=letter.created_at,
                      review_note=letter.review_note or "")


def letters(donor: DonorProfile) -> list[LetterLine]:
    rows = list(db.session.scalars(select(DonorLetter).where(DonorLetter.donor_id == donor.id)
                                   .order_by(DonorLetter.id.desc())))
    names = _pseudonyms(donor, {r.student_id for r in rows})
    return [_letter_line(r, names) for r in rows]


def letter(donor: DonorProfile, letter_id: int) -> LetterLine:
    row = db.session.get(DonorLetter, letter_id)
    if row is None or row.donor_id != donor.id:
        raise NotFound(_("找不到这封来信"))
    return _letter_line(row, _pseudonyms(donor, {row.student_id}))


def money_summary(donor: DonorProfile) -> MoneySummary:
    donated, n_donations = db.session.execute(
        select(func.coalesce(func.sum(Donation.amount_fen), 0), func.count(Donation.id))
        .where(Donation.donor_id == donor.id)).one()
    paid, n_paid = db.session.execute(
        select(func.coalesce(func.sum(Disbursement.amount_fen), 0),
               func.count(SponsorshipPayment.id))
        .select_from(SponsorshipPayment).join(SponsorshipPayment.sponsorship)
        .join(Sponsorship.pledge).join(SponsorshipPayment.disbursement)
        .where(SponsorshipPayment.source == "pledge", Pledge.donor_id == donor.id)).one()
    return MoneySummary(donated_fen=int(donated), donations=int(n_donations),
                        disbursed_fen=int(paid), payments=int(n_paid))
