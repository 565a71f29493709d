"""A coordinator invites a donor (a company that sponsors two girls); the link she gets by
SMS lets her set a password; she logs in with her mobile, opens one of her girls, reads
the term's progress note, and opens a receipt of her donation — on a phone."""

from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.models import DonorProfile, Notification, Pledge, ProgressNote, Sponsorship
from tests.browser.conftest import set_password_and_log_in


def invited_donor(app) -> tuple[int, str, str]:
    """(donor profile id, mobile, a note her girl's card should show) of a demo donor who
    sponsors girls with an approved note and has no account yet."""
    with app.app_context():
        for donor in db.session.scalars(select(DonorProfile).order_by(DonorProfile.id)):
            if donor.person.mobile is None or donor.person_id is None:
                continue
            note = db.session.scalar(
                select(ProgressNote.body).join(Sponsorship,
                                               Sponsorship.student_id == ProgressNote.student_id)
                .join(Pledge, Sponsorship.pledge_id == Pledge.id)
                .where(Pledge.donor_id == donor.id, Sponsorship.status == "active",
                       ProgressNote.status == "approved"))
            from matchmaker.models import User

            has_account = db.session.scalar(select(User.id).where(
                User.person_id == donor.person_id)) is not None
            if note and not has_account:
                return donor.id, donor.person.mobile, note
    raise AssertionError("the demo has no donor to invite")


def sms_link(app, mobile: str) -> str:
    with app.app_context():
        from matchmaker.models import Person

        person_id = db.session.scalar(select(Person.id).where(Person.mobile == mobile))
        return db.session.scalar(
            select(Notification.secret).where(Notification.person_id == person_id,
                                              Notification.secret.is_not(None))
            .order_by(Notification.id.desc()))


def test_invitation_password_students_note_receipt(page, phone, live_server):
    donor_id, mobile, note = invited_donor(live_server.app)

    page.goto(live_server + "/login")
    page.fill("#username", "coordinator")
    page.fill("#password", "matchmaker-demo")
    page.click("button.primary")
    page.goto(live_server + f"/donors/{donor_id}")
    page.click("button:has-text('发送邀请链接')")
    assert "已邀请" in page.locator("main").inner_text()

    link = sms_link(live_server.app, mobile)
    assert link and "/account/set-password/" in link
    set_password_and_log_in(phone, link, mobile, "Donor-2026-love")
    phone.goto(live_server + "/donor")
    cards = phone.locator("section.card h3 a")
    assert cards.count() >= 1

    # Her girls, one by one, until the one with the term's note.
    found = False
    for k in range(cards.count()):
        phone.goto(live_server + "/donor")
        phone.locator("section.card h3 a").nth(k).click()
        if note in phone.locator("main").inner_text():
            found = True
            break
    assert found, "the approved progress note is not on any of her girls' cards"
    assert "回信完全自愿" in phone.locator("main").inner_text() or \
        "不影响资助" in phone.locator("main").inner_text()

    phone.click("main >> text=捐款收据")
    phone.locator("table a").first.click()
    receipt = phone.locator("main").inner_text()
    assert "CL20" in receipt and "元整" in receipt  # the number, and the amount in 大写
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
