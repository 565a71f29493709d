"""Spring Bud donations (春蕾结对助学) with receipts, and the funds they go to.

Every donation is split: a configurable share (``SPRING_BUD_RESERVE_SHARE``) goes to the
region's continuity reserve (续助储备金), the rest to its sponsorship pool. Both are
ordinary grant funds (kind 'stipend'), one of each per region and year, made on first use;
a donation raises the fund's budget, a term payment is an award and a disbursement in the
ledger — so the grants pages, exports and balances show this money like any other.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from matchmaker.extensions import db
from matchmaker.models import (
    Donation,
    DonorProfile,
    Fund,
    Pledge,
    Region,
    User,
)
from matchmaker.services import clock
from matchmaker.services.errors import DomainError, NotFound
from matchmaker.services.money import parse_yuan, to_fen, to_yuan
from matchmaker.services.pledges import EARLIEST, donor_name
from matchmaker.services.scope import in_scope, region_filter

DEFAULT_RESERVE_SHARE = "0.10"


# ---------------------------------------------------------------- funds

def _fund_names(year: int) -> tuple[str, str]:
    return f"{year} 春蕾结对助学（捐助）", f"{year} 春蕾续助储备金"


def _find_fund(region: Region, year: int, name: str) -> Fund | None:
    return db.session.scalar(select(Fund).where(
        Fund.region_id == region.id, Fund.year == year, Fund.name == name).limit(1))


def _get_or_create_fund(region: Region, year: int, name: str, description: str) -> Fund:
    """The fund, made on first use. Two first donations at the same moment both find none:
    one insert wins (``uq_fund_region_year_name``), the other rolls back its savepoint and
    takes the winner's fund."""
    fund = _find_fund(region, year, name)
    if fund is not None:
        return fund
    try:
        with db.session.begin_nested():
            fund = Fund(name=name, year=year, kind="stipend", region_id=region.id,
                        budget_fen=0, reserved_fen=0, paid_fen=0, rule="standard",
                        eligibility={"pool": "spring_bud"}, region_min={},
                        priority_weights={}, description=description)
            db.session.add(fund)
            db.session.flush()
    except IntegrityError:
        fund = _find_fund(region, year, name)
        if fund is None:
            raise
    return fund


def pool_fund(region: Region, year: int) -> Fund:
    """The region's sponsorship pool for the year (donations less the reserve share)."""
    return _get_or_create_fund(region, year, _fund_names(year)[0],
                               _("捐助人捐款（扣除续助储备金后）；按学期发放给结对的春蕾学员"))


def reserve_fund(region: Region, year: int) -> Fund:
    """The region's continuity reserve for the year: pays girls whose donor's pledge
    lapsed, until a new sponsor is found."""
    return _get_or_create_fund(region, year, _fund_names(year)[1],
                               _("每笔捐款按比例留存；捐助人承诺中断时继续资助学员"))


def reserve_share() -> Decimal:
    raw = current_app.config.get("SPRING_BUD_RESERVE_SHARE", DEFAULT_RESERVE_SHARE)
    try:
        share = Decimal(str(raw))
    except InvalidOperation:
        share = Decimal(-1)
    if not Decimal(0) <= share < Decimal(1):
        raise DomainError(_("续助储备金比例配置有误，应为 0 到 1 之间的小数"))
    return share


