"""User accounts: creation, password checks, login bookkeeping."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from matchmaker.extensions import db
from matchmaker.models import Person, Region, User
from matchmaker.models.base import utcnow
from matchmaker.models.user import ROLES
from matchmaker.services import audit, tokens
from matchmaker.services.clock import as_utc
from matchmaker.services.errors import DomainError
from matchmaker.services.validation import parse_mobile

MIN_PASSWORD = 8
# Verified against when the username is unknown, so both paths cost one scrypt.
_DUMMY_HASH = generate_password_hash("not-a-password")


# Passwords people really choose that meet the length and mix rules anyway: refused.
COMMON_PASSWORDS = frozenset({
    "password1", "password123", "passw0rd", "p@ssw0rd", "p@ssword", "admin123", "admin1234",
    "admin888", "abc12345", "abcd1234", "abc123456", "a1234567", "a12345678", "aa123456",
    "aa12345678", "qwer1234", "qwerty123", "1qaz2wsx", "1q2w3e4r", "1q2w3e4r5t", "q1w2e3r4",
    "zxcv1234", "woaini1314", "woaini520", "iloveyou1", "123456aa", "123456abc", "12345678a",
    "123qwe123", "qq123456", "fulian123", "fulian2026", "matchmaker1",
})


def check_password_policy(password: str, *, username: str = "") -> None:
    """At least MIN_PASSWORD characters, letters with digits or symbols, not one of the
    passwords everyone tries first, and not the login name itself."""
    if len(password) < MIN_PASSWORD:
        raise DomainError(_("密码至少 %(n)s 位", n=MIN_PASSWORD), field="password")
    if not (re.search(r"[A-Za-z]", password) and re.search(r"[\d\W_]", password)):
        raise DomainError(_("密码须同时包含字母和数字或符号"), field="password")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS:
        raise DomainError(_("这个密码太常见，很容易被猜中，请换一个"), field="password")
    if username and username.lower() in lowered:
        raise DomainError(_("密码不能包含用户名"), field="password")


def create_user(*, username: str, password: str, role: str, display_name: str = "",
                regions: list[Region] | None = None, person: Person | None = None) -> User:
    username = username.strip()
    if not re.fullmatch(r"[A-Za-z0-9_.\-]{3,40}", username):
        raise DomainError(_("用户名须为 3–40 位字母、数字或 _ . -"), field="username")
    if role not in ROLES:
        raise DomainError(_("角色无效"), field="role")
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DomainError(_("用户名已被使用"), field="username")
    check_password_policy(password, username=username)
    if role == "coordinator" and not regions:
        raise DomainError(_("协调员必须指定负责的地区"), field="regions")
    user = User(username=username, role=role, display_name=display_name or username,
                password_hash=generate_password_hash(password), person=person,
                regions=list(regions or []) if role == "coordinator" else [])
    db.session.add(user)
    db.session.flush()
    return user


def update_user(*, user: User, role: str, display_name: str, regions: list[Region],
                active: bool, password: str = "", unlock_account: bool = False) -> User:
    """Change an account; a blank password leaves it as it is. A new password, or
    ``unlock_account``, ends a lockout."""
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
    elif unlock_account:
        unlock(user)
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
    check_password_policy(password, username=user.username)
    user.password_hash = generate_password_hash(password)
    unlock(user)  # a new password ends a lockout


def unlock(user: User) -> None:
    """Clear the wrong-password count and any lockout (an administrator, or a new password)."""
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()


def locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and as_utc(user.locked_until) > (now or utcnow())


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


class AccountLocked(DomainError):
    """Too many wrong passwords in a row: the account refuses logins for a while."""


def _lockout_settings() -> tuple[int, int]:
    cfg = current_app.config
    return int(cfg.get("LOGIN_LOCKOUT_ATTEMPTS", 5)), int(cfg.get("LOGIN_LOCKOUT_MINUTES", 15))


def _count_failure(user: User, now: datetime) -> None:
    """One more wrong password; the last one allowed locks the account (audited)."""
    attempts, minutes = _lockout_settings()
    # One UPDATE, so that wrong passwords sent at once through several workers all count.
    db.session.execute(update(User).where(User.id == user.id)
                       .values(failed_logins=User.failed_logins + 1))
    db.session.refresh(user, ["failed_logins"])
    if user.failed_logins >= attempts:
        user.failed_logins = 0
        user.locked_until = now + timedelta(minutes=minutes)
        audit.record("account_locked", target_type="user_account", target_id=user.id,
                     minutes=minutes)
    db.session.flush()


def authenticate(*, username: str, password: str) -> User | None:
    """The active user with these credentials, or None. The login name is a username or,
    for volunteers and donors, a mobile. The outcome is audited.

    LOGIN_LOCKOUT_ATTEMPTS wrong passwords in a row lock an account for
    LOGIN_LOCKOUT_MINUTES; while locked its password is not even checked (a guess cannot
    be confirmed), and :class:`AccountLocked` is raised instead of returning None."""
    now = utcnow()
    candidates = _login_candidates(username.strip())
    if not candidates:
        check_password_hash(_DUMMY_HASH, password)
        audit.record("login_failed", target_type="user_account")
        return None
    # Active accounts first: an old, disabled account must not shadow a live one.
    candidates.sort(key=lambda u: not u.active)
    open_ = [u for u in candidates if not locked(u, now)]
    user = next((u for u in open_ if _password_matches(u, password)), None)
    if not open_:
        check_password_hash(_DUMMY_HASH, password)
    if user is None or not user.active:
        target = user or (candidates[0] if len(candidates) == 1 else None)
        audit.record("login_failed", target_type="user_account",
                     target_id=target.id if target else None)
        if user is None:
            for account in open_:
                if account.active:
                    _count_failure(account, now)
        if any(locked(u, now) for u in candidates if u.active):
            _attempts, minutes = _lockout_settings()
            raise AccountLocked(_("连续多次密码错误，账号已暂时锁定。请 %(n)s 分钟后再试，"
                                  "或请管理员解锁。", n=minutes))
        return None
    user.last_login_at = now
    user.failed_logins = 0
    user.locked_until = None
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
