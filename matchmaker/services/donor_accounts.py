"""Donor accounts: a coordinator invites a donor, which makes her account (role donor,
no usable password) if she has none and sends her a one-time link to set a password,
through the outbox. Inviting again revokes the earlier link.

Coordinators act only on donors in their regions (where she lives, or a federation that
handles one of her pledges); others are "not found". Links are built by the caller
(``link_for``: raw token → URL), so that this module needs no request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.models import Region, User
from matchmaker.models.profiles import DonorProfile
from matchmaker.models.sponsorship import Donation, Pledge, Sponsorship
from matchmaker.services import audit, notifications, tokens, users
from matchmaker.services.errors import DomainError, NotFound
from matchmaker.services.scope import in_scope, require_registry_role

LinkFor = Callable[[str], str]


@dataclass(frozen=True)
class DonorSummary:
    pledges: int
    donations: int
    sponsorships: dict[str, int]  # status → count
    account: str  # "none", "invited" (no password yet), "active", "disabled"
    username: str


def get_donor(user: User, donor_profile_id: int) -> DonorProfile:
    """A donor in the user's regions; any other is "not found"."""
    require_registry_role(user)
    donor = db.session.get(DonorProfile, donor_profile_id)
    if donor is None or not _in_scope(user, donor):
        raise NotFound(_("找不到这位捐助人，或不在您负责的地区内"))
    return donor


def _in_scope(user: User, donor: DonorProfile) -> bool:
    if in_scope(user, donor.person.region):
        return True
    regions = db.session.scalars(select(Region).join(Pledge, Pledge.region_id == Region.id)
                                 .where(Pledge.donor_id == donor.id))
    return any(in_scope(user, r) for r in regions)


def account_of(donor: DonorProfile) -> User | None:
    return db.session.scalar(select(User).where(
        User.person_id == donor.person_id, User.role == "donor").order_by(User.id))


def _account_state(account: User | None) -> str:
    if account is None:
        return "none"
    if not account.active:
        return "disabled"
    return "invited" if account.password_hash.startswith("!") else "active"


def summary(donor: DonorProfile) -> DonorSummary:
    pledges = db.session.scalar(select(func.count(Pledge.id)).where(
        Pledge.donor_id == donor.id)) or 0
    donations = db.session.scalar(select(func.count(Donation.id)).where(
        Donation.donor_id == donor.id)) or 0
    by_status = dict(db.session.execute(
        select(Sponsorship.status, func.count(Sponsorship.id)).join(Sponsorship.pledge)
        .where(Pledge.donor_id == donor.id).group_by(Sponsorship.status)).all())
    account = account_of(donor)
    return DonorSummary(pledges=pledges, donations=donations, sponsorships=by_status,
                        account=_account_state(account),
                        username=account.username if account else "")


def invite(*, user: User, donor: DonorProfile, link_for: LinkFor) -> User:
    """Make her account if she has none and send her a link to set her password (the
    link by SMS only; an earlier link stops working). Returns her account."""
    if not _in_scope(user, donor) or not user.has_role("admin", "coordinator"):
        raise NotFound(_("找不到这位捐助人，或不在您负责的地区内"))
    person = donor.person
    if not person.mobile:
        raise DomainError(_("这位捐助人没有登记手机号，无法发送邀请链接，请先补充手机号"))
    if donor.status != "active":
        raise DomainError(_("只能邀请在册的捐助人"))
    account = account_of(donor)
    if account is not None and not account.active:
        raise DomainError(_("她的账号已停用，请联系管理员"))
    if account is None:
        account = users.new_personal_account(person=person, role="donor",
                                             display_name=donor.display_name or person.name)
    raw = tokens.issue(account, "set_password")  # revokes any earlier link
    notifications.notify(
        person=person, subject=_("捐助人账号邀请"),
        body=_("%(name)s，您好！所在地妇联邀请您登录春蕾计划捐助人页面，查看您资助的学员、"
               "捐款发放和收据。请在 %(hours)s 小时内打开短信中的链接设置密码，"
               "登录时用户名填写您的手机号。此前发给您的链接已失效。",
               name=donor.display_name or person.name, hours=tokens.ttl_hours()),
        secret=link_for(raw))
    audit.record("donor_invited", target_type="donor_profile", target_id=donor.id)
    db.session.flush()
    return account
