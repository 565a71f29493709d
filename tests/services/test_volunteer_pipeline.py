"""The volunteer pipeline as operations: accept, reject, pause, archive, reinstate, bulk
accept, one-time tokens and login by mobile."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from matchmaker.models import (
    AuditEvent,
    Notification,
    OneTimeToken,
    User,
    VolunteerProfile,
)
from matchmaker.models.base import utcnow
from matchmaker.services import tokens, users, volunteers
from matchmaker.services.errors import DomainError, NotFound

LINK = "https://fl.example/account/set-password/"


def link_for(raw: str) -> str:
    return LINK + raw


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_accept_makes_one_account_a_token_and_a_message_with_the_link(
        app_ctx, make_user, make_applicant):
    coordinator = make_user("coordinator")
    profile = make_applicant()
    person = profile.person

    account = volunteers.accept(user=coordinator, profile=profile, link_for=link_for)

    assert profile.status == "active" and profile.decided_at is not None
    assert (account.role, account.username, account.person_id, account.active) == (
        "volunteer", f"v{person.id}", person.id, True)
    assert person.mobile not in account.username
    assert account.password_hash.startswith("!")  # no password works until she sets one
    assert users.authenticate(username=account.username, password="") is None
    assert count(app_ctx, User, User.person_id == person.id) == 1
    messages = app_ctx.scalars(select(Notification).where(
        Notification.person_id == person.id)).all()
    assert {m.channel for m in messages} == {"inapp", "sms"}
    body = messages[0].body
    assert "报名已通过" in body and "72 小时" in body and "手机号" in body
    sms = next(m for m in messages if m.channel == "sms")
    raw = re.fullmatch(re.escape(LINK) + r"([\w-]+)", sms.secret).group(1)
    assert raw not in body
    stored = app_ctx.scalars(select(OneTimeToken).where(
        OneTimeToken.user_id == account.id)).all()
    assert len(stored) == 1
    assert stored[0].token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in stored[0].token_hash
    assert tokens.peek(raw).user_id == account.id


def test_accepting_twice_is_refused(app_ctx, make_user, make_applicant):
    coordinator = make_user("coordinator")
    profile = make_applicant()
    volunteers.accept(user=coordinator, profile=profile, link_for=link_for)
    with pytest.raises(DomainError, match="只能录用申请中的报名"):
        volunteers.accept(user=coordinator, profile=profile, link_for=link_for)
    assert count(app_ctx, User, User.person_id == profile.person_id) == 1
    assert count(app_ctx, OneTimeToken) == 1


def test_reject_archives_and_tells_her_why(app_ctx, make_user, make_applicant):
    coordinator = make_user("coordinator")
    profile = make_applicant()
    with pytest.raises(DomainError, match="不能为空"):
        volunteers.reject(user=coordinator, profile=profile, reason="  ")
    volunteers.reject(user=coordinator, profile=profile, reason="本年度名额已满")
    assert profile.status == "archived" and profile.decided_at is not None
    body = app_ctx.scalar(select(Notification.body).where(
        Notification.person_id == profile.person_id, Notification.channel == "inapp"))
    assert "未获通过" in body and "本年度名额已满" in body
    event = app_ctx.scalar(select(AuditEvent).where(AuditEvent.action == "volunteer_rejected"))
    assert (event.target_id, event.detail) == (profile.id, {"reason": "本年度名额已满"})
    assert count(app_ctx, User) == 1  # only the coordinator: no account for her
    with pytest.raises(DomainError):
        volunteers.reject(user=coordinator, profile=profile, reason="再次")


def test_pause_resume_and_forbidden_moves(app_ctx, make_user, make_applicant):
    coordinator = make_user("coordinator")
    profile = make_applicant()
    with pytest.raises(DomainError, match="录用"):
        volunteers.set_status(user=coordinator, profile=profile, status="inactive",
                              link_for=link_for)
    account = volunteers.accept(user=coordinator, profile=profile, link_for=link_for)
    volunteers.set_status(user=coordinator, profile=profile, status="inactive",
                          link_for=link_for)
    assert profile.status == "inactive" and account.active  # paused, not shut out
    with pytest.raises(DomainError, match="不能从“暂停服务”改为“申请中”"):
        volunteers.set_status(user=coordinator, profile=profile, status="pending",
                              link_for=link_for)
    with pytest.raises(DomainError, match="状态无效"):
        volunteers.set_status(user=coordinator, profile=profile, status="gone",
                              link_for=link_for)
    volunteers.set_status(user=coordinator, profile=profile, status="active",
                          link_for=link_for)
    assert profile.status == "active"


def test_archive_shuts_the_account_and_reinstating_reopens_it(app_ctx, make_user,
                                                              make_applicant):
    coordinator = make_user("coordinator")
    profile = make_applicant()
    account = volunteers.accept(user=coordinator, profile=profile, link_for=link_for)
    raw = tokens.issue(account)
    users.set_password_with_token(token=raw, password="Garden-2026")
    assert users.authenticate(username="13957001234", password="Garden-2026") == account

    volunteers.set_status(user=coordinator, profile=profile, status="archived",
                          link_for=link_for)
    assert profile.status == "archived" and not account.active
    assert users.authenticate(username="13957001234", password="Garden-2026") is None
    assert users.authenticate(username=account.username, password="Garden-2026") is None
    with pytest.raises(DomainError):
        volunteers.resend_link(user=coordinator, profile=profile, link_for=link_for)

    volunteers.set_status(user=coordinator, profile=profile, status="active",
                          link_for=link_for)
    assert account.active
    assert users.authenticate(username="13957001234", password="Garden-2026") == account
    # She had a password: reinstating sends no new link.
    assert count(app_ctx, OneTimeToken, OneTimeToken.used_at.is_(None)) == 0


def test_archive_revokes_a_pending_link(app_ctx, make_user, make_applicant):
    coordinator = make_user("coordinator")
    profile = make_applicant()
    volunteers.accept(user=coordinator, profile=profile, link_for=link_for)
    raw = app_ctx.scalar(select(Notification.secret).where(
        Notification.secret.is_not(None))).removeprefix(LINK)
    volunteers.set_status(user=coordinator, profile=profile, status="archived",
                          link_for=link_for)
    assert tokens.peek(raw) is None
    assert app_ctx.scalar(select(Notification.id).where(Notification.secret.is_not(None))) \
        is None


def test_reinstating_a_rejected_applicant_gives_her_an_account(app_ctx, make_user,
                                                               make_applicant):
    coordinator = make_user("coordinator")
    profile = make_applicant()
    volunteers.reject(user=coordinator, profile=profile, reason="资料不全")
    volunteers.set_status(user=coordinator, profile=profile, status="active",
                          link_for=link_for)
    account = volunteers.account_of(profile)
    assert account is not None and account.active
    assert count(app_ctx, OneTimeToken, OneTimeToken.user_id == account.id) == 1


def test_bulk_accept_takes_only_pending_applicants_in_scope(app_ctx, make_user,
                                                            make_applicant):
    town = make_user("coordinator", region_codes=("330481107",))
    first = make_applicant("盐官甲", mobile="13957000001")
    already = make_applicant("盐官乙", mobile="13957000002", status="active")
    elsewhere = make_applicant("许村丙", region="330481101201", mobile="13957000003")
    second = make_applicant("盐官丁", region="330481107202", mobile="13957000004")

    result = volunteers.bulk_accept(
        user=town, ids=[first.id, already.id, elsewhere.id, second.id, 999_999, first.id],
        link_for=link_for)

    assert [p.id for p in result.accepted] == [first.id, second.id]
    skipped = dict(result.skipped)
    assert set(skipped) == {already.id, elsewhere.id, 999_999}
    assert "盐官乙" in skipped[already.id] and "已录用" in skipped[already.id]
    assert "许村丙" not in skipped[elsewhere.id]  # nothing told about other towns
    assert app_ctx.get(VolunteerProfile, elsewhere.id).status == "pending"
    assert app_ctx.get(VolunteerProfile, first.id).status == "active"
    assert app_ctx.get(VolunteerProfile, second.id).status == "active"
    assert count(app_ctx, User, User.role == "volunteer") == 2
    assert count(app_ctx, OneTimeToken) == 2


def test_lists_are_scoped_and_filtered(app_ctx, make_user, make_applicant):
    town = make_user("coordinator", region_codes=("330481107",))
    admin = make_user("admin")
    make_applicant("盐官甲", mobile="13957000001")
    make_applicant("盐官乙", region="330481107202", mobile="13957000002", status="active")
    make_applicant("许村丙", region="330481101201", mobile="13957000003")

    def names(user, **kw):
        stmt = volunteers.volunteers_query(user, volunteers.Filters(**kw))
        return {p.person.name for p in app_ctx.scalars(stmt)}

    assert names(town) == {"盐官甲"}
    assert names(town, status="active") == {"盐官乙"}
    assert names(admin) == {"盐官甲", "许村丙"}
    assert names(admin, town="330481101") == {"许村丙"}
    assert names(town, town="330481101") == set()
    assert [t.code for t in volunteers.towns(town)] == ["330481107"]
    elsewhere = app_ctx.scalar(select(VolunteerProfile).join(VolunteerProfile.person)
                               .where(VolunteerProfile.status == "pending")
                               .order_by(VolunteerProfile.id.desc()))
    with pytest.raises(NotFound):
        volunteers.get_profile(town, elsewhere.id)
    assert volunteers.get_profile(admin, elsewhere.id) is elsewhere


def test_a_new_token_invalidates_the_earlier_one(app_ctx, make_user):
    user = make_user("volunteer")
    first = tokens.issue(user)
    second = tokens.issue(user)
    assert tokens.peek(first) is None
    with pytest.raises(DomainError, match="链接已失效"):
        tokens.redeem(first)
    assert tokens.redeem(second) == user
    with pytest.raises(DomainError):
        tokens.redeem(second)  # once only


def test_expired_and_unknown_tokens_are_refused(app_ctx, make_user):
    user = make_user("volunteer")
    raw = tokens.issue(user)
    token = app_ctx.scalar(select(OneTimeToken))
    assert token.expires_at.replace(tzinfo=None) > (utcnow() + timedelta(hours=71)).replace(
        tzinfo=None)
    token.expires_at = utcnow() - timedelta(minutes=1)
    app_ctx.flush()
    for bad in (raw, "not-a-token", "", "x" * 500):
        assert tokens.peek(bad) is None
        with pytest.raises(DomainError):
            tokens.redeem(bad)


def test_weak_password_leaves_the_token_usable(app_ctx, make_user):
    user = make_user("volunteer")
    raw = tokens.issue(user)
    with pytest.raises(DomainError, match="密码至少"):
        users.set_password_with_token(token=raw, password="short1")
    assert tokens.peek(raw) is not None


def test_login_by_mobile_picks_the_family_member_whose_password_matches(
        app_ctx, make_user, make_person):
    mother = make_person("陈美华", mobile="13957005555")
    daughter = make_person("陈小燕", mobile="13957005555", birth=mother.birth_date.replace(
        year=2000))
    clerk = make_person("沈会计", mobile="13957006666")
    mum = make_user("volunteer", person=mother)
    girl = make_user("donor", person=daughter)
    staff = make_user("coordinator", person=clerk)
    for u, pw in ((mum, "Mother-2026"), (girl, "Daughter-2026"), (staff, "Clerk-2026")):
        u.password_hash = generate_password_hash(pw, method="pbkdf2:sha256:1000")
    app_ctx.flush()

    assert users.authenticate(username="13957005555", password="Mother-2026") == mum
    assert users.authenticate(username="139 5700 5555", password="Daughter-2026") == girl
    assert users.authenticate(username="+86 139-5700-5555", password="Mother-2026") == mum
    assert users.authenticate(username="13957005555", password="wrong-2026") is None
    # Staff log in with their username only.
    assert users.authenticate(username="13957006666", password="Clerk-2026") is None
    assert users.authenticate(username=staff.username, password="Clerk-2026") == staff
    mum.active = False
    app_ctx.flush()
    assert users.authenticate(username="13957005555", password="Mother-2026") is None
    failed = app_ctx.scalars(select(AuditEvent).where(
        AuditEvent.action == "login_failed")).all()
    assert len(failed) == 3


def test_accepting_puts_her_on_the_poster_activity_and_archiving_takes_her_off(
        app_ctx, make_user, make_applicant, regions):
    from matchmaker.models import Activity, ActivitySignup

    coordinator = make_user("coordinator")
    start = utcnow() + timedelta(days=7)
    activity = Activity(title="敬老院助老", service="助老", region=regions["330481107"],
                        place="盐官敬老院", starts_at=start, ends_at=start + timedelta(hours=2),
                        slots=5)
    app_ctx.add(activity)
    app_ctx.flush()
    profile = make_applicant()
    profile.wanted_activity_id = activity.id
    app_ctx.flush()

    volunteers.accept(user=coordinator, profile=profile, link_for=link_for)
    signup = app_ctx.scalar(select(ActivitySignup).where(
        ActivitySignup.volunteer_id == profile.id))
    assert signup is not None and signup.status == "confirmed"
    body = app_ctx.scalar(select(Notification.body).where(Notification.channel == "inapp"))
    assert "敬老院助老" in body

    volunteers.set_status(user=coordinator, profile=profile, status="archived",
                          link_for=link_for)
    app_ctx.refresh(signup)
    assert signup.status == "cancelled"


def test_operations_refuse_a_volunteer_out_of_scope(app_ctx, make_user, make_applicant):
    town = make_user("coordinator", region_codes=("330481107",))
    other = make_applicant("许村丙", region="330481101201")
    with pytest.raises(NotFound):
        volunteers.accept(user=town, profile=other, link_for=link_for)
    with pytest.raises(NotFound):
        volunteers.reject(user=town, profile=other, reason="x")
    assert other.status == "pending"


def test_a_delivered_link_is_forgotten_and_a_logged_one_kept(app_ctx, make_person):
    """A real gateway has the link in her SMS: the outbox forgets it. The logging stand-in
    (no gateway configured) keeps it, so that whoever runs the server can pass it on."""
    from flask import current_app

    from matchmaker.models import Notification
    from matchmaker.services import notifications

    person = make_person("林小梅", mobile="13957009876")
    notifications.notify(person=person, subject="s", body="b", secret="http://x/one")
    notifications.deliver_pending()
    sms = app_ctx.scalar(select(Notification).where(Notification.person_id == person.id,
                                                    Notification.channel == "sms"))
    assert (sms.status, sms.secret) == ("logged", "http://x/one")
    assert notifications.sms_text(sms) == "b http://x/one"

    class Gateway:
        def send(self, n):
            assert notifications.sms_text(n).endswith("http://x/two")
            return "sent"

    notifications.notify(person=person, subject="s", body="b", secret="http://x/two")
    current_app.extensions["matchmaker_sms"] = Gateway()
    try:
        assert notifications.deliver_pending() == 1
    finally:
        del current_app.extensions["matchmaker_sms"]
    assert app_ctx.scalar(select(Notification.secret).where(
        Notification.person_id == person.id).order_by(Notification.id.desc())) is None
    inapp = app_ctx.scalars(select(Notification).where(Notification.person_id == person.id,
                                                       Notification.channel == "inapp")).all()
    assert all(n.secret is None and "http" not in n.body for n in inapp)
