"""Pairing programmes (双百结对, 帮扶, 社会妈妈): who mentors whom, and how to score pairs."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import N_, Audited, Timestamps, one_of
from matchmaker.models.region import Region

PROGRAMME_STATUSES = ("draft", "active", "closed")
PROGRAMME_STATUS_LABELS = {"draft": N_("草稿"), "active": N_("进行中"), "closed": N_("已结束")}
# Mentors always come from the mentor registry (by kind); mentees from one of these.
MENTEE_POOLS = ("mentee", "spring_bud")
POOL_LABELS = {"mentee": N_("帮扶对象"), "spring_bud": N_("春蕾学员（受助儿童）")}


class Programme(Audited, Timestamps, db.Model):
    __tablename__ = "programme"
    __table_args__ = (
        one_of("status", PROGRAMME_STATUSES, "status"),
        one_of("mentee_pool", MENTEE_POOLS, "mentee_pool"),
        db.CheckConstraint("target_pairs >= 0", name="target_pairs"),
        db.CheckConstraint("default_capacity >= 0", name="default_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    year: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    # The programme runs within this region (a city or a town); a town coordinator sees
    # the programmes of her town and the proposals inside it.
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    mentor_kinds: Mapped[str] = mapped_column(String(100), default="")  # comma-separated
    mentee_pool: Mapped[str] = mapped_column(String(20))
    mentee_kinds: Mapped[str] = mapped_column(String(100), default="")
    target_pairs: Mapped[int] = mapped_column(Integer, default=100)
    default_capacity: Mapped[int] = mapped_column(Integer, default=1)
    weights: Mapped[dict] = mapped_column(JSON, default=dict)
    rules: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="active")

    region: Mapped[Region] = relationship()

    def __repr__(self) -> str:
        return f"<Programme {self.id} {self.year}>"

    @staticmethod
    def split(kinds: str) -> list[str]:
        return [k for k in (kinds or "").split(",") if k]
