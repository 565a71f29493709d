"""The donor portal in the browser: her girls as an allow-list projection, her money,
receipts and letters — nobody else's (404) — and a coordinator's invitation."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from matchmaker.models import Notification, OneTimeToken, User
from matchmaker.models.profiles import DonorProfile, SpringBudProfile
from matchmaker.models.sponsorship import DonorLetter, Sponsorship
from matchmaker.services.privacy import IdVault
from tests.conftest import ID_KEY, csrf_token, login


def post(client, url: str, **data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client)})


class Scene:
    """Two donors, each with a girl (active), a held proposal, a payment, a receipt and a
    letter; the client is logged in as the first."""


@pytest.fixture
def scene(client, world) -> Scene:
    sc = Scene()
    sc.donor, sc.user = world.donor()
    sc.other, _ = world.donor("吴敏", mobile="13900000002")
    pledge = world.pledge(sc.donor)
    sc.girl = world.girl()
    sc.id_number = _id_number_of(sc.girl)
    sc.sp = world.sponsorship(pledge, sc.girl)
    sc.held = world.sponsorship(pledge, world.girl("刘小芳", birth=date(2012, 3, 3)),
                                status="held")
    world.note(sc.girl, "本学期数学考了95分，当上了学习委员。")
    world.note(sc.girl, "还在审核的草稿。", term="2027-spring", status="draft")
    sc.payment = world.payment(sc.sp, amount_fen=120_000)
    sc.donation = world.donation(sc.donor)
    sc.letter = world.letter(sc.donor, sc.girl, "小红你好，祝你学习进步！")
    theirs = world.sponsorship(world.pledge(sc.other), world.girl("孙小雨"))
    sc.their_held = world.sponsorship(world.pledge(sc.other), world.girl("钱小兰"),
                                      status="held")
    sc.their_sp = theirs
    sc.their_payment = world.payment(theirs)
    sc.their_donation = world.donation(sc.other)
    sc.their_letter = world.letter(sc.other, theirs.student)
    for name in ("sp", "held", "payment", "donation", "letter", "their_sp", "their_held",
                 "their_payment", "their_donation", "their_letter"):
        setattr(sc, f"{name}_id", getattr(sc, name).id)
    sc.girl_id, sc.girl_person_id = sc.girl.id, sc.girl.person_id
    # Committed (to the test's savepoint): a 404 rolls back what is not.
    world.s.commit()
    assert login(client, sc.user).status_code == 302
    return sc


def _id_number_of(girl: SpringBudProfile) -> str:
    return IdVault(ID_KEY).decrypt(girl.person.id_cipher)


def _pages(sc: Scene) -> list[str]:
    return ["/", "/donor", f"/donor/students/{sc.sp_id}", "/donor/payments",
            f"/donor/payments/{sc.payment_id}", "/donor/receipts",
            f"/donor/receipts/{sc.donation_id}", "/donor/letters",
            f"/donor/letters/{sc.letter_id}"]


def test_pages_show_the_projection_and_nothing_of_her_record(client, scene):
    html = {url: client.get(url) for url in _pages(scene)}
    for url, resp in html.items():
        assert resp.status_code == 200, url
    text = "\n".join(r.get_data(as_text=True) for r in html.values())
    # What she may see.
    home = html["/donor"].get_data(as_text=True)
    for shown in ("小红", "盐官镇", "四年级", "待您确认", "小芳", "1,200.00", "2,000.00"):
        assert shown in home, shown
    card = html[f"/donor/students/{scene.sp_id}"].get_data(as_text=True)
    assert "本学期数学考了95分" in card and "还在审核的草稿" not in card
    assert "2026年秋季学期" in html["/donor/payments"].get_data(as_text=True)
    assert scene.donation.receipt_no in html[f"/donor/receipts/{scene.donation_id}"] \
        .get_data(as_text=True)
    # What she never sees: full name, school, ID number, phones, guardian, finances,
    # village (an address), birth date.
    assert scene.id_number and len(scene.id_number) == 18
    for secret in ("王小红", "刘小芳", "盐官镇中心小学", scene.id_number, "13700000009",
                   "137****0009", "13600000008", "136****0008", "王大山", "欠债", "母亲患病",
                   "桃园村", "2015-05-01", "孙小雨", "钱小兰", "吴敏"):
        assert secret not in text, secret
    assert not re.search(r"\*{4,}\d{3}[\dXx]", text)  # no masked ID either


def test_another_donors_ids_are_not_found(client, scene):
    for url in (f"/donor/students/{scene.their_sp_id}", f"/donor/students/{scene.their_held_id}",
                f"/donor/payments/{scene.their_payment_id}",
                f"/donor/receipts/{scene.their_donation_id}",
                f"/donor/letters/{scene.their_letter_id}", "/donor/students/999999",
                "/donor/receipts/999999", "/donor/payments/999999", "/donor/letters/999999"):
        assert client.get(url).status_code == 404, url
    for url in (f"/donor/students/{scene.their_sp_id}/letter",
                f"/donor/students/{scene.their_held_id}/confirm",
                f"/donor/students/{scene.their_held_id}/decline"):
        assert post(client, url, body="你好").status_code == 404, url
    # Nothing of hers is listed either.
    for url in ("/donor", "/donor/payments", "/donor/receipts", "/donor/letters"):
        page = client.get(url).get_data(as_text=True)
        assert "小雨" not in page and "小兰" not in page and \
            f"/donor/receipts/{scene.their_donation_id}\"" not in page


def test_withdrawing_consent_hides_her_at_once(client, session, scene):
    from matchmaker.services import consent

    assert "小红" in client.get("/donor").get_data(as_text=True)
    consent.withdraw(person=session.get(SpringBudProfile, scene.girl_id).person,
                     purpose="spring_bud")
    session.commit()  # (a refused request rolls back what is not committed)
    assert client.get(f"/donor/students/{scene.sp_id}").status_code == 404
    assert post(client, f"/donor/students/{scene.sp_id}/letter", body="你好").status_code == 404
    assert "小红" not in client.get("/donor").get_data(as_text=True)
    payments = client.get("/donor/payments").get_data(as_text=True)
    assert "小红" not in payments and "学员信息已隐藏" in payments and "1,200.00" in payments


def test_an_ended_sponsorship_leaves_her_records_without_her_name(client, session, scene):
    sp = session.get(Sponsorship, scene.sp_id)
    sp.status, sp.ended_on, sp.end_reason = "ended", date(2027, 2, 1), "学生转学外省"
    session.commit()
    for url in ("/donor/payments", f"/donor/payments/{scene.payment_id}"):
        page = client.get(url).get_data(as_text=True)
        assert "小红" not in page and "学员信息已隐藏" in page and "1,200.00" in page, url
    for url in ("/donor/letters", f"/donor/letters/{scene.letter_id}"):
        assert "学员信息已隐藏" in client.get(url).get_data(as_text=True), url


def test_a_held_proposal_is_confirmed_or_declined(client, session, world, scene):
    card = client.get(f"/donor/students/{scene.held_id}").get_data(as_text=True)
    assert "待您确认" in card and "确认资助" in card and "谢绝" in card
    assert "给她写信" not in card  # not hers to write to until she accepts
    resp = post(client, f"/donor/students/{scene.held_id}/confirm")
    assert resp.status_code == 302
    assert session.get(Sponsorship, scene.held_id).status == "active"
    card = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "资助中" in card and "感谢您" in card and "确认资助" not in card

    another = world.sponsorship(world.pledge(session.get(DonorProfile, scene.donor.id)),
                                world.girl("周小青"), status="held")
    another_id = another.id
    session.commit()
    assert post(client, f"/donor/students/{another_id}/decline").status_code == 302
    assert session.get(Sponsorship, another_id).status == "ended"
    assert client.get(f"/donor/students/{another_id}").status_code == 404


def test_a_letter_goes_to_the_coordinator(client, session, scene):
    card = client.get(f"/donor/students/{scene.sp_id}").get_data(as_text=True)
    assert "来信将由妇联工作人员审阅后转交；孩子是否回信完全自愿，不影响资助" in card
    resp = post(client, f"/donor/students/{scene.sp_id}/letter", body="")
    assert resp.status_code == 422 and "来信内容不能为空" in resp.get_data(as_text=True)
    resp = post(client, f"/donor/students/{scene.sp_id}/letter", body="新年快乐，好好学习！")
    assert resp.status_code == 302
    letter = session.scalar(select(DonorLetter).where(DonorLetter.body == "新年快乐，好好学习！"))
    assert letter.student_id == scene.girl_id and letter.status == "pending"
    page = client.get("/donor/letters").get_data(as_text=True)
    assert "新年快乐" in page and "待审阅" in page


def test_donor_pages_have_no_export_or_download(client, scene):
    for url in [*_pages(scene), f"/donor/students/{scene.held_id}"]:
        html = client.get(url).get_data(as_text=True)
        hrefs = re.findall(r'(?:href|action)="([^"]*)"', html)
        for word in ("导出", "下载", "Excel", "export", "download"):
            assert word not in html, (url, word)
        assert not [h for h in hrefs if re.search(r"\.(xlsx|csv|zip|pdf)\b|export", h)], url


def test_other_roles_cannot_open_the_portal(app, client, make_user):
    assert client.get("/donor").status_code == 302  # to the login page
    for role in ("volunteer", "coordinator", "admin"):
        other = app.test_client()
        login(other, make_user(role))
        assert other.get("/donor").status_code == 403, role
    # A donor account not linked to a donor profile has nothing to see.
    bare = app.test_client()
    login(bare, make_user("donor"))
    assert bare.get("/donor").status_code == 404


# --- invitations ----------------------------------------------------------------------

def _sms(session, person_id: int) -> list[Notification]:
    return list(session.scalars(select(Notification).where(
        Notification.person_id == person_id).order_by(Notification.id)))


def test_a_coordinator_invites_a_donor(app, client, session, world, make_user):
    donor, _ = world.donor(account=False)
    donor_id, person_id = donor.id, donor.person_id
    girl = world.girl()
    world.sponsorship(world.pledge(donor), girl)
    session.commit()
    login(client, make_user("coordinator", region_codes=("330481107",)))
    page = client.get(f"/donors/{donor_id}").get_data(as_text=True)
    assert "未开通" in page and "发送邀请链接" in page and "139****0001" in page
    assert "13900000001" not in page

    assert post(client, f"/donors/{donor_id}/invite").status_code == 302
    accounts = session.scalars(select(User).where(User.person_id == person_id)).all()
    assert [(u.role, u.username) for u in accounts] == [("donor", f"d{person_id}")]
    inapp, sms = _sms(session, person_id)
    assert inapp.channel == "inapp" and inapp.secret is None
    assert sms.channel == "sms" and sms.secret.startswith("http://localhost/account/set-password/")
    assert "set-password" not in inapp.body + sms.body + inapp.subject
    first = sms.secret

    page = client.get(f"/donors/{donor_id}").get_data(as_text=True)
    assert "已邀请，尚未设置密码" in page and "重新发送邀请链接" in page
    assert post(client, f"/donors/{donor_id}/invite").status_code == 302
    assert session.scalar(select(func.count(User.id)).where(User.person_id == person_id)) == 1
    live = session.scalars(select(OneTimeToken).where(OneTimeToken.used_at.is_(None),
                                                      OneTimeToken.user_id == accounts[0].id))
    assert len(list(live)) == 1
    # The first link no longer works; the new one does, and she logs in with her mobile.
    fresh = app.test_client()
    assert fresh.get(first.replace("http://localhost", "")).status_code == 410
    second = _sms(session, person_id)[-1].secret
    path = second.replace("http://localhost", "")
    resp = fresh.post(path, data={"password": "Spring-bud-2026", "confirm": "Spring-bud-2026",
                                  "csrf_token": csrf_token(fresh)})
    assert resp.status_code == 302
    resp = fresh.post("/login", data={"username": "13900000001",
                                      "password": "Spring-bud-2026",
                                      "csrf_token": csrf_token(fresh)})
    assert resp.status_code == 302
    home = fresh.get("/donor").get_data(as_text=True)
    assert "小红" in home and "王小红" not in home


def test_invitation_is_out_of_reach_outside_scope(app, client, session, world, make_user,
                                                  as_role):
    donor, _ = world.donor(account=False)
    donor_id, person_id = donor.id, donor.person_id
    session.commit()
    as_role("coordinator", region_codes=("330481101",))
    assert client.get(f"/donors/{donor_id}").status_code == 404
    assert post(client, f"/donors/{donor_id}/invite").status_code == 404
    assert client.get("/donors/999999").status_code == 404
    assert session.scalar(select(func.count(User.id)).where(User.person_id == person_id)) == 0
    assert _sms(session, person_id) == []
    as_donor = app.test_client()
    login(as_donor, make_user("donor"))
    assert as_donor.get(f"/donors/{donor_id}").status_code == 403
    assert post(as_donor, f"/donors/{donor_id}/invite").status_code == 403
