"""The registries: each a view over the profiles of one kind, with search and filters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import contains_eager

from matchmaker.models import (
    DonorProfile,
    MenteeProfile,
    MentorProfile,
    Person,
    ProfileBase,
    Region,
    SpringBudProfile,
    User,
    VolunteerProfile,
)
from matchmaker.models.base import N_
from matchmaker.models.profiles import (
    DONOR_KIND_LABELS,
    MENTEE_KIND_LABELS,
    MENTOR_KIND_LABELS,
    VOLUNTEER_TEAMS,
)
from matchmaker.services.scope import region_filter, require_registry_role


@dataclass(frozen=True)
class Registry:
    key: str  # profile type, e.g. "mentor"
    slug: str  # URL segment, e.g. "mentors"
    label: str  # 女企业家 / 女能手 …
    model: type[ProfileBase]
    kind_column: str | None = None  # the column the "kind" filter applies to
    kind_labels: dict[str, str] = field(default_factory=dict)
    minors: bool = False  # the registry holds children's records


REGISTRIES: dict[str, Registry] = {
    r.slug: r
    for r in (
        Registry("volunteer", "volunteers", N_("巾帼志愿者"), VolunteerProfile, "team",
                 {t: t for t in VOLUNTEER_TEAMS}),
        Registry("mentor", "mentors", N_("导师（女企业家、女能手）"), MentorProfile, "kind",
                 MENTOR_KIND_LABELS),
        Registry("mentee", "mentees", N_("帮扶对象（女大学生、农村妇女、贫困母亲）"), MenteeProfile,
                 "kind", MENTEE_KIND_LABELS),
        Registry("spring_bud", "spring-buds", N_("春蕾学员"), SpringBudProfile, minors=True),
        Registry("donor", "donors", N_("捐助人"), DonorProfile, "kind", DONOR_KIND_LABELS),
    )
}
BY_KEY = {r.key: r for r in REGISTRIES.values()}


@dataclass
class Filters:
    q: str = ""
    region: str = ""  # a region code; the subtree below it
    kind: str = ""
    status: str = ""


def search_condition(q: str):
    """Name contains q, pinyin initials or full pinyin start with q, or mobile ends in q."""
    q = q.strip()
    if not q:
        return None
    conds = [Person.name.contains(q, autoescape=True)]
    if re.fullmatch(r"[A-Za-z]+", q):
        low = q.lower()
        for column in (Person.name_initials, Person.name_pinyin):  # "zml|cml": alternates
            conds += [column.startswith(low, autoescape=True),
                      column.contains("|" + low, autoescape=True)]
    if re.fullmatch(r"\d{4}", q):
        conds.append(Person.mobile.endswith(q, autoescape=True))
    return or_(*conds)


def _narrow(stmt: Select, user: User, filters: Filters) -> Select:
    """Apply the user's region scope, the search box and the region filter."""
    scope = region_filter(user, Region.path)
    if scope is not None:
        stmt = stmt.where(scope)
    cond = search_condition(filters.q)
    if cond is not None:
        stmt = stmt.where(cond)
    if filters.region:
        sub = select(Region.path).where(Region.code == filters.region).scalar_subquery()
        stmt = stmt.where(Region.path.startswith(sub))
    return stmt


def registry_query(user: User, reg: Registry, filters: Filters) -> Select:
    """Profiles of one registry visible to ``user``, filtered and in a stable order."""
    require_registry_role(user)
    model = reg.model
    stmt = (select(model).join(model.person).join(Person.region)
            .options(contains_eager(model.person).contains_eager(Person.region))
            .order_by(Region.path, Person.name, model.id))
    stmt = _narrow(stmt, user, filters)
    if filters.kind and reg.kind_column and filters.kind in reg.kind_labels:
        stmt = stmt.where(getattr(model, reg.kind_column) == filters.kind)
    if filters.status:
        stmt = stmt.where(model.status == filters.status)
    return stmt


def people_query(user: User, filters: Filters) -> Select:
    """All people visible to ``user`` (whatever their profiles), filtered."""
    require_registry_role(user)
    stmt = (select(Person).join(Person.region).options(contains_eager(Person.region))
            .order_by(Region.path, Person.name, Person.id))
    stmt = _narrow(stmt, user, filters)
    if filters.status:
        stmt = stmt.where(Person.status == filters.status)
    return stmt


def registry_page(user: User, reg: Registry, filters: Filters, *, page: int, per_page: int):
    """One page of ``registry_query`` (see services.paging: deep pages stay fast)."""
    from matchmaker.services.paging import paginate_by_key

    return paginate_by_key(registry_query(user, reg, filters), reg.model.id,
                           lambda profile: profile.id, page=page, per_page=per_page)


def people_page(user: User, filters: Filters, *, page: int, per_page: int):
    """One page of ``people_query``."""
    from matchmaker.services.paging import paginate_by_key

    return paginate_by_key(people_query(user, filters), Person.id, lambda person: person.id,
                           page=page, per_page=per_page)
