"""Personal-information rights: subject access, erasure (anonymise or delete), purge."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import JSON, String, Text, cast, or_, select

from matchmaker.extensions import db
from matchmaker.models import (
    Activity,
    ActivitySignup,
    Application,
    AuditEvent,
    Award,
    ConsentRecord,
    Disbursement,
    FollowUp,
    Fund,
    MenteeProfile,
    MentorProfile,
    Notification,
    OneTimeToken,
    Pairing,
    Person,
    Programme,
    ServiceHours,
    User,
    VolunteerProfile,
)
from matchmaker.models.base import utcnow
from matchmaker.services import audit, erasure, personal_export, retention
from matchmaker.services.errors import DomainError, NotFound
from matchmaker.services.notifications import notify
from tests.ids import make_id

NAME, MOBILE = "柯思琪", "13911112222"
ID_NUMBER = make_id("330481", date(1988, 6, 1), 77, female=True)


def scan(needles: list[str]) -> list[str]:
    """Every table.column (String, Text or JSON, any table) holding one of the needles."""
    hits = []
    for table in db.metadata.sorted_tables:
        for col in table.columns:
            is_json = isinstance(col.type, JSON)
            if not (is_json or isinstance(col.type, String | Text)):
                continue
            target = cast(col, Text) if is_json else col
            pats = set(needles) | ({json.dumps(n)[1:-1] for n in needles} if is_json else set())
            n = db.session.scalar(select(db.func.count()).select_from(table)
                                  .where(or_(*(target.like(f"%{p}%") for p in pats))))
            if n:
                hits.append(f"{table.name}.{col.name}")
    return hits


def build_life(session, make_person, make_user, *, financial: bool = True):
    """She is a rural woman paired with a mentor, a volunteer with hours and an account,
    has consented, has messages, and (``financial``) an award with a disbursement."""
    from tests.conftest import _region

    her = make_person(NAME, mobile=MOBILE, id_number=ID_NUMBER, birth=date(1988, 6, 1))
    her.note = f"本人 {NAME} 电话 {MOBILE}"
    mentor_person = make_person("龚雅文", mobile="13700001111")
    city = _region(session, "330481")
    mentor = MentorProfile(person=mentor_person, kind="skilled", specialty="蚕桑",
                           industry="agriculture", capacity=2, active_pairings=1)
    mentee = MenteeProfile(person=her, kind="rural", needs=f"{NAME}想学养蚕",
                           industry="agriculture", hardship=3)
    vol = VolunteerProfile(person=her, team="文明传播", teams="文明传播", skills="剪纸",
                           status="active")
    prog = Programme(name="双百结对", year=2026, region=city, mentee_pool="mentee")
    session.add_all([mentor, mentee, vol, prog])
    session.flush()
    pairing = Pairing(programme=prog, mentor=mentor, mentee_key=f"mentee:{mentee.id}",
                      mentee_person=her, status="active", started_on=date(2026, 3, 1))
    session.add(pairing)
    session.flush()
    session.add(FollowUp(pairing=pairing, on=date(2026, 4, 1), kind="visit",
                         notes=f"走访{NAME}，身份证{ID_NUMBER}"))
    session.add(ConsentRecord(person=her, purpose="volunteer", notice_version="2026-11",
                              given_by="self", channel="web", given_at=utcnow()))
    act = Activity(title="助老", service="助老", region=city, place="敬老院",
                   starts_at=utcnow() - timedelta(days=3), ends_at=utcnow() - timedelta(days=3),
                   slots=3, filled=1, status="done")
    session.add(act)
    session.flush()
    session.add(ActivitySignup(activity_id=act.id, volunteer_id=vol.id, status="confirmed",
                               queued_at=utcnow()))
    session.add(ServiceHours(volunteer_id=vol.id, activity_id=act.id, served_on=date(2026, 5, 1),
                             minutes=120, description=f"{NAME}陪老人聊天", status="approved"))
    notify(person=her, subject="结对成功", body=f"{NAME}您好，您与龚雅文结对成功。")
    notify(person=mentor_person, subject=f"新结对：{NAME}",
           body=f"您与{NAME}（{MOBILE}）结对成功。")
    account = make_user("volunteer", person=her)
    account.display_name = NAME
    session.add(OneTimeToken(user=account, purpose="set_password", token_hash="a" * 64,
                             expires_at=utcnow() + timedelta(days=1)))
    # An old, careless audit entry that named her: the scrub must reach it too.
    session.add(AuditEvent(action="import", target_type="person", target_id=her.id,
                           detail={"who": NAME, "mobile": MOBILE}))
    award = None
    if financial:
        fund = Fund(name="创业贴息", year=2026, kind="interest_subsidy", region=city,
                    budget_fen=10_000_00)
        session.add(fund)
        session.flush()
        app_row = Application(fund=fund, person=her, amount_fen=1000_00, note=f"{NAME}申请",
                              status="awarded")
        session.add(app_row)
        session.flush()
        award = Award(fund=fund, application=app_row, person=her, amount_fen=1000_00,
                      paid_fen=500_00)
        session.add(award)
        session.flush()
        session.add(Disbursement(award_id=award.id, fund_id=fund.id, amount_fen=500_00,
                                 paid_on=date(2026, 6, 1), idempotency_key=f"pd-{award.id}"))
    session.flush()
    return her, mentor, pairing, account, award


@pytest.fixture
def life(app_ctx, make_person, make_user):
    return build_life(app_ctx, make_person, make_user)


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def test_export_holds_everything_and_is_audited(app_ctx, life, admin):
    her, _mentor, pairing, _account, award = life
    data = personal_export.export_person(admin, her)
    wb = load_workbook(BytesIO(data))
    person = {r[0]: r[1] for r in wb["person"].iter_rows(values_only=True)}
    assert person["name"] == NAME and person["id_number"] == ID_NUMBER
    assert person["mobile"] == MOBILE and "id_cipher" not in person
    for sheet in ("profile_mentee", "profile_volunteer", "consent_record", "pairing",
                  "follow_up", "award", "disbursement", "service_hours", "activity_signup",
                  "notification", "user_account", "audit_event"):
        assert wb[sheet].max_row >= 2, sheet
    assert [r[0] for r in wb["pairing"].iter_rows(min_row=2, values_only=True)] == [pairing.id]
    assert "password_hash" not in [c.value for c in wb["user_account"][1]]
    assert wb["audit_event"].max_column == 4  # keys only
    ev = app_ctx.scalar(select(AuditEvent).where(AuditEvent.action == "export",
                                                 AuditEvent.target_id == her.id))
    assert ev.detail == {"subject_access": True} and ev.target_type == "person"


def test_export_out_of_scope_is_not_found(app_ctx, life, make_user):
    her = life[0]
    other = make_user("coordinator", region_codes=("330481101",))
    with pytest.raises(NotFound):
        personal_export.export_person(other, her)


def test_erase_with_financial_records_anonymises_and_leaves_no_trace(app_ctx, life, admin):
    her, mentor, pairing, account, award = life
    assert len(scan([NAME, MOBILE, ID_NUMBER])) >= 8  # the scan sees her before
    plan = erasure.erase_person(admin, her, "", dry_run=True)
    assert plan.anonymise and "财务档案" in plan.reasons[0] and not plan.done
    actions = {line.what: line.action for line in plan.lines}
    assert actions["award"] == "keep" and actions["disbursement"] == "keep"
    assert actions["consent_record"] == "delete" and actions["person"] == "anonymise"
    with pytest.raises(DomainError):
        erasure.erase_person(admin, her, "  ")
    pid = her.id
    with audit.acting_as(audit.Actor(admin.id, admin.username)):
        done = erasure.erase_person(admin, her, f"{NAME}本人书面申请")
    assert done.done
    assert scan([NAME, MOBILE, ID_NUMBER, ID_NUMBER.lower()]) == []
    p = app_ctx.get(Person, pid)
    assert p.name == f"已删除人员#{pid}" and p.mobile is None and p.id_cipher is None
    assert p.id_hash is None and p.status == "inactive" and p.note == ""
    assert p.birth_date == date(1988, 1, 1)
    # The financial record is kept whole.
    assert app_ctx.get(Award, award.id).paid_fen == 500_00
    assert app_ctx.scalar(select(db.func.count()).select_from(Disbursement)
                          .where(Disbursement.award_id == award.id)) == 1
    assert app_ctx.scalar(select(MenteeProfile).where(MenteeProfile.person_id == pid)).needs == ""
    acct = app_ctx.get(User, account.id)
    assert not acct.active and acct.display_name == p.name
    assert app_ctx.scalar(select(OneTimeToken).where(OneTimeToken.user_id == acct.id)) is None
    assert app_ctx.scalar(select(ConsentRecord).where(ConsentRecord.person_id == pid)) is None
    # The other side's message now names nobody.
    body = app_ctx.scalar(select(Notification.body).where(
        Notification.person_id == mentor.person_id))
    assert body == f"您与已删除人员#{pid}（已删除人员#{pid}）结对成功。"
    erase = app_ctx.scalars(select(AuditEvent).where(AuditEvent.action == "erase")).all()
    assert len(erase) == 1 and erase[0].target_id == pid and erase[0].target_type == "person"
    assert erase[0].user_id == admin.id and NAME not in json.dumps(erase[0].detail,
                                                                   ensure_ascii=False)
    with pytest.raises(DomainError):  # once only
        erasure.plan_erase(admin, p)


def test_erase_without_financial_records_deletes_her(app_ctx, make_person, make_user, admin):
    """No financial and no shared record: she and all her rows are deleted."""
    from tests.conftest import _region

    her = make_person(NAME, mobile=MOBILE, id_number=ID_NUMBER, birth=date(1988, 6, 1))
    vol = VolunteerProfile(person=her, team="文明传播", teams="文明传播", skills="剪纸",
                           status="active")
    act = Activity(title="助老", service="助老", region=_region(app_ctx, "330481"),
                   place="敬老院", starts_at=utcnow() + timedelta(days=3),
                   ends_at=utcnow() + timedelta(days=3), slots=3, filled=1, status="open")
    app_ctx.add_all([vol, act])
    app_ctx.flush()
    app_ctx.add(ActivitySignup(activity_id=act.id, volunteer_id=vol.id, status="confirmed",
                               queued_at=utcnow()))
    app_ctx.add(ServiceHours(volunteer_id=vol.id, activity_id=act.id,
                             served_on=date(2026, 5, 1), minutes=60,
                             description=f"{NAME}陪老人", status="approved"))
    app_ctx.add(ConsentRecord(person=her, purpose="volunteer", notice_version="2026-11",
                              given_by="self", channel="web", given_at=utcnow()))
    notify(person=her, subject="报名成功", body=f"{NAME}您好")
    account = make_user("volunteer", person=her)
    app_ctx.flush()
    pid, act_id = her.id, act.id
    plan = erasure.plan_erase(admin, her)
    assert not plan.anonymise and "删除" in plan.reasons[0]
    erasure.erase_person(admin, her, "本人申请")
    assert app_ctx.get(Person, pid) is None
    assert scan([NAME, MOBILE, ID_NUMBER]) == []
    assert app_ctx.get(Activity, act_id).filled == 0
    for model in (VolunteerProfile, ConsentRecord, ServiceHours, ActivitySignup):
        assert app_ctx.scalar(select(model).where(model.person_id == pid)
                              if hasattr(model, "person_id") else select(model)) is None
    assert app_ctx.scalar(select(Notification).where(Notification.person_id == pid)) is None
    assert not app_ctx.get(User, account.id).active
    assert app_ctx.scalar(select(db.func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == "erase")) == 1


def test_shared_pairing_takes_the_anonymise_path_and_ends_it(app_ctx, make_person, make_user,
                                                              admin):
    """No financial record, but a pairing with a mentor: the pairing (the mentor's record
    too) is kept and ended, the mentor's place given back, she becomes a stub."""
    her, mentor, pairing, account, _award = build_life(app_ctx, make_person, make_user,
                                                       financial=False)
    pid, pairing_id, mentor_id, mentor_pid = her.id, pairing.id, mentor.id, mentor.person_id
    plan = erasure.plan_erase(admin, her)
    assert plan.anonymise and "与他人的结对/资助记录须保留" in " ".join(plan.reasons)
    ends = [line for line in plan.lines if line.action == "end"]
    assert [(line.what, line.count) for line in ends] == [("pairing", 1)]
    assert {line.what: line.action for line in plan.lines}["pairing"] == "keep"
    erasure.erase_person(admin, her, "本人申请")
    assert app_ctx.get(Person, pid).name == f"已删除人员#{pid}"
    assert app_ctx.get(Person, mentor_pid).name == "龚雅文"
    kept = app_ctx.get(Pairing, pairing_id)
    assert kept.status == "ended" and kept.end_reason == "本人申请删除个人信息"
    assert kept.ended_on is not None
    assert app_ctx.scalar(select(db.func.count()).select_from(FollowUp)) == 1
    assert app_ctx.get(MentorProfile, mentor_id).active_pairings == 0
    assert scan([NAME, MOBILE, ID_NUMBER]) == []


