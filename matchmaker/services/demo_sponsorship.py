"""Demo Spring Bud sponsorship: guardians' consents on file, pledges from a few donors
(the demo donor sponsors two girls and has a third waiting for her decision), donations
with receipts, the autumn term paid, approved progress notes, a letter on its way and a
girl whose pledge lapsed, paid from the reserve. Everything goes through the services, as
a coordinator's clicks would. Part of ``seed-demo``; does nothing once pledges exist."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.models import (
    ConsentRecord,
    DonorProfile,
    Pledge,
    Region,
    SpringBudProfile,
    User,
)
from matchmaker.services import (
    clock,
    consent,
    donations,
    letters,
    pledges,
    progress_notes,
    sponsorships,
    term_payments,
)

NOTES = (
    "本学期按时到校，语文和数学都有明显进步，期末被评为班级“进步之星”。",
    "参加了学校的合唱队，性格比以前开朗，和同学相处融洽。",
    "学习很努力，每天放学后认真完成作业，老师说她是班里最守时的学生之一。",
)


def _consents(result) -> list[SpringBudProfile]:
    """Every girl whose guardian ticked consent on the paper form gets a record of it."""
    girls = list(db.session.scalars(select(SpringBudProfile).order_by(SpringBudProfile.id)))
    start = clock.today() - timedelta(days=400)
    for k, girl in enumerate(girls):
        if girl.waiting_since is None:
            girl.waiting_since = start + timedelta(days=(k * 37) % 360)
        if not girl.guardian_consent:
            continue
        if db.session.scalar(select(ConsentRecord.id).where(
                ConsentRecord.person_id == girl.person_id,
                ConsentRecord.purpose == "spring_bud")) is None:
            consent.give(person=girl.person, purpose="spring_bud", channel="paper",
                         given_by=girl.guardian_name, relation=girl.guardian_relation,
                         scope="春蕾计划结对助学")
            result.add("guardian consents")
    db.session.flush()
    return [g for g in girls if g.guardian_consent and g.status == "active"]


def seed(result) -> None:
    girls = _consents(result)
    if db.session.scalar(select(Pledge.id).limit(1)) is not None or len(girls) < 6:
        return
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    coordinator = db.session.scalar(select(User).where(User.username == "coordinator"))
    donor_user = db.session.scalar(select(User).where(User.username == "donor"))
    if admin is None or coordinator is None:
        return
    city = db.session.scalar(select(Region).where(Region.level == "city"))
    donors = list(db.session.scalars(select(DonorProfile).order_by(DonorProfile.id)))
    mine = next((d for d in donors if donor_user and d.person_id == donor_user.person_id),
                None)
    others = [d for d in donors if d is not mine]
    if mine is None or len(others) < 2:
        return
    today = clock.today()
    year_start = date(today.year, 1, 1)

    def pledge(donor, amount, students, period="term"):
        made = pledges.create_pledge(user=admin, data=pledges.PledgeInput(
            donor_id=donor.id, region_code=city.code, amount=amount, period=period,
            students=students, starts_on=year_start))
        result.add("pledges")
        return made

    def sponsor(p, girl, confirm=True):
        sp = sponsorships.link(user=admin, pledge=p, student=girl)
        if confirm:
            sponsorships.confirm_hold(donor=p.donor, sponsorship_id=sp.id)
        result.add("sponsorships")
        return sp

    def give(donor, p, amount):
        donations.record_donation(user=admin, donor=donor, amount=Decimal(amount),
                                received_on=year_start + timedelta(days=60), pledge=p)
        result.add("donations")

    # The demo donor: two girls at 800 a term, a third held for her decision.
    p_mine = pledge(mine, "800", 3)
    first, second, third = girls[0], girls[1], girls[2]
    sponsor(p_mine, first)
    sponsor(p_mine, second)
    sponsor(p_mine, third, confirm=False)
    give(mine, p_mine, "2000")
    give(mine, p_mine, "1600")
    # Two more donors; one pledge has already run out (its girl is flagged).
    p_org = pledge(others[0], "1500", 2, period="year")
    sponsor(p_org, girls[3])
    sponsor(p_org, girls[4])
    give(others[0], p_org, "4000")
    p_old = pledge(others[1], "600", 1)
    sponsor(p_old, girls[5])
    give(others[1], p_old, "1500")
    p_old.ends_on = today - timedelta(days=20)  # as if its year had run out
    pledges.lapse_due(today=today)
    db.session.flush()

    term = f"{today.year}-autumn" if today.month >= 8 else f"{today.year}-spring"
    paid = term_payments.pay_term(user=admin, term=term, paid_on=today)
    result.add("term payments", paid.paid)

    for girl, body in zip((first, second, girls[3]), NOTES, strict=True):
        note = progress_notes.write(user=coordinator, student=girl, term=term, body=body)
        progress_notes.approve(user=admin, note=note)
        result.add("progress notes")
    letters.submit(donor=mine, student_id=first.id,
                   body="祝你新学期学习进步、身体健康！有什么需要可以告诉妇联的老师。")
    result.add("letters")
    db.session.flush()
