"""The volunteer pipeline: applicant (pending) → accepted (active) ⇄ paused (inactive) →
archived, and back (reinstated). Accepting gives her an account and a one-time link to
set her password, sent through the outbox; archiving closes the account.

Coordinators act only on volunteers in their regions; others are "not found". Links are
built by the caller (``link_for``: raw token → URL), so that this module needs no request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager

from matchmaker.extensions import db
from matchmaker.models import Activity, Person, Region, User, VolunteerProfile
from matchmaker.models.base import utcnow
from matchmaker.models.profiles import VOLUNTEER_STATUS_LABELS, VOLUNTEER_STATUSES
from matchmaker.services import (
    activities,
    audit,
    consent,
    notifications,
    service_requests,
    tokens,
    users,
)
from matchmaker.services.errors import DomainError, NotFound
from matchmaker.services.scope import in_scope, region_filter, require_registry_role
from matchmaker.services.validation import clean_text

LinkFor = Callable[[str], str]

# (from, to) moves a coordinator may make. pending → active is "accept" and
# pending → archived is "reject": each has its own operation (a link; a reason).
TRANSITIONS = frozenset({
    ("pending", "active"), ("pending", "archived"),
    ("active", "inactive"), ("inactive", "active"),
    ("active", "archived"), ("inactive", "archived"),
    ("archived", "active"),
})


@dataclass
class Filters:
    status: str = "pending"
    town: str = ""  # a town's region code: her village is below it


@dataclass
class BulkResult:
    accepted: list[VolunteerProfile] = field(default_factory=list)
    # (profile id, why it was skipped); names only of volunteers the user may see.
    skipped: list[tuple[int, str]] = field(default_factory=list)


def _label(status: str) -> str:
    return _(VOLUNTEER_STATUS_LABELS.get(status, status))


def volunteers_query(user: User, filters: Filters) -> Select:
    """Volunteers in the user's regions with one status (applicants first in, first
    seen), optionally in one town."""
    require_registry_role(user)
    stmt = (select(VolunteerProfile).join(VolunteerProfile.person).join(Person.region)
            .options(contains_eager(VolunteerProfile.person).contains_eager(Person.region)))
    scope = region_filter(user, Region.path)
    if scope is not None:
        stmt = stmt.where(scope)
    status = filters.status if filters.status in VOLUNTEER_STATUSES else "pending"
    stmt = stmt.where(VolunteerProfile.status == status)
    if filters.town:
        town_path = select(Region.path).where(Region.code == filters.town,
                                              Region.level == "town").scalar_subquery()
        stmt = stmt.where(Region.path.startswith(town_path))
    return stmt.order_by(VolunteerProfile.created_at, VolunteerProfile.id)


def towns(user: User) -> list[Region]:
    """Towns the user may filter by."""
    require_registry_role(user)
    stmt = select(Region).where(Region.level == "town").order_by(Region.path)
    scope = region_filter(user, Region.path)
    if scope is not None:
        stmt = stmt.where(scope)
    return list(db.session.scalars(stmt))


def get_profile(user: User, profile_id: int) -> VolunteerProfile:
    """A volunteer in the user's regions; any other is "not found"."""
    require_registry_role(user)
    profile = db.session.get(VolunteerProfile, profile_id)
    if profile is None or not in_scope(user, profile.person.region):
        raise NotFound(_("找不到这位志愿者，或不在您负责的地区内"))
    return profile


def _check_scope(user: User, profile: VolunteerProfile) -> None:
    require_registry_role(user)
    if not in_scope(user, profile.person.region):
        raise NotFound(_("找不到这位志愿者，或不在您负责的地区内"))


def account_of(profile: VolunteerProfile) -> User | None:
    """Her volunteer account, if she has one."""
    return db.session.scalar(select(User).where(
        User.person_id == profile.person_id, User.role == "volunteer").order_by(User.id))


def wanted_activity(profile: VolunteerProfile) -> Activity | None:
    if profile.wanted_activity_id is None:
        return None
    return db.session.get(Activity, profile.wanted_activity_id)