def test_erasing_a_mentor_ends_her_pairings(app_ctx, make_person, make_user, admin):
    her, mentor, pairing, _account, _award = build_life(app_ctx, make_person, make_user)
    mentor_pid, mentor_id, pairing_id = mentor.person_id, mentor.id, pairing.id
    mentee_pid = her.id
    erasure.erase_person(admin, app_ctx.get(Person, mentor_pid), "本人申请")
    assert app_ctx.get(Person, mentor_pid).name == f"已删除人员#{mentor_pid}"
    assert app_ctx.get(Person, mentee_pid).name == NAME
    kept = app_ctx.get(Pairing, pairing_id)
    assert kept.status == "ended" and kept.end_reason == "本人申请删除个人信息"
    assert app_ctx.get(MentorProfile, mentor_id).active_pairings == 0


def test_erasing_a_donor_ends_her_sponsorships_and_flags_the_girls(app_ctx, world, admin):
    from matchmaker.models import Pledge, Sponsorship
    from matchmaker.services.clock import today

    donor, _user = world.donor()
    pledge = world.pledge(donor, students=2)
    girl, other = world.girl(), world.girl("赵小燕")
    active = world.sponsorship(pledge, girl)
    held = world.sponsorship(pledge, other, status="held")
    ids = dict(donor=donor.person_id, girl=girl.id, other=other.id, active=active.id,
               held=held.id, pledge=pledge.id, girl_person=girl.person_id)
    plan = erasure.plan_erase(admin, donor.person)
    assert plan.anonymise and "与他人的结对/资助记录须保留" in " ".join(plan.reasons)
    ends = {line.what: line.count for line in plan.lines if line.action == "end"}
    assert ends == {"sponsorship_as_donor": 2, "pledge": 1}
    erasure.erase_person(admin, donor.person, "本人申请")
    assert app_ctx.get(Person, ids["donor"]).name.startswith("已删除人员#")
    assert app_ctx.get(Person, ids["girl_person"]).name == "王小红"
    for key in ("active", "held"):
        sp = app_ctx.get(Sponsorship, ids[key])
        assert sp.status == "ended" and sp.end_reason == "本人申请删除个人信息"
        assert sp.ended_on == today()
    g = app_ctx.get(type(girl), ids["girl"])
    assert g.sponsor_lapsed_on == today() and g.waiting_since == today()
    assert app_ctx.get(type(other), ids["other"]).sponsor_lapsed_on is None
    assert app_ctx.get(Pledge, ids["pledge"]).status == "ended"


