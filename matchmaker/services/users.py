"""User accounts: creation, password checks, login bookkeeping."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select, update
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


# The usernames new_personal_account makes (PERSONAL_PREFIX + person id).
_GENERATED_NAME = re.compile(r"[vd]\d+(-\d+)?")

# Passwords people really choose that meet the length and mix rules anyway: refused.
COMMON_PASSWORDS = frozenset({
    "password1", "password123", "passw0rd", "p@ssw0rd", "p@ssword", "admin123", "admin1234",
    "admin888", "abc12345", "abcd1234", "abc123456", "a1234567", "a12345678", "aa123456",
    "aa12345678", "qwer1234", "qwerty123", "1qaz2wsx", "1q2w3e4r", "1q2w3e4r5t", "q1w2e3r4",
    "zxcv1234", "woaini1314", "woaini520", "iloveyou1", "123456aa", "123456abc", "12345678a",
    "123qwe123", "qq123456", "fulian123", "fulian2026", "matchmaker1",
})


def check_password_policy(password: str, *, username: str = "", mobile: str = "") -> None:
    """At least MIN_PASSWORD characters, letters with digits or symbols, not one of the
    passwords everyone tries first, and containing neither the login name nor the
    mobile. Names of three characters or fewer, and the generated names of personal
    accounts (``v123``, which nobody sees: they log in with their mobile), are not
    checked — they would refuse ordinary passwords for no gain."""
    if len(password) < MIN_PASSWORD:
        raise DomainError(_("密码至少 %(n)s 位", n=MIN_PASSWORD), field="password")
    if not (re.search(r"[A-Za-z]", password) and re.search(r"[\d\W_]", password)):
        raise DomainError(_("密码须同时包含字母和数字或符号"), field="password")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS:
        raise DomainError(_("这个密码太常见，很容易被猜中，请换一个"), field="password")
    if (len(username) > 3 and not _GENERATED_NAME.fullmatch(username)
            and username.lower() in lowered):
        raise DomainError(_("密码不能包含用户名"), field="password")
    if mobile and mobile in password:
        raise DomainError(_("密码不能包含手机号"), field="password")


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
    check_password_policy(password, username=user.username,
                          mobile=(user.person.mobile or "") if user.person else "")
    user.password_hash = generate_password_hash(password)
    unlock(user)  # a new password ends a lockout


def unlock(user: User) -> None:
    """Clear the wrong-password count and any lockout (an administrator, the unlock
    command, or a new password); lifting a lock that still held is audited."""
    if locked(user):
        audit.record("account_unlocked", target_type="user_account", target_id=user.id)
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


def _lockout_settings() -> tuple[int, int]:
    """(wrong passwords in a row that lock an account, minutes it stays locked); 0 attempts
    turns the lockout off."""
    cfg = current_app.config
    return int(cfg.get("LOGIN_LOCKOUT_ATTEMPTS", 5)), int(cfg.get("LOGIN_LOCKOUT_MINUTES", 15))


def _claim_attempt(user: User, now: datetime, attempts: int) -> bool:
    """Count this attempt before its password is checked: one UPDATE that succeeds only
    while the account is open and under the limit. It holds the row until the request
    ends, so attempts on one account run one at a time, and guesses sent all at once get
    no more password checks than the limit allows."""
    if attempts <= 0:
        return True
    claimed = db.session.execute(
        update(User)
        .where(User.id == user.id, User.failed_logins < attempts,
               or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)).scalar()
    db.session.refresh(user, ["failed_logins", "locked_until"])
    return claimed is not None


def _lock_if_spent(user: User, now: datetime, attempts: int, minutes: int) -> None:
    """After a wrong password: the attempt that used up the limit locks the account."""
    if attempts > 0 and user.failed_logins >= attempts:
        user.failed_logins = 0
        user.locked_until = now + timedelta(minutes=minutes)
        audit.record("account_locked", target_type="user_account", target_id=user.id,
                     minutes=minutes)
        db.session.flush()


def login_failed_message() -> str:
    attempts, minutes = _lockout_settings()
    if attempts <= 0:
        return _("用户名或密码不正确")
    return _("用户名或密码不正确。连续输错 %(n)s 次，账号将锁定 %(m)s 分钟；"
             "如已被锁定，请稍后再试或请管理员解锁。", n=attempts, m=minutes)


def authenticate(*, username: str, password: str) -> User | None:
    """The active user with these credentials, or None. The login name is a username or,
    for volunteers and donors, a mobile. The outcome is audited.

    LOGIN_LOCKOUT_ATTEMPTS wrong passwords in a row lock an account for
    LOGIN_LOCKOUT_MINUTES. A locked account's password is not even checked (a guess
    cannot be confirmed), and the answer is the same as for a wrong password or an
    unknown name, so that guessing tells nobody which accounts exist."""
    now = utcnow()
    attempts, minutes = _lockout_settings()
    candidates = _login_candidates(username.strip())
    # Active accounts first: an old, disabled account must not shadow a live one.
    candidates.sort(key=lambda u: not u.active)
    user, checked = None, []
    for account in candidates:
        if account.active and not _claim_attempt(account, now, attempts):
            continue  # locked, or as many attempts in flight as the limit allows
        checked.append(account)
        if _password_matches(account, password):
            user = account
            break
    if not checked:
        check_password_hash(_DUMMY_HASH, password)  # the same cost as a real check
    if user is None or not user.active:
        target = user or (candidates[0] if len(candidates) == 1 else None)
        audit.record("login_failed", target_type="user_account",
                     target_id=target.id if target else None)
        for account in checked:
            if account.active and account is not user:
                _lock_if_spent(account, now, attempts, minutes)
        return None
    user.last_login_at = now
    user.failed_logins = 0
    user.locked_until = None
    # The other accounts on a shared mobile were not guessed at: give their attempt back.
    for account in checked:
        if account is not user and account.active and attempts > 0:
            account.failed_logins = max(0, account.failed_logins - 1)
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
