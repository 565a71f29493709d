"""The outbox: every message is written first (in the same transaction as what caused
it), then delivered — in-app at once; SMS and e-mail by adapters that only log (without
the number or address) until a gateway is configured."""

from __future__ import annotations

import logging

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from matchmaker.extensions import db
from matchmaker.models import Notification, Pairing, Person
from matchmaker.models.base import utcnow

log = logging.getLogger(__name__)


def notify(*, person: Person, subject: str, body: str, secret: str | None = None,
           about: Person | None = None) -> list[Notification]:
    """Queue a message to a person: in-app always, SMS when she has a mobile.

    ``secret`` (a one-time link) goes by SMS only: it is stored apart from the body,
    appended when the SMS is sent and then forgotten, so that neither her inbox nor a copy
    of the database holds a usable link for long.

    ``about`` names the person a message speaks of (a girl, in a message to her donor), so
    that it can be hidden when that person's consent is withdrawn (``hide_about``)."""
    about_id = about.id if about is not None else None
    made = [Notification(person_id=person.id, channel="inapp", subject=subject, body=body,
                         status="sent", sent_at=utcnow(), about_person_id=about_id)]
    if person.mobile:
        made.append(Notification(person_id=person.id, channel="sms", subject=subject,
                                 body=body, secret=secret, status="pending",
                                 about_person_id=about_id))
    db.session.add_all(made)
    return made


HIDDEN = "（这条消息涉及的学生信息已隐藏）"


def hide_about(person_id: int, reader_id: int | None = None) -> int:
    """Blank the messages about this person in others' inboxes — everyone's (her guardian
    withdrew consent: no donor may see anything of her from now on), or only
    ``reader_id``'s (that donor's link to her ended). SMS not yet sent is dropped."""
    about = [Notification.about_person_id == person_id]
    if reader_id is not None:
        about.append(Notification.person_id == reader_id)
    done = db.session.execute(
        update(Notification).where(*about, Notification.person_id != person_id)
        .values(subject=HIDDEN, body=HIDDEN, secret=None)
        .execution_options(synchronize_session=False))
    db.session.execute(
        update(Notification).where(*about, Notification.status == "pending")
        .values(status="cancelled").execution_options(synchronize_session=False))
    return done.rowcount


def sms_text(notification: Notification) -> str:
    """What the SMS says: the body, and the secret if it has not been forgotten yet."""
    if notification.secret:
        return f"{notification.body} {notification.secret}"
    return notification.body


def forget_secrets(person_id: int) -> int:
    """Forget every one-time link still kept for her (used, superseded or revoked)."""
    done = db.session.execute(
        update(Notification).where(Notification.person_id == person_id,
                                   Notification.secret.is_not(None))
        .values(secret=None).execution_options(synchronize_session=False))
    return done.rowcount


def pairing_published(pairing: Pairing) -> None:
    """Tell both sides of a newly approved pairing."""
    mentor = pairing.mentor.person
    mentee = db.session.get(Person, pairing.mentee_person_id)
    programme = pairing.programme.name
    notify(person=mentor, subject=_("新的结对：%(programme)s", programme=programme),
           body=_("您已与%(name)s结对，所在地妇联会与您联系。", name=mentee.name))
    notify(person=mentee, subject=_("新的结对：%(programme)s", programme=programme),
           body=_("您已与导师%(name)s结对，所在地妇联会与您联系。", name=mentor.name))


class LoggingSms:
    """Stands in for an SMS gateway: logs that a message would go, never the number."""

    def send(self, notification: Notification) -> str:
        log.info("sms not configured; notification %s kept in the outbox", notification.id)
        return "logged"


def deliver_pending(limit: int = 100) -> int:
    """Hand pending messages to their adapters; returns how many were handled."""
    adapter = current_app.extensions.get("matchmaker_sms") or LoggingSms()
    pending = db.session.scalars(select(Notification).where(
        Notification.status == "pending").order_by(Notification.id).limit(limit)).all()
    for n in pending:
        n.status = adapter.send(n)
        n.sent_at = utcnow()
        if n.status == "sent":
            # Delivered: the link lives in her SMS now. A logging stand-in keeps it, so
            # that on a machine without a gateway the link can still be read off the
            # outbox by whoever runs it.
            n.secret = None
    db.session.flush()
    return len(pending)


def inbox(person: Person) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.person_id == person.id, Notification.channel == "inapp")
        .order_by(Notification.id.desc()).limit(50)))