def test_erasing_a_girl_ends_her_sponsorship(app_ctx, world, admin):
    from matchmaker.models import Sponsorship

    donor, _user = world.donor()
    girl = world.girl()
    sp = world.sponsorship(world.pledge(donor), girl)
    sp_id, girl_pid, donor_pid = sp.id, girl.person_id, donor.person_id
    plan = erasure.plan_erase(admin, girl.person)
    assert plan.anonymise
    assert {line.what: line.count for line in plan.lines if line.action == "end"} == {
        "sponsorship_as_student": 1}
    erasure.erase_person(admin, girl.person, "监护人申请")
    kept = app_ctx.get(Sponsorship, sp_id)
    assert kept.status == "ended" and kept.end_reason == "本人申请删除个人信息"
    assert app_ctx.get(Person, girl_pid).name.startswith("已删除人员#")
    assert app_ctx.get(Person, donor_pid).name == "周慧敏"


def test_erasing_a_volunteer_reopens_her_service_request(app_ctx, make_person, admin):
    from matchmaker.models import ServiceAssignment, ServiceRequest
    from tests.conftest import _region

    her = make_person(NAME, mobile=MOBILE)
    mother = make_person("钱秀英")
    vol = VolunteerProfile(person=her, team="文明传播", teams="文明传播", status="active")
    req = ServiceRequest(title="助老", need="陪伴", region=_region(app_ctx, "330481107"),
                         person=mother, volunteers_wanted=1, status="assigned")
    app_ctx.add_all([vol, req])
    app_ctx.flush()
    a = ServiceAssignment(request_id=req.id, volunteer_id=vol.id, status="active",
                          explanation=f"{NAME}擅长陪伴")
    app_ctx.add(a)
    app_ctx.flush()
    ids = dict(req=req.id, a=a.id, her=her.id, mother=mother.id)
    plan = erasure.plan_erase(admin, her)
    assert plan.anonymise
    assert {line.what: line.count for line in plan.lines if line.action == "end"} == {
        "service_assignment": 1}
    erasure.erase_person(admin, her, "本人申请")
    assert app_ctx.get(ServiceRequest, ids["req"]).status == "open"
    kept = app_ctx.get(ServiceAssignment, ids["a"])
    assert kept is not None and kept.status == "ended"
    assert kept.explanation == f"已删除人员#{ids['her']}擅长陪伴"
    assert app_ctx.get(Person, ids["mother"]).name == "钱秀英"


