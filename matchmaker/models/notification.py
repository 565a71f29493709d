"""The outbox: messages to people, delivered in-app and by e-mail or SMS adapters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.extensions import db
from matchmaker.models.base import Timestamps, one_of

CHANNELS = ("inapp", "email", "sms")
NOTIFICATION_STATUSES = ("pending", "sent", "logged", "failed", "cancelled")


class Notification(Timestamps, db.Model):
    __tablename__ = "notification"
    __table_args__ = (
        one_of("channel", CHANNELS, "channel"),
        one_of("status", NOTIFICATION_STATUSES, "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"),
                                           index=True)
    # The person a message is about, when it is not its reader (a donor told of a girl):
    # withdrawing that person's consent hides the message's text from the reader's inbox.
    about_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # A one-time link kept apart from the body: appended only when the SMS goes out, never
    # shown in-app, and forgotten (NULL) once sent, used or superseded.
    secret: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
