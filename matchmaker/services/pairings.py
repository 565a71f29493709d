"""Pairings after approval: follow-ups, completion, ending, and re-matching one that
broke while every other pairing stays as it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import Select, func, select, update

from matchmaker.extensions import db
from matchmaker.models import FollowUp, Pairing, Person, Programme, Region, User
from matchmaker.models.base import utcnow
from matchmaker.models.pairing import FOLLOW_UP_KINDS
from matchmaker.services.clock import today
from matchmaker.services.errors import DomainError, Forbidden, NotFound
from matchmaker.services.review import release_capacity
from matchmaker.services.scope import in_scope, region_filter
from matchmaker.services.validation import clean_text


def pairings_query(user: User, programme: Programme, status: str = "") -> Select:
    stmt = (select(Pairing).join(Person, Person.id == Pairing.mentee_person_id)
            .join(Region, Region.id == Person.region_id)
            .where(Pairing.programme_id == programme.id)
            .order_by(Region.path, Pairing.id))
    scope = region_filter(user, Region.path)
    if scope is not None:
        stmt = stmt.where(scope)
    if status:
        stmt = stmt.where(Pairing.status == status)
    return stmt


def get_pairing(user: User, pairing_id: int) -> Pairing:
    pairing = db.session.get(Pairing, pairing_id)
    if pairing is None:
        raise NotFound(_("找不到这个结对"))
    mentee = db.session.get(Person, pairing.mentee_person_id)
    if not in_scope(user, mentee.region):
        raise NotFound(_("找不到这个结对"))
    return pairing


def close_pairing(*, user: User, pairing: Pairing, status: str, reason: str = "",
                  on: date | None = None) -> None:
    """Complete or end an active pairing and give the mentor her place back."""
    if status not in ("completed", "ended"):
        raise DomainError(_("状态无效"))
    reason = clean_text(reason, field="reason", label=_("原因"), max_length=500,
                        required=status == "ended")
    done = db.session.execute(
        update(Pairing).where(Pairing.id == pairing.id, Pairing.status == "active")
        .values(status=status, end_reason=reason, ended_on=on or today(),
                updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise DomainError(_("这个结对已不在进行中"))
    release_capacity(pairing.mentor_id)
    db.session.refresh(pairing)
    db.session.refresh(pairing.mentor)


@dataclass
class FollowUpInput:
    on: date
    kind: str
    notes: str = ""
    income_change: str = ""  # yuan per month, may be negative
    business_started: bool = False


def add_follow_up(*, user: User, pairing: Pairing, data: FollowUpInput) -> FollowUp:
    if pairing.status != "active":
        raise DomainError(_("这个结对已结束，不能再记录跟踪服务"))
    if data.kind not in FOLLOW_UP_KINDS:
        raise DomainError(_("请选择跟踪方式"), field="kind")
    if data.on > today():
        raise DomainError(_("日期不能晚于今天"), field="on")
    if data.on < pairing.started_on:
        raise DomainError(_("日期不能早于结对开始日期"), field="on")
    fen = None
    if data.income_change.strip():
        try:
            amount = Decimal(data.income_change.strip())
        except InvalidOperation:
            raise DomainError(_("收入变化应为金额，如 500 或 -200.50"),
                              field="income_change") from None
        if not amount.is_finite() or abs(amount) > 1_000_000 \
                or amount != amount.quantize(Decimal("0.01")):
            raise DomainError(_("收入变化应为金额，如 500 或 -200.50"), field="income_change")
        fen = int(amount * 100)
    follow = FollowUp(pairing=pairing, on=data.on, kind=data.kind,
                      notes=clean_text(data.notes, field="notes", label=_("记录"),
                                       max_length=2000),
                      income_change_fen=fen, business_started=data.business_started,
                      recorded_by=user.id, recorded_at=utcnow())
    db.session.add(follow)
    db.session.flush()
    return follow


def follow_ups(pairing: Pairing) -> list[FollowUp]:
    return list(db.session.scalars(select(FollowUp).where(FollowUp.pairing_id == pairing.id)
                                   .order_by(FollowUp.on.desc(), FollowUp.id.desc())))


def overdue(user: User, programme: Programme, days: int) -> list[tuple[Pairing, date | None]]:
    """Active pairings with no follow-up in the last ``days`` days (nor since they began)."""
    cutoff = today() - timedelta(days=days)
    last = (select(FollowUp.pairing_id, func.max(FollowUp.on).label("last"))
            .group_by(FollowUp.pairing_id).subquery())
    stmt = (pairings_query(user, programme, "active")
            .outerjoin(last, last.c.pairing_id == Pairing.id)
            .add_columns(last.c.last)
            .where(func.coalesce(last.c.last, Pairing.started_on) < cutoff))
    return [(p, d) for p, d in db.session.execute(stmt).all()]


def rematch(*, user: User, pairing: Pairing, reason: str, enqueue=None):
    """End a pairing that broke and run the programme again: every other active pairing
    is pinned, and this pair is never proposed again. All or nothing: if the run cannot
    start, the pairing stays as it was."""
    from matchmaker.services.match_runs import start_run

    if not in_scope(user, pairing.programme.region):
        raise Forbidden(_("这个项目覆盖您负责范围以外的地区，请上级协调员重新匹配"))
    try:
        with db.session.begin_nested():
            close_pairing(user=user, pairing=pairing, status="ended", reason=reason)
            return start_run(user=user, programme=pairing.programme, enqueue=enqueue)
    except DomainError:
        db.session.expire_all()  # what the rolled-back savepoint read is stale
        raise


def status_counts(user: User, programme: Programme) -> dict[str, int]:
    stmt = pairings_query(user, programme).subquery()
    rows = db.session.execute(select(stmt.c.status, func.count()).group_by(stmt.c.status))
    return dict(rows.all())