def test_name_scrub_leaves_reference_data_alone(app_ctx, make_person, admin):
    from tests.conftest import _region

    her = make_person("金花", mobile="13911113333")
    her.note = "金花的电话 13911113333"
    city = _region(app_ctx, "330481")
    fund = Fund(name="2026 金花助学金", year=2026, kind="stipend", region=city,
                budget_fen=10_000_00)
    prog = Programme(name="金花结对", year=2026, region=city, mentee_pool="mentee")
    app_ctx.add_all([fund, prog])
    notify(person=make_person("朱丽"), subject="通知", body="金花（13911113333）已报名")
    app_ctx.flush()
    fund_id, prog_id, pid = fund.id, prog.id, her.id
    erasure.erase_person(admin, her, "本人申请")
    assert app_ctx.get(Fund, fund_id).name == "2026 金花助学金"
    assert app_ctx.get(Programme, prog_id).name == "金花结对"
    assert app_ctx.scalar(select(Notification.body).where(Notification.subject == "通知")) \
        == f"已删除人员#{pid}（已删除人员#{pid}）已报名"


def test_export_holds_requests_for_her_and_messages_about_her(app_ctx, make_person, admin):
    from matchmaker.models import ServiceRequest
    from tests.conftest import _region

    her = make_person(NAME, mobile=MOBILE)
    req = ServiceRequest(title="网上销售农产品", need="帮她卖茶叶",
                         region=_region(app_ctx, "330481107"), person=her,
                         volunteers_wanted=1, status="open")
    app_ctx.add(req)
    notify(person=make_person("朱丽"), subject="关于她的通知", body="请联系", about=her)
    app_ctx.flush()
    wb = load_workbook(BytesIO(personal_export.export_person(admin, her)))
    rows = list(wb["service_request_as_beneficiary"].iter_rows(values_only=True))
    assert len(rows) == 2 and "帮她卖茶叶" in rows[1]
    rows = list(wb["notification_about_her"].iter_rows(values_only=True))
    assert len(rows) >= 2 and all("关于她的通知" in r for r in rows[1:])