def reserve_part(amount_fen: int, share: Decimal) -> int:
    """The reserve's part of a donation, in fen, rounded half up."""
    return int((Decimal(amount_fen) * share).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _raise_budget(fund: Fund, fen: int) -> None:
    if fen <= 0:
        return
    done = db.session.execute(
        update(Fund).where(Fund.id == fund.id, Fund.budget_fen >= 0)
        .values(budget_fen=Fund.budget_fen + fen)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise DomainError(_("资金不存在，不能入账"))
    db.session.expire(fund)


# ---------------------------------------------------------------- donations and receipts

def _receipts_one_at_a_time(year: int) -> None:
    """Serialise receipt numbering of a year until the transaction ends, so that donations
    recorded at the same moment do not all read the same last number. PostgreSQL: a
    transaction-scoped advisory lock on a hash of "receipt:{year}"; SQLite already
    serialises writers (BEGIN IMMEDIATE). The unique receipt number stays the last line."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(f"receipt:{year}".encode()).digest()[:8], "big",
                         signed=True)
    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _next_receipt_no(year: int) -> str:
    prefix = f"CL{year}-"
    last = db.session.scalar(select(func.max(Donation.receipt_no)).where(
        Donation.receipt_no.startswith(prefix, autoescape=True)))
    n = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{n:06d}"


def record_donation(*, user: User, donor: DonorProfile, amount: Decimal | str | int,
                    received_on: date, pledge: Pledge | None = None,
                    region: Region | None = None) -> Donation:
    """Money received from a donor, with a receipt number of its year (CL2026-000123).

    The reserve share goes to the region's continuity reserve, the rest to its pool; each
    fund's budget rises in one UPDATE. The region is the pledge's, else ``region``, else
    the region of the donor's newest active pledge."""
    if not in_scope(user, donor.person.region):
        raise NotFound(_("找不到这位捐助人，或不在您负责的地区内"), field="donor")
    if pledge is not None:
        if pledge.donor_id != donor.id:
            raise DomainError(_("这项承诺不是这位捐助人的"), field="pledge")
        if not in_scope(user, pledge.region):
            raise NotFound(_("找不到这项捐助承诺"), field="pledge")
        region = pledge.region
    if region is None:
        newest = db.session.scalar(select(Pledge).where(
            Pledge.donor_id == donor.id, Pledge.status == "active")
            .order_by(Pledge.id.desc()).limit(1))
        region = newest.region if newest is not None else None
    if region is None or not in_scope(user, region):
        raise DomainError(_("请选择受理这笔捐款的地区"), field="region")
    if not isinstance(received_on, date):
        raise DomainError(_("请填写收款日期"), field="received_on")
    if received_on > clock.today():
        raise DomainError(_("收款日期不能晚于今天"), field="received_on")
    if received_on < EARLIEST:
        raise DomainError(_("日期不能早于 2000 年"), field="received_on")
    amount_fen = to_fen(parse_yuan(amount, field="amount"))
    reserve_fen = reserve_part(amount_fen, reserve_share())
    year = received_on.year
    pool, reserve = pool_fund(region, year), reserve_fund(region, year)
    _receipts_one_at_a_time(year)
    donation = None
    for _attempt in range(5):
        try:
            with db.session.begin_nested():
                donation = Donation(
                    donor_id=donor.id, pledge_id=pledge.id if pledge else None,
                    amount_fen=amount_fen, reserve_fen=reserve_fen, received_on=received_on,
                    receipt_no=_next_receipt_no(year), fund_id=pool.id,
                    reserve_fund_id=reserve.id, recorded_by=user.id)
                db.session.add(donation)
                db.session.flush()
            break
        except IntegrityError:
            # Another donation took the number at the same moment: take the next one.
            donation = None
    if donation is None:
        raise DomainError(_("收据编号分配冲突，请重试"))
    _raise_budget(pool, amount_fen - reserve_fen)
    _raise_budget(reserve, reserve_fen)
    return donation


def donations_of(user: User, *, pledge: Pledge | None = None,
                 donor: DonorProfile | None = None) -> list[Donation]:
    stmt = (select(Donation).join(Fund, Fund.id == Donation.fund_id)
            .join(Region, Region.id == Fund.region_id)
            .order_by(Donation.received_on.desc(), Donation.id.desc()))
    cond = region_filter(user, Region.path)
    if cond is not None:
        stmt = stmt.where(cond)
    if pledge is not None:
        stmt = stmt.where(Donation.pledge_id == pledge.id)
    if donor is not None:
        stmt = stmt.where(Donation.donor_id == donor.id)
    return list(db.session.scalars(stmt.limit(500)))


def get_donation(user: User, donation_id: int) -> Donation:
    donation = db.session.get(Donation, donation_id)
    if donation is None or not in_scope(user, donation.fund.region):
        raise NotFound(_("找不到这笔捐款"))
    return donation


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")
_SECTIONS = ("", "万", "亿", "万亿")


def _four(n: int) -> str:
    """0 < n < 10000 in capitals, with inner zeros as 零 (e.g. 1005 → 壹仟零伍)."""
    out, zero = "", False
    for i in range(3, -1, -1):
        d = n // 10 ** i % 10
        if d == 0:
            zero = bool(out)
        else:
            if zero:
                out += "零"
            out += _DIGITS[d] + _UNITS[i]
            zero = False
    return out


def capital_yuan(amount: Decimal) -> str:
    """An amount in Chinese capital numerals (大写), as receipts write it:
    1234.50 → 壹仟贰佰叁拾肆元伍角整; 100.07 → 壹佰元零柒分."""
    fen = to_fen(amount)
    if fen < 0:
        raise ValueError("negative amount")
    yuan, jiao, cents = fen // 100, fen // 10 % 10, fen % 10
    whole = ""
    if yuan:
        groups = []
        n = yuan
        while n:
            groups.append(n % 10000)
            n //= 10000
        need_zero = False
        for i in range(len(groups) - 1, -1, -1):
            g = groups[i]
            if g == 0:
                need_zero = bool(whole)
                continue
            if whole and (need_zero or g < 1000):
                whole += "零"
            whole += _four(g) + _SECTIONS[i]
            need_zero = False
        whole += "元"
    if not jiao and not cents:
        return (whole or "零元") + "整"
    tail = ""
    if jiao:
        tail += _DIGITS[jiao] + "角"
    elif whole:
        tail += "零"
    if cents:
        tail += _DIGITS[cents] + "分"
    else:
        tail += "整"
    return whole + tail


@dataclass(frozen=True)
class Receipt:
    """What a receipt shows: the donation and the donor, never a child."""

    donation_id: int
    receipt_no: str
    donor_name: str
    amount: Decimal
    amount_words: str
    reserve: Decimal
    received_on: date
    issuer: str
    fund_name: str


def receipt_data(donation: Donation) -> Receipt:
    """The receipt of a donation (捐赠收据), for the staff page and the donor portal."""
    fund = donation.fund
    issuer = current_app.config.get("SPRING_BUD_RECEIPT_ISSUER") or \
        f"{fund.region.full_name.replace(' ', '')}妇女联合会"
    amount = to_yuan(donation.amount_fen)
    return Receipt(donation_id=donation.id, receipt_no=donation.receipt_no,
                   donor_name=donor_name(donation.donor), amount=amount,
                   amount_words=capital_yuan(amount), reserve=to_yuan(donation.reserve_fen),
                   received_on=donation.received_on, issuer=issuer, fund_name=fund.name)
