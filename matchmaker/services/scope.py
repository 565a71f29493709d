"""Who may see whom: roles and the region scope of coordinators."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import false, or_, select

from matchmaker.extensions import db
from matchmaker.models import Person, Region, User
from matchmaker.services.errors import Forbidden, NotFound

REGISTRY_ROLES = ("admin", "coordinator")
# Roles that may have a full ID number or mobile shown on request (each reveal audited).
REVEAL_ROLES = ("admin", "coordinator")


def require_registry_role(user: User) -> None:
    if not user.has_role(*REGISTRY_ROLES):
        raise Forbidden(_("您的账号没有查看登记册的权限"))


def scope_paths(user: User) -> list[str] | None:
    """Region path prefixes the user may see; ``None`` means everywhere (admin)."""
    if user.role == "admin":
        return None
    if user.role == "coordinator":
        return [r.path for r in user.regions]
    return []


def region_filter(user: User, path_column):
    """A SQL condition limiting ``path_column`` to the user's regions."""
    paths = scope_paths(user)
    if paths is None:
        return None
    if not paths:
        return false()
    return or_(*(path_column.startswith(p, autoescape=True) for p in paths))


def in_scope(user: User, region: Region) -> bool:
    paths = scope_paths(user)
    return paths is None or any(region.path.startswith(p) for p in paths)


def get_person(user: User, person_id: int) -> Person:
    """The person, if the user may see her; otherwise ``NotFound`` (never "forbidden", so
    that a coordinator cannot probe which people exist elsewhere)."""
    require_registry_role(user)
    person = db.session.get(Person, person_id)
    if person is None or not in_scope(user, person.region):
        raise NotFound(_("找不到这个人员，或不在您负责的地区内"))
    return person


def assignable_regions(user: User) -> list[Region]:
    """Regions a person may be registered in by this user (towns and villages in scope)."""
    stmt = select(Region).order_by(Region.path)
    cond = region_filter(user, Region.path)
    if cond is not None:
        stmt = stmt.where(cond)
    return list(db.session.scalars(stmt))


def region_by_code(user: User, code: str) -> Region:
    region = db.session.scalar(select(Region).where(Region.code == code))
    if region is None or not in_scope(user, region):
        raise NotFound(_("地区不存在或不在您负责的范围内"), field="region")
    return region