def _require_consent(profile: VolunteerProfile) -> None:
    """No serving without her consent in force: after she withdrew it, only she can give
    it again (from her portal)."""
    if consent.active(profile.person, "volunteer") is None:
        raise DomainError(_("她已撤回个人信息使用同意，须本人重新同意后才能恢复"))


def _move(profile: VolunteerProfile, to: str) -> None:
    if (profile.status, to) not in TRANSITIONS:
        raise DomainError(_("志愿者状态不能从“%(old)s”改为“%(new)s”",
                            old=_label(profile.status), new=_label(to)))
    profile.status = to


def _open_account(profile: VolunteerProfile) -> tuple[User, bool]:
    """Her account, made (without a usable password) or reopened; True when made."""
    account = account_of(profile)
    if account is not None:
        account.active = True
        return account, False
    person = profile.person
    return users.new_personal_account(person=person, role="volunteer",
                                      display_name=person.name), True


def _login_hint(account: User) -> str:
    if account.person is not None and account.person.mobile:
        return _("登录时用户名填写您的手机号。")
    return _("登录时用户名填写：%(username)s。", username=account.username)


def _send_link(account: User, link_for: LinkFor, *, accepted: bool, extra: str = "") -> None:
    raw = tokens.issue(account, "set_password")
    hours = tokens.ttl_hours()
    if accepted:
        subject = _("巾帼志愿者报名已通过")
        body = _("您的巾帼志愿者报名已通过，欢迎加入！请在 %(hours)s 小时内打开短信中的链接"
                 "设置密码。", hours=hours)
    else:
        subject = _("设置密码链接")
        body = _("请在 %(hours)s 小时内打开短信中的链接设置密码。此前发给您的链接已失效。",
                 hours=hours)
    # The link itself goes by SMS only, kept apart from the message and forgotten once
    # sent, used or superseded (see notifications.notify).
    notifications.notify(person=account.person, subject=subject,
                         body=body + _login_hint(account) + extra, secret=link_for(raw))


def _needs_password(account: User) -> bool:
    return account.password_hash.startswith("!")


def _join_wanted_activity(user: User, profile: VolunteerProfile
                          ) -> tuple[Activity, str] | None:
    """Put her on the activity whose poster she signed up from, if it still takes
    people (a place, or the waitlist), lies in her county and in the accepting
    coordinator's regions; otherwise leave it to her. Returns the activity and her
    sign-up's status (confirmed or waitlisted)."""
    activity = wanted_activity(profile)
    if activity is None or not in_scope(user, activity.region) or not \
            activity.region.path.startswith(activities.county_path(profile.person.region)):
        return None
    try:
        with db.session.begin_nested():
            signup = activities.sign_up(volunteer=profile, activity=activity)
    except DomainError:
        return None
    return activity, signup.status


def accept(*, user: User, profile: VolunteerProfile, link_for: LinkFor) -> User:
    """Accept an applicant: her account is made (or reopened) and she is sent a link to
    set her password (or, if she has one already, told she can log in). If she signed up
    from an activity's poster, she is put on that activity."""
    _check_scope(user, profile)
    if profile.status != "pending":
        raise DomainError(_("只能录用申请中的报名，这位志愿者当前为“%(status)s”",
                            status=_label(profile.status)))
    _require_consent(profile)
    _move(profile, "active")
    profile.decided_at = utcnow()
    db.session.flush()
    account, made = _open_account(profile)
    joined = _join_wanted_activity(user, profile)
    extra = ""
    if joined is not None and joined[1] == "confirmed":
        extra = _("已为您报名活动“%(title)s”。", title=joined[0].title)
    elif joined is not None:
        extra = _("活动“%(title)s”名额已满，已为您登记候补，有名额空出时会自动转为正式报名。",
                  title=joined[0].title)
    if made or _needs_password(account):
        _send_link(account, link_for, accepted=True, extra=extra)
    else:
        notifications.notify(person=profile.person, subject=_("巾帼志愿者报名已通过"),
                             body=_("您的巾帼志愿者报名已通过，欢迎加入！请用原有账号登录。")
                             + extra)
    db.session.flush()
    return account


