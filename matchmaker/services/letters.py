"""Donors' letters to the girls they sponsor, read by a coordinator before they go on.

A donor may write only to a girl she sponsors now (an active sponsorship) and whose
guardian's consent is in force; anyone else is "not found", as if the girl did not exist.
A letter carries no way to reach either side (no phone, ID number, e-mail, chat account
or address). A coordinator of the girl's region forwards it — it is printed and handed
over by hand — or declines it with a reason; either way the donor is told through the
outbox, by the girl's pseudonym, never her full name.

Writing back is never asked of a girl: nothing here waits for, counts or records a reply.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from matchmaker.extensions import db
from matchmaker.models import (
    DonorLetter,
    DonorProfile,
    Person,
    Pledge,
    Region,
    Sponsorship,
    SpringBudProfile,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.services.errors import DomainError, NotFound
from matchmaker.services.names import pseudonym
from matchmaker.services.notifications import notify
from matchmaker.services.progress_notes import check_contacts, check_private
from matchmaker.services.scope import in_scope, region_filter, require_registry_role
from matchmaker.services.sponsorships import consented
from matchmaker.services.validation import clean_text

LETTER_MAX = 2000
REVIEW_NOTE_MAX = 200
# A donor cannot pile up letters to one girl faster than a coordinator reads them.
MAX_PENDING = 3

def donor_signature(donor: DonorProfile) -> str:
    """How the donor signs to the girl: her chosen display name, her organisation, or a
    plain "a caring donor" — never her registered full name unless she chose it."""
    if (donor.display_name or "").strip():
        return donor.display_name.strip()
    if donor.kind == "organisation" and (donor.organisation or "").strip():
        return donor.organisation.strip()
    return _("一位爱心捐助人")


# ---------------------------------------------------------------- the donor's side


def _sponsored(donor: DonorProfile, student_id: int) -> SpringBudProfile:
    """The girl, if this donor sponsors her now and her guardian's consent is in force."""
    student = db.session.scalar(
        select(SpringBudProfile).join(Sponsorship, Sponsorship.student_id == SpringBudProfile.id)
        .join(Pledge, Pledge.id == Sponsorship.pledge_id)
        .where(SpringBudProfile.id == student_id, Sponsorship.status == "active",
               Pledge.donor_id == donor.id).limit(1))
    if student is None or not consented(student):
        raise NotFound(_("找不到这名学员"))
    return student


def clean_letter(raw: str | None, *, field: str = "body") -> str:
    body = clean_text(raw, field=field, label=_("信的内容"), max_length=LETTER_MAX, required=True)
    check_contacts(body, field=field)
    return body


def submit(*, donor: DonorProfile, student_id: int, body: str) -> DonorLetter:
    """A donor's letter to a girl she sponsors, waiting for a coordinator to read it."""
    if donor is None or donor.status != "active":
        raise NotFound(_("找不到这名学员"))
    student = _sponsored(donor, student_id)
    body = clean_letter(body)
    # Her full name or school may be known to a donor who met her: it still has no place
    # in a letter that passes through several hands.
    check_private(body, student, field="body")
    pending = db.session.scalar(select(func.count(DonorLetter.id)).where(
        DonorLetter.donor_id == donor.id, DonorLetter.student_id == student.id,
        DonorLetter.status == "pending"))
    if pending >= MAX_PENDING:
        raise DomainError(_("您已有 %(n)s 封信在等待妇联工作人员审阅，请等审阅后再写",
                            n=pending), field="body")
    letter = DonorLetter(donor_id=donor.id, student_id=student.id, body=body,
                         status="pending")
    db.session.add(letter)
    db.session.flush()
    return letter


def letters_of(donor: DonorProfile) -> list[DonorLetter]:
    """A donor's own letters, newest first (for her portal)."""
    return list(db.session.scalars(select(DonorLetter).where(DonorLetter.donor_id == donor.id)
                                   .order_by(DonorLetter.created_at.desc(),
                                             DonorLetter.id.desc())))


# ---------------------------------------------------------------- the coordinator's side


def _letters_in_scope(user: User):
    require_registry_role(user)
    stmt = (select(DonorLetter).join(DonorLetter.student).join(SpringBudProfile.person)
            .join(Person.region)
            .options(contains_eager(DonorLetter.student).contains_eager(SpringBudProfile.person)
                     .contains_eager(Person.region)))
    scope = region_filter(user, Region.path)
    if scope is not None:
        stmt = stmt.where(scope)
    return stmt