def test_coordinator_out_of_scope_cannot_erase(app_ctx, life, make_user):
    other = make_user("coordinator", region_codes=("330481101",))
    with pytest.raises(NotFound):
        erasure.erase_person(other, life[0], "x")


def _old(session, model_obj, when: datetime, attr: str = "updated_at"):
    session.execute(db.update(type(model_obj)).where(type(model_obj).id == model_obj.id)
                    .values({attr: when}))


def test_purge_lists_then_acts(app_ctx, make_person, make_user, app, tmp_path):
    today = date(2030, 6, 1)
    long_ago = datetime(2025, 1, 1, tzinfo=UTC)
    # A volunteer archived long ago: past 3 years → erased.
    gone = make_person("邹晓岚", mobile="13600000001")
    vol = VolunteerProfile(person=gone, team="文明传播", status="archived")
    # One archived only a year ago: kept.
    recent = make_person("沈丽", mobile="13600000002")
    vol2 = VolunteerProfile(person=recent, team="文明传播", status="archived")
    # Still active: kept whatever its age.
    active = make_person("陆敏", mobile="13600000003")
    vol3 = VolunteerProfile(person=active, team="文明传播", status="active")
    app_ctx.add_all([vol, vol2, vol3])
    app_ctx.flush()
    for obj in (gone, vol, active, vol3):
        _old(app_ctx, obj, long_ago)
    for obj in (recent, vol2):
        _old(app_ctx, obj, datetime(2029, 9, 1, tzinfo=UTC))
    old_note = notify(person=active, subject="旧通知", body="x")[0]
    new_note = notify(person=active, subject="新通知", body="y")[0]
    app_ctx.flush()
    _old(app_ctx, old_note, long_ago, "created_at")
    _old(app_ctx, new_note, datetime(2030, 5, 1, tzinfo=UTC), "created_at")
    user = make_user("volunteer", person=active)
    expired = OneTimeToken(user=user, purpose="set_password", token_hash="b" * 64,
                           expires_at=datetime(2029, 1, 1, tzinfo=UTC))
    live = OneTimeToken(user=user, purpose="set_password", token_hash="c" * 64,
                        expires_at=datetime(2031, 1, 1, tzinfo=UTC))
    old_ev = AuditEvent(action="login", at=datetime(2019, 1, 1, tzinfo=UTC))
    old_erase = AuditEvent(action="erase", target_type="person", target_id=1,
                           at=datetime(2019, 1, 1, tzinfo=UTC))
    app_ctx.add_all([expired, live, old_ev, old_erase])
    app_ctx.flush()
    ids = dict(gone=gone.id, recent=recent.id, active=active.id, old_note=old_note.id,
               new_note=new_note.id, expired=expired.id, live=live.id, old_ev=old_ev.id,
               old_erase=old_erase.id)
    now = datetime(2030, 6, 1, tzinfo=UTC)
    folder = Path(app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    stale, fresh = folder / ("s" * 32), folder / ("f" * 32)
    stale.write_bytes(b"x")
    fresh.write_bytes(b"y")
    os.utime(stale, (now.timestamp() - 25 * 3600,) * 2)
    os.utime(fresh, (now.timestamp() - 3600,) * 2)
    report = retention.purge(today, dry_run=True, now=now)
    assert report.count("upload") >= 1 and stale.exists()
    keys = {line.key for line in report.lines}
    assert f"person:{ids['gone']}" in keys
    assert f"person:{ids['recent']}" not in keys and f"person:{ids['active']}" not in keys
    assert f"notification:{ids['old_note']}" in keys
    assert f"notification:{ids['new_note']}" not in keys
    assert f"one_time_token:{ids['expired']}" in keys
    assert f"one_time_token:{ids['live']}" not in keys
    assert f"audit_event:{ids['old_ev']}" in keys and f"audit_event:{ids['old_erase']}" not in keys
    assert app_ctx.get(Person, ids["gone"]) is not None  # a dry run changes nothing
    assert app_ctx.get(Notification, ids["old_note"]) is not None

    retention.purge(today, dry_run=False, now=now)
    assert app_ctx.get(Person, ids["gone"]) is None
    assert app_ctx.get(Person, ids["recent"]) is not None
    assert app_ctx.get(Notification, ids["old_note"]) is None
    assert app_ctx.get(Notification, ids["new_note"]) is not None
    assert app_ctx.get(OneTimeToken, ids["expired"]) is None
    assert app_ctx.get(OneTimeToken, ids["live"]) is not None
    assert app_ctx.get(AuditEvent, ids["old_ev"]) is None
    assert app_ctx.get(AuditEvent, ids["old_erase"]) is not None
    assert scan(["邹晓岚", "13600000001"]) == []
    assert not stale.exists() and fresh.exists()
    fresh.unlink()


def test_purge_anonymises_people_with_financial_records(app_ctx, make_person, make_user):
    her, _m, _p, _a, award = build_life(app_ctx, make_person, make_user)
    for kind in (MenteeProfile, VolunteerProfile):
        prof = app_ctx.scalar(select(kind).where(kind.person_id == her.id))
        prof.status = "archived" if kind is VolunteerProfile else "inactive"
    app_ctx.flush()
    for model in (Person, MenteeProfile, VolunteerProfile):
        app_ctx.execute(db.update(model).where(
            (model.id == her.id) if model is Person else (model.person_id == her.id))
            .values(updated_at=datetime(2020, 1, 1, tzinfo=UTC)))
    report = retention.purge(date(2030, 1, 1), dry_run=False)
    line = next(x for x in report.lines if x.key == f"person:{her.id}")
    assert line.action == "anonymise"
    assert app_ctx.get(Person, her.id).name == f"已删除人员#{her.id}"
    assert app_ctx.get(Award, award.id) is not None
