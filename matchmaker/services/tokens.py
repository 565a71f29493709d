"""One-time links (set a password): the raw token goes out once, by SMS; the token table
keeps only its SHA-256, and the outbox keeps the link apart from the message body and
forgets it once it is sent, used or superseded (``notifications.forget_secrets``).

A token is good once, until it expires, and only while it is the user's newest one for
its purpose. Raw tokens are never logged nor written anywhere but the message itself.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from matchmaker.extensions import db
from matchmaker.models import OneTimeToken, User
from matchmaker.models.base import utcnow
from matchmaker.models.user import TOKEN_PURPOSES
from matchmaker.services import notifications
from matchmaker.services.errors import DomainError

# token_urlsafe(32) makes 43 characters; anything much longer is not one of ours.
_MAX_RAW = 100


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def ttl_hours() -> int:
    return int(current_app.config.get("SET_PASSWORD_TTL_HOURS", 72))


def revoke(user: User, purpose: str = "set_password") -> int:
    """Mark the user's unused tokens for this purpose as used; returns how many were."""
    now = utcnow()
    live = list(db.session.scalars(select(OneTimeToken).where(
        OneTimeToken.user_id == user.id, OneTimeToken.purpose == purpose,
        OneTimeToken.used_at.is_(None))))
    for t in live:
        t.used_at = now
    if user.person_id:
        notifications.forget_secrets(user.person_id)
    db.session.flush()
    return len(live)


def issue(user: User, purpose: str = "set_password") -> str:
    """A new raw token for the user; her earlier unused ones stop working."""
    if purpose not in TOKEN_PURPOSES:
        raise DomainError(_("链接用途无效"))
    revoke(user, purpose)
    raw = secrets.token_urlsafe(32)
    db.session.add(OneTimeToken(user_id=user.id, purpose=purpose, token_hash=_digest(raw),
                                expires_at=utcnow() + timedelta(hours=ttl_hours())))
    db.session.flush()
    return raw


def peek(raw: str, purpose: str = "set_password") -> OneTimeToken | None:
    """The token if it can still be used (unused, unexpired, its account active)."""
    if not raw or len(raw) > _MAX_RAW:
        return None
    return db.session.scalar(
        select(OneTimeToken).join(OneTimeToken.user).where(
            OneTimeToken.token_hash == _digest(raw), OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None), OneTimeToken.expires_at > utcnow(),
            User.active.is_(True)))


def redeem(raw: str, purpose: str = "set_password") -> User:
    """Use the token once: returns its user, or refuses an unknown, used or expired one."""
    token = peek(raw, purpose)
    if token is None:
        raise DomainError(_("链接已失效或已使用，请联系所在地妇联重新发送"))
    # Conditional, so that of two requests racing with one link only one gets through.
    done = db.session.execute(
        update(OneTimeToken).where(OneTimeToken.id == token.id, OneTimeToken.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    db.session.expire(token, ["used_at"])
    if done.rowcount != 1:
        raise DomainError(_("链接已失效或已使用，请联系所在地妇联重新发送"))
    if token.user.person_id:
        notifications.forget_secrets(token.user.person_id)
    return token.user
