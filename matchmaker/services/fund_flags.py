"""Cross-programme flags: other awards this year to the same woman (by ID hash) or to
her household, shown beside each application so that coordinators see double help."""

from __future__ import annotations

from collections import defaultdict

from flask_babel import gettext as _
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.models import Application, Award, Fund, Person
from matchmaker.services.money import to_yuan


def cross_programme_flags(application: Application) -> list[str]:
    """Other awards this year to the same person (by ID hash) or her household."""
    return flags_of_fund(application.fund, [application])[application.id]


def flags_of_fund(fund: Fund, applications: list[Application]) -> dict[int, list[str]]:
    """``cross_programme_flags`` of many applications to one fund, with one query per
    thousand ID hashes or households (the fund page lists thousands of applications; a
    query for each took seconds)."""
    others = select(Award, Fund, Person).join(Fund, Fund.id == Award.fund_id).join(
        Person, Person.id == Award.person_id).where(
        Fund.year == fund.year, Award.fund_id != fund.id, Award.status == "approved"
    ).order_by(Award.id)
    people = [a.person for a in applications]
    by_hash: dict[str, list[tuple[Award, Fund]]] = defaultdict(list)
    by_household: dict[str, list[tuple[Award, Fund, int]]] = defaultdict(list)
    hashes = sorted({p.id_hash for p in people if p.id_hash})
    households = sorted({p.household for p in people if p.household})
    for i in range(0, len(hashes), 1000):
        for award, other, person in db.session.execute(
                others.where(Person.id_hash.in_(hashes[i:i + 1000]))):
            by_hash[person.id_hash].append((award, other))
    for i in range(0, len(households), 1000):
        for award, other, person in db.session.execute(
                others.where(Person.household.in_(households[i:i + 1000]))):
            by_household[person.household].append((award, other, person.id))
    out = {}
    for application, person in zip(applications, people, strict=True):
        flags = []
        if person.id_hash:
            flags += [_("本人今年已获%(fund)s %(amount)s 元", fund=other.name,
                        amount=to_yuan(award.amount_fen))
                      for award, other in by_hash[person.id_hash]]
        if person.household:
            flags += [_("同户家庭成员今年已获%(fund)s %(amount)s 元", fund=other.name,
                        amount=to_yuan(award.amount_fen))
                      for award, other, pid in by_household[person.household]
                      if pid != person.id]
        out[application.id] = flags
    return out