def queue(user: User) -> list[DonorLetter]:
    """Letters waiting to be read, for girls in the user's regions, oldest first."""
    stmt = (_letters_in_scope(user).where(DonorLetter.status == "pending")
            .order_by(DonorLetter.created_at, DonorLetter.id))
    return list(db.session.scalars(stmt))


def recent_reviewed(user: User, limit: int = 20) -> list[DonorLetter]:
    stmt = (_letters_in_scope(user).where(DonorLetter.status != "pending")
            .order_by(DonorLetter.reviewed_at.desc(), DonorLetter.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def get_letter(user: User, letter_id: int) -> DonorLetter:
    require_registry_role(user)
    letter = db.session.get(DonorLetter, letter_id)
    if letter is None or not in_scope(user, letter.student.person.region):
        raise NotFound(_("找不到这封信，或不在您负责的地区内"))
    return letter


def _review(user: User, letter: DonorLetter) -> None:
    require_registry_role(user)
    if not in_scope(user, letter.student.person.region):
        raise NotFound(_("找不到这封信，或不在您负责的地区内"))
    if letter.status != "pending":
        raise DomainError(_("这封信已经审阅过了"))
    # The guardian may have withdrawn her consent, or the link may have ended, since the
    # letter was written: then it goes no further (close_pending closes it).
    if not consented(letter.student):
        raise DomainError(_("这名学员的监护人同意已撤回，这封信不能再转交或处理"))
    if not sponsors_now(letter.donor_id, letter.student_id):
        raise DomainError(_("这位捐助人与这名学员的结对已结束，这封信不能再转交或处理"))


def sponsors_now(donor_id: int, student_id: int) -> bool:
    """This donor has an active sponsorship of this girl."""
    return db.session.scalar(
        select(Sponsorship.id).join(Pledge, Pledge.id == Sponsorship.pledge_id)
        .where(Sponsorship.student_id == student_id, Sponsorship.status == "active",
               Pledge.donor_id == donor_id).limit(1)) is not None


def close_pending(student_id: int, donor_id: int | None = None, *, reason: str) -> int:
    """Decline at once a girl's letters still waiting (only this donor's, if given) — her
    guardian withdrew consent or the link ended. Each donor is told once, in words that
    name no girl. Returns how many letters were closed."""
    stmt = select(DonorLetter).where(DonorLetter.student_id == student_id,
                                     DonorLetter.status == "pending")
    if donor_id is not None:
        stmt = stmt.where(DonorLetter.donor_id == donor_id)
    waiting = list(db.session.scalars(stmt.order_by(DonorLetter.id)))
    now = utcnow()
    told = set()
    for letter in waiting:
        letter.status = "declined"
        letter.reviewed_at = now
        letter.review_note = reason[:REVIEW_NOTE_MAX]
        if letter.donor_id not in told:
            told.add(letter.donor_id)
            notify(person=letter.donor.person, subject=_("您的来信未能转交"),
                   body=_("由于结对情况变化，您尚在等待审阅的来信不再转交。"
                          "所在地妇联会与您联系后续安排。"))
    if waiting:
        db.session.flush()
    return len(waiting)


def forward(*, user: User, letter: DonorLetter) -> DonorLetter:
    """Pass the letter on (it is printed and handed to the girl) and tell the donor."""
    _review(user, letter)
    letter.status = "forwarded"
    letter.reviewed_by = user.id
    letter.reviewed_at = utcnow()
    notify(person=letter.donor.person, subject=_("您的来信已转交"),
           body=_("您写给%(name)s的信已由妇联工作人员转交。回信完全自愿，"
                  "她不一定会回信，这不会影响对她的资助。", name=pseudonym(letter.student)),
           about=letter.student.person)
    db.session.flush()
    return letter


def decline(*, user: User, letter: DonorLetter, note: str) -> DonorLetter:
    """Keep the letter back, saying why; the donor is told the reason."""
    _review(user, letter)
    note = clean_text(note, field="note", label=_("不转交的原因"),
                      max_length=REVIEW_NOTE_MAX, required=True)
    # The reason goes to the donor: it must not name the girl or reach her either.
    check_private(note, letter.student, field="note")
    letter.status = "declined"
    letter.reviewed_by = user.id
    letter.reviewed_at = utcnow()
    letter.review_note = note
    notify(person=letter.donor.person, subject=_("您的来信未能转交"),
           body=_("您写给%(name)s的信未能转交，原因：%(note)s。欢迎修改后重新写信。",
                  name=pseudonym(letter.student), note=note),
           about=letter.student.person)
    db.session.flush()
    return letter
