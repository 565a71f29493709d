"""A person: one row per human being, whatever registries she appears in."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import N_, Audited, Timestamps, one_of
from matchmaker.models.region import Region

GENDERS = ("F", "M")
GENDER_LABELS = {"F": N_("女"), "M": N_("男")}
STATUSES = ("active", "inactive")
STATUS_LABELS = {"active": N_("在册"), "inactive": N_("已停用"), "pending": N_("待审核"),
                 "archived": N_("已归档")}


class Person(Audited, Timestamps, db.Model):
    __tablename__ = "person"
    __table_args__ = (
        one_of("gender", GENDERS, "gender"),
        one_of("status", STATUSES, "status"),
    )
    __audit_exclude__ = ("updated_at", "name_pinyin", "name_initials", "id_cipher")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30), index=True)
    name_pinyin: Mapped[str] = mapped_column(String(200), default="")
    name_initials: Mapped[str] = mapped_column(String(30), default="", index=True)
    gender: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)
    mobile: Mapped[str | None] = mapped_column(String(11), index=True)
    # The resident ID number is kept only encrypted; the keyed hash finds duplicates and
    # the tail lets a masked form be shown without decrypting.
    id_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    id_tail: Mapped[str | None] = mapped_column(String(4))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="active")
    note: Mapped[str] = mapped_column(Text, default="")
    # A household number (户号) or any label shared by one family: the engine never pairs
    # two people of the same household.
    household: Mapped[str] = mapped_column(String(40), default="", server_default="",
                                           index=True)

    region: Mapped[Region] = relationship()

    def __repr__(self) -> str:
        return f"<Person {self.id}>"

    @property
    def has_id_number(self) -> bool:
        return self.id_cipher is not None