def reject(*, user: User, profile: VolunteerProfile, reason: str) -> None:
    """Turn an applicant down, telling her why; her application is archived."""
    _check_scope(user, profile)
    reason = clean_text(reason, field="reason", label=_("不予录用的原因"), max_length=300,
                        required=True)
    if profile.status != "pending":
        raise DomainError(_("只能处理申请中的报名，这位志愿者当前为“%(status)s”",
                            status=_label(profile.status)))
    _move(profile, "archived")
    profile.decided_at = utcnow()
    notifications.notify(
        person=profile.person, subject=_("巾帼志愿者报名结果"),
        body=_("很抱歉，您的巾帼志愿者报名未获通过。原因：%(reason)s。如有疑问，请联系所在地妇联。",
               reason=reason))
    audit.record("volunteer_rejected", target_type="volunteer_profile",
                 target_id=profile.id, reason=reason)
    db.session.flush()


def set_status(*, user: User, profile: VolunteerProfile, status: str,
               link_for: LinkFor) -> None:
    """Pause (inactive), resume or reinstate (active), or archive an accepted volunteer.
    Archiving cancels her future sign-ups, ends her service assignments and closes her
    account; reinstating reopens it (or makes one, with a link, if she was turned down as
    an applicant). Resuming or reinstating needs her consent in force.

    A pause is short: she keeps her places and her turn on waitlists (the waitlist passes
    over her meanwhile). When she is active again, the waitlists she is on are run, so
    that a place left free goes to the first in line."""
    _check_scope(user, profile)
    if status not in VOLUNTEER_STATUSES:
        raise DomainError(_("状态无效"), field="status")
    if profile.status == "pending":
        raise DomainError(_("申请中的报名请使用“录用”或“不予录用”"))
    old = profile.status
    if status == "active" and old != "active":
        _require_consent(profile)
    _move(profile, status)
    account = account_of(profile)
    if status == "archived":
        activities.cancel_future_signups(profile)  # her places go to the waitlist
        service_requests.end_assignments_of(profile)
        if account is not None:
            account.active = False
            tokens.revoke(account, "set_password")
    elif old == "archived":
        account, made = _open_account(profile)
        if made or _needs_password(account):
            _send_link(account, link_for, accepted=True)
    if status == "active":
        db.session.flush()
        activities.promote_waitlists_of(profile)
    db.session.flush()


def resend_link(*, user: User, profile: VolunteerProfile, link_for: LinkFor) -> None:
    """A fresh set-password link for an accepted volunteer (the earlier one stops
    working): for one who lost the message or forgot her password."""
    _check_scope(user, profile)
    account = account_of(profile)
    if profile.status not in ("active", "inactive") or account is None or not account.active:
        raise DomainError(_("只有已录用的志愿者才能重新发送设置密码链接"))
    _send_link(account, link_for, accepted=False)
    db.session.flush()


def bulk_accept(*, user: User, ids: Iterable[int], link_for: LinkFor) -> BulkResult:
    """Accept each applicant in the user's regions, each in its own savepoint: one that
    cannot be accepted is skipped (and reported) without undoing the others."""
    result = BulkResult()
    for profile_id in dict.fromkeys(ids):
        try:
            with db.session.begin_nested():
                profile = get_profile(user, profile_id)
                accept(user=user, profile=profile, link_for=link_for)
        except NotFound:
            result.skipped.append((profile_id, _("编号 %(id)s：找不到，或不在您负责的地区内",
                                                 id=profile_id)))
        except DomainError as e:
            name = db.session.get(VolunteerProfile, profile_id).person.name
            result.skipped.append((profile_id, f"{name}：{e.message}"))
        else:
            result.accepted.append(profile)
    return result
