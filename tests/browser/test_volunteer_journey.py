"""A woman signs up on her phone from a poster's link; the town coordinator accepts her;
the link she gets by SMS lets her set a password; she logs in with her mobile and signs up
for a service activity — all at phone size except the coordinator's desk."""

from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.models import Notification, Person
from tests.browser.conftest import set_password_and_log_in

MOBILE = "13906660123"


def sms_link(app) -> str:
    """The set-password link of the newest SMS to her, read off the outbox (the way she
    would read it off her phone)."""
    with app.app_context():
        person_id = db.session.scalar(select(Person.id).where(Person.mobile == MOBILE))
        secret = db.session.scalar(
            select(Notification.secret).where(Notification.person_id == person_id,
                                              Notification.channel == "sms",
                                              Notification.secret.is_not(None))
            .order_by(Notification.id.desc()))
    assert secret and "/account/set-password/" in secret
    return secret


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_sign_up_accept_set_password_and_join_an_activity(phone, page, live_server):
    # 1. On her phone: the poster's link, pre-set to her town.
    phone.goto(live_server + "/join?town=330481107")  # 盐官镇
    assert "巾帼志愿者" in phone.locator("h1").inner_text()
    assert fits_the_screen(phone)
    phone.fill("#name", "钱晓雯")
    phone.fill("#mobile", MOBILE)
    assert phone.locator("#town").input_value() == "330481107"
    phone.locator("#village").select_option(index=1)
    phone.check("#teams-2")  # 家庭教育
    phone.fill("#skills", "做过十年幼儿园老师")
    phone.check("#availability-3")  # 周末上午
    phone.click("button.primary")
    # Forgot the consent: told beside the box, nothing lost.
    assert phone.locator(".field.has-error").count() == 1
    assert phone.locator("#name").input_value() == "钱晓雯"
    phone.check("#consent")
    phone.click("button.primary")
    phone.wait_for_url("**/join/done")
    assert MOBILE not in phone.url and "钱晓雯" not in phone.url

    # 2. At her desk: the town coordinator accepts the applicant.
    page.goto(live_server + "/login")
    page.fill("#username", "town-coordinator")
    page.fill("#password", "matchmaker-demo")
    page.click("button.primary")
    page.click("header nav >> text=志愿者")
    row = page.locator("tr", has_text="钱晓雯")
    assert "139****0123" in row.inner_text()
    row.locator("a", has_text="钱晓雯").click()
    page.click("button:has-text('录用')")
    assert "已录用" in page.locator("main").inner_text()

    # 3. On her phone: the link from the SMS, a password, then log in with her mobile.
    set_password_and_log_in(phone, sms_link(live_server.app), MOBILE, "Qian2026-home")
    phone.goto(live_server + "/me/activities")
    assert fits_the_screen(phone)

    # 4. She signs up for the first activity with a free place.
    offer = phone.locator("tr", has=phone.locator("button", has_text="报名")).filter(
        has_not=phone.locator("button", has_text="候补")).first
    title = offer.locator("td").first.inner_text().strip()
    offer.locator("button", has_text="报名").click()
    mine = phone.locator("main").inner_text()
    assert "已报名" in mine and title.splitlines()[0] in mine
