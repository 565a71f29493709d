"""User accounts: creation, password checks, login bookkeeping."""

from __future__ import annotations

import re
import secrets

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from matchmaker.extensions import db
from matchmaker.models import Person, Region, User
from matchmaker.models.base import utcnow
from matchmaker.models.user import ROLES
from matchmaker.services import audit, tokens
from matchmaker.services.errors import DomainError
from matchmaker.services.validation import parse_mobile

MIN_PASSWORD = 8
# Verified against when the username is unknown, so both paths cost one scrypt.
_DUMMY_HASH = generate_password_hash("not-a-password")


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise DomainError(_("密码至少 %(n)s 位", n=MIN_PASSWORD), field="password")
    if not (re.search(r"[A-Za-z]", password) and re.search(r"[\d\W_]", password)):
        raise DomainError(_("密码须同时包含字母和数字或符号"), field="password")


def create_user(*, username: str, password: str, role: str, display_name: str = "",
                regions: list[Region] | None = None, person: Person | None = None) -> User:
    username = username.strip()
    if not re.fullmatch(r"[A-Za-z0-9_.\-]{3,40}", username):
        raise DomainError(_("用户名须为 3–40 位字母、数字或 _ . -"), field="username")
    if role not in ROLES:
        raise DomainError(_("角色无效"), field="role")
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DomainError(_("用户名已被使用"), field="username")
    check_password_policy(password)
    if role == "coordinator" and not regions:
        raise DomainError(_("协调员必须指定负责的地区"), field="regions")
    user = User(username=username, role=role, display_name=display_name or username,
                password_hash=generate_password_hash(password), person=person,
                regions=list(regions or []) if role == "coordinator" else [])
    db.session.add(user)
    db.session.flush()
    return user


def update_user(*, user: User, role: str, display_name: str, regions: list[Region],
                active: bool, password: str = "") -> User:
    """Change an account; a blank password leaves it as it is."""
    if role not in ROLES:
        raise DomainError(_("角色无效"), field="role")
    if role == "coordinator" and not regions:
        raise DomainError(_("协调员必须指定负责的地区"), field="regions")
    user.role = role
    user.display_name = display_name or user.username
    user.regions = list(regions) if role == "coordinator" else []
    user.active = active
    if password:
        set_password(user=user, password=password)
    db.session.flush()
    return user


def all_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.role, User.username)))


def scope_regions() -> list[Region]:
    """Regions a coordinator can be made responsible for (down to towns)."""
    return list(db.session.scalars(
        select(Region).where(Region.level != "village").order_by(Region.path)))


def regions_by_code(codes: list[str]) -> list[Region]:
    found = list(db.session.scalars(select(Region).where(Region.code.in_(codes or []))))
    if len(found) != len(set(codes or [])):
        raise DomainError(_("未知的地区"), field="regions")
    return found


def set_password(*, user: User, password: str) -> None:
    check_password_policy(password)
    user.password_hash = generate_password_hash(password)
    db.session.flush()


# Roles that may log in with their mobile instead of a username.
MOBILE_LOGIN_ROLES = ("volunteer", "donor")


def _login_candidates(login: str) -> list[User]:
    """Accounts the login name may mean: the one with that username, and, when it reads
    as a mainland mobile, the active volunteer and donor accounts of people with that
    mobile (family members may share one, so there can be several)."""
    found: list[User] = []
    by_name = db.session.scalar(select(User).where(User.username == login))
    if by_name is not None:
        found.append(by_name)
    try:
        mobile = parse_mobile(login)
    except DomainError:
        return found
    by_mobile = db.session.scalars(
        select(User).join(User.person).where(
            Person.mobile == mobile, User.role.in_(MOBILE_LOGIN_ROLES),
            User.active.is_(True)).order_by(User.id))
    return found + [u for u in by_mobile if u not in found]


def _password_matches(user: User, password: str) -> bool:
    if user.password_hash.startswith("!"):  # no password yet: cost the same as a real one
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(user.password_hash, password)


def authenticate(*, username: str, password: str) -> User | None:
    """The active user with these credentials, or None. The login name is a username or,
    for volunteers and donors, a mobile. The outcome is audited."""
    candidates = _login_candidates(username.strip())
    if not candidates:
        check_password_hash(_DUMMY_HASH, password)
        audit.record("login_failed", target_type="user_account")
        return None
    # Active accounts first: an old, disabled account must not shadow a live one.
    candidates.sort(key=lambda u: not u.active)
    user = next((u for u in candidates if _password_matches(u, password)), None)
    if user is None or not user.active:
        target = user or (candidates[0] if len(candidates) == 1 else None)
        audit.record("login_failed", target_type="user_account",
                     target_id=target.id if target else None)
        return None
    user.last_login_at = utcnow()
    with audit.acting_as(audit.Actor(user.id, user.username)):
        audit.record("login", target_type="user_account", target_id=user.id)
    return user


def unusable_password_hash() -> str:
    """A stored hash no password matches (an account waiting for its set-password link);
    werkzeug refuses it at once, as it has no method part."""
    return "!" + secrets.token_hex(20)


PERSONAL_PREFIX = {"volunteer": "v", "donor": "d"}


def new_personal_account(*, person: Person, role: str, display_name: str) -> User:
    """An account for a volunteer or a donor, waiting for her set-password link: the
    username is the role's letter and her person id (never her mobile, which she logs in
    with anyway), with a suffix in the unlikely case it is taken."""
    base = f"{PERSONAL_PREFIX[role]}{person.id}"
    name, n = base, 1
    while db.session.scalar(select(User.id).where(User.username == name)) is not None:
        n += 1
        name = f"{base}-{n}"
    account = User(role=role, username=name, display_name=display_name[:40], person=person,
                   password_hash=unusable_password_hash(), active=True)
    db.session.add(account)
    db.session.flush()
    return account


def set_password_with_token(*, token: str, password: str) -> User:
    """Set a password through a one-time link; a refused password leaves the link usable."""
    check_password_policy(password)
    user = tokens.redeem(token, "set_password")
    set_password(user=user, password=password)
    with audit.acting_as(audit.Actor(user.id, user.username)):
        audit.record("set_password", target_type="user_account", target_id=user.id)
    return user


def get_user(admin: User, user_id: int) -> User:
    """An account, for an administrator."""
    from matchmaker.services.errors import Forbidden, NotFound

    if not admin.has_role("admin"):
        raise Forbidden(_("只有管理员可以管理账号"))
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("找不到这个账号"))
    return user
