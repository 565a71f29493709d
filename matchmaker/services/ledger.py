"""Awards reserve money and disbursements pay it. Overspending and double payment are
impossible by construction: every change to a fund's totals is one conditional UPDATE
whose row count is checked (SQLite ignores SELECT … FOR UPDATE, so reading first and
writing after would overspend there), and every payment carries a unique key."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from matchmaker.extensions import db
from matchmaker.models import Application, Award, Disbursement, Fund, User
from matchmaker.models.base import utcnow
from matchmaker.services.errors import DomainError
from matchmaker.services.money import to_yuan


def _reserve(fund_id: int, fen: int) -> None:
    done = db.session.execute(
        update(Fund).where(Fund.id == fund_id,
                           Fund.reserved_fen + Fund.paid_fen + fen <= Fund.budget_fen)
        .values(reserved_fen=Fund.reserved_fen + fen)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise DomainError(_("资金余额不足，不能批准"))


def approve_award(*, user: User, application: Application) -> Award:
    """Turn an application into an award, reserving its amount within the budget."""
    if application.status != "submitted":
        raise DomainError(_("这份申请已处理"))
    try:
        with db.session.begin_nested():
            _reserve(application.fund_id, application.amount_fen)
            award = Award(fund_id=application.fund_id, application_id=application.id,
                          person_id=application.person_id, amount_fen=application.amount_fen,
                          status="approved", approved_by=user.id, approved_at=utcnow())
            db.session.add(award)
            db.session.flush()
            done = db.session.execute(
                update(Application).where(Application.id == application.id,
                                          Application.status == "submitted")
                .values(status="awarded").execution_options(synchronize_session=False))
            if done.rowcount != 1:
                raise DomainError(_("这份申请已处理"))
    except IntegrityError:
        db.session.expire_all()
        raise DomainError(_("此人已获得本项资金的资助，不能重复资助")) from None
    except DomainError:
        db.session.expire_all()
        raise
    db.session.expire(application)
    db.session.expire(db.session.get(Fund, application.fund_id))
    return award


def _chunks(items: list, size: int = 5000):
    """Slices for IN lists: PostgreSQL takes at most 65,535 parameters a statement, and
    SQLite builds may stop at 32,766."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


class _NotTogether(Exception):
    """The applications cannot all be approved in one go."""


def approve_together(*, user: User, applications: list[Application]) -> bool:
    """Approve applications to one fund all at once, or none of them: one reservation of
    their total, one insert of the awards, one status update. Returns False, having
    written nothing, when they cannot all go through (the budget does not cover them
    all, one was handled meanwhile, a person is in twice or has an award already) — the
    caller then approves them one by one with ``approve_award``, which gives each her
    award or her reason.

    Approving one by one inside one request writes the fund's row once per award; on
    PostgreSQL each of those updates leaves a row version the next one must step over
    until the transaction ends, so 2,000 awards took 11 s and 4,000 took 22 s."""
    if not applications:
        return True
    fund_ids = {a.fund_id for a in applications}
    if len(fund_ids) != 1:
        raise ValueError("approve_together takes applications to one fund")
    fund_id = fund_ids.pop()
    ids = [a.id for a in applications]
    person_ids = [a.person_id for a in applications]
    try:
        with db.session.begin_nested():
            if len(set(person_ids)) != len(person_ids) or len(set(ids)) != len(ids):
                raise _NotTogether
            for chunk in _chunks(person_ids):
                if db.session.scalar(select(func.count(Award.id)).where(
                        Award.fund_id == fund_id, Award.person_id.in_(chunk))):
                    raise _NotTogether
            _reserve(fund_id, sum(a.amount_fen for a in applications))
            now = utcnow()
            db.session.add_all([
                Award(fund_id=fund_id, application_id=a.id, person_id=a.person_id,
                      amount_fen=a.amount_fen, status="approved", approved_by=user.id,
                      approved_at=now)
                for a in applications])
            db.session.flush()
            changed = sum(db.session.execute(
                update(Application).where(Application.id.in_(chunk),
                                          Application.status == "submitted")
                .values(status="awarded").execution_options(synchronize_session=False)
            ).rowcount for chunk in _chunks(ids))
            if changed != len(ids):
                raise _NotTogether
    except (_NotTogether, DomainError, IntegrityError):
        db.session.expire_all()
        return False
    for a in applications:
        db.session.expire(a)
    db.session.expire(db.session.get(Fund, fund_id))
    return True


