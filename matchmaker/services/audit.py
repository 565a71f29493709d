"""The audit trail: every write to an audited row, every view of a minor's full record,
every reveal of a personal number and every export becomes an ``AuditEvent``.

Writes are captured by a session listener, so no operation can forget them; the actor is
set once per request (or per CLI command) in a context variable.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.models import AuditEvent
from matchmaker.models.base import N_, Audited, utcnow


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    name: str


SYSTEM = Actor(None, "system")
_actor: ContextVar[Actor] = ContextVar("matchmaker_actor", default=SYSTEM)


def set_actor(actor: Actor) -> None:
    _actor.set(actor)


def current_actor() -> Actor:
    return _actor.get()


@contextmanager
def acting_as(actor: Actor):
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def record(action: str, *, target_type: str = "", target_id: int | None = None,
           **detail: object) -> AuditEvent:
    """Record an event that is not a row write (a view, a reveal, an export, a login)."""
    actor = current_actor()
    ev = AuditEvent(
        user_id=actor.user_id, actor=actor.name, action=action,
        target_type=target_type, target_id=target_id, detail=detail,
    )
    db.session.add(ev)
    return ev


ACTION_LABELS = {
    "create": N_("新增"), "update": N_("修改"), "delete": N_("删除"),
    "view_minor": N_("查看未成年人档案"), "reveal": N_("查看完整号码"),
    "login": N_("登录"), "login_failed": N_("登录失败"), "logout": N_("退出"),
    "account_locked": N_("连续输错密码，账号锁定"), "account_unlocked": N_("解除登录锁定"),
    "export": N_("导出"),
    "match_run": N_("运行匹配"), "set_password": N_("设置密码"),
    "volunteer_rejected": N_("退回志愿者报名"), "donor_invited": N_("邀请捐助人"),
    "import": N_("导入"), "import_conflict": N_("导入时发现其他地区的人员"),
    "erase": N_("删除或匿名化个人信息"), "purge": N_("按保存期限清理"),
}


def _changed_fields(obj: Audited) -> list[str]:
    state = inspect(obj)
    skip = set(obj.__audit_exclude__)
    return sorted(
        attr.key for attr in state.attrs
        if attr.key not in skip and attr.history.has_changes()
        and attr.key in state.mapper.columns
    )


def _write_events(session: Session, flush_context: object) -> None:
    rows = []
    actor = current_actor()
    now = utcnow()
    groups = (("create", session.new), ("update", session.dirty), ("delete", session.deleted))
    for action, objs in groups:
        for obj in objs:
            if not isinstance(obj, Audited):
                continue
            detail: dict[str, object] = {}
            if action == "update":
                fields = _changed_fields(obj)
                if not fields:
                    continue
                detail["fields"] = fields
            rows.append({
                "at": now, "user_id": actor.user_id, "actor": actor.name,
                "action": action, "target_type": obj.__tablename__,
                # New rows have their key by now, though not yet their identity.
                "target_id": inspect(obj).mapper.primary_key_from_instance(obj)[0],
                "detail": detail,
            })
    if rows:
        session.connection().execute(insert(AuditEvent), rows)


def install(session_class: type[Session] = Session) -> None:
    """Listen to every flush of every session (idempotent)."""
    if not event.contains(session_class, "after_flush", _write_events):
        event.listen(session_class, "after_flush", _write_events)
