"""What the review page shows of a run: proposals by town, sorted and paged, and the
unmatched mentees — always limited to the user's regions."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import aliased, contains_eager

from matchmaker.extensions import db
from matchmaker.models import MatchRun, Person, Proposal, Region, UnmatchedMentee, User
from matchmaker.services.scope import region_filter

Town = aliased(Region)


def _scoped(stmt, user: User):
    cond = region_filter(user, Region.path)
    return stmt if cond is None else stmt.where(cond)


def proposals_page(user: User, run: MatchRun, *, town: str, status: str, sort: str,
                   page: int, per_page: int):
    stmt = (select(Proposal).join(Person, Person.id == Proposal.mentee_person_id)
            .join(Region, Region.id == Person.region_id)
            .options(contains_eager(Proposal.mentee_person)))
    stmt = _scoped(stmt.where(Proposal.run_id == run.id), user)
    if town:
        stmt = stmt.where(Region.path.startswith(
            select(Town.path).where(Town.code == town).scalar_subquery()))
    if status:
        stmt = stmt.where(Proposal.status == status)
    if sort == "town":
        stmt = stmt.order_by(Region.path, Proposal.score.desc(), Proposal.id)
    else:
        stmt = stmt.order_by(Proposal.score.desc(), Proposal.id)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def towns_of(user: User, run: MatchRun) -> list[tuple[Region, int]]:
    """Towns of the run's mentees in the user's regions, with their proposal counts."""
    town_code = func.substr(Region.code, 1, 9)
    stmt = (select(town_code, func.count(Proposal.id))
            .join(Person, Person.id == Proposal.mentee_person_id)
            .join(Region, Region.id == Person.region_id)
            .where(Proposal.run_id == run.id))
    rows = db.session.execute(_scoped(stmt, user).group_by(town_code).order_by(town_code)).all()
    regions = {r.code: r for r in db.session.scalars(
        select(Region).where(Region.code.in_([c for c, _ in rows])))}
    return [(regions[c], n) for c, n in rows if c in regions]


def unmatched_of(user: User, run: MatchRun) -> list[tuple[UnmatchedMentee, Person]]:
    stmt = (select(UnmatchedMentee, Person).join(Person, Person.id == UnmatchedMentee.person_id)
            .join(Region, Region.id == Person.region_id)
            .where(UnmatchedMentee.run_id == run.id).order_by(Region.path, Person.name))
    return list(db.session.execute(_scoped(stmt, user)).all())