def cancel_award(*, award: Award) -> None:
    """Cancel an award and give back what was reserved and not yet paid."""
    if award.status != "approved":
        raise DomainError(_("这项资助已取消"))
    left = award.amount_fen - award.paid_fen
    done = db.session.execute(
        update(Award).where(Award.id == award.id, Award.status == "approved")
        .values(status="cancelled").execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise DomainError(_("这项资助已取消"))
    db.session.execute(
        update(Fund).where(Fund.id == award.fund_id, Fund.reserved_fen >= left)
        .values(reserved_fen=Fund.reserved_fen - left)
        .execution_options(synchronize_session=False))
    db.session.expire_all()


def disburse(*, user: User, award: Award, amount_fen: int, paid_on: date,
             idempotency_key: str) -> Disbursement:
    """Pay (part of) an award. The same key again returns the first payment instead of
    paying twice — a double click, a retried request, two tabs."""
    key = (idempotency_key or "").strip()
    if not 8 <= len(key) <= 64:
        raise DomainError(_("缺少付款编号，请刷新页面后重试"))
    existing = db.session.scalar(select(Disbursement).where(
        Disbursement.idempotency_key == key))
    if existing is not None:
        return _same(existing, award, amount_fen)
    if amount_fen <= 0:
        raise DomainError(_("金额必须大于 0"), field="amount")
    try:
        with db.session.begin_nested():
            paid = db.session.execute(
                update(Award).where(Award.id == award.id, Award.status == "approved",
                                    Award.paid_fen + amount_fen <= Award.amount_fen)
                .values(paid_fen=Award.paid_fen + amount_fen)
                .execution_options(synchronize_session=False))
            if paid.rowcount != 1:
                raise DomainError(_("发放金额超过资助余额 %(left)s 元",
                                    left=to_yuan(award.amount_fen - award.paid_fen)),
                                  field="amount")
            moved = db.session.execute(
                update(Fund).where(Fund.id == award.fund_id, Fund.reserved_fen >= amount_fen)
                .values(reserved_fen=Fund.reserved_fen - amount_fen,
                        paid_fen=Fund.paid_fen + amount_fen)
                .execution_options(synchronize_session=False))
            if moved.rowcount != 1:
                raise DomainError(_("资金预留不足，不能发放"))
            entry = Disbursement(award_id=award.id, fund_id=award.fund_id,
                                 amount_fen=amount_fen, paid_on=paid_on,
                                 idempotency_key=key, created_by=user.id)
            db.session.add(entry)
            db.session.flush()
    except IntegrityError:
        # The same key committed meanwhile by another request: that payment stands.
        db.session.expire_all()
        existing = db.session.scalar(select(Disbursement).where(
            Disbursement.idempotency_key == key))
        if existing is None:
            raise
        return _same(existing, award, amount_fen)
    except DomainError:
        db.session.expire_all()
        raise
    db.session.expire(award)
    db.session.expire(db.session.get(Fund, award.fund_id))
    return entry


def _same(existing: Disbursement, award: Award, amount_fen: int) -> Disbursement:
    if existing.award_id != award.id or existing.amount_fen != amount_fen:
        raise DomainError(_("付款编号已用于另一笔发放"))
    return existing


def balance_fen(fund: Fund) -> int:
    return fund.budget_fen - fund.reserved_fen - fund.paid_fen
