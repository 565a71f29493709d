"""The region tree: city → town/street → village/community."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import N_, one_of

LEVELS = ("province", "city", "county", "town", "village")
LEVEL_LABELS = {
    "province": N_("省"),
    "city": N_("市"),
    "county": N_("县（市、区）"),
    "town": N_("镇（街道）"),
    "village": N_("村（社区）"),
}


class Region(db.Model):
    __tablename__ = "region"
    __table_args__ = (one_of("level", LEVELS, "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    level: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    # Codes from the root down, joined by "/", ending in "/": a subtree is a prefix match.
    path: Mapped[str] = mapped_column(String(255), index=True)

    parent: Mapped[Region | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Region]] = relationship(back_populates="parent", order_by="Region.code")

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"

    @property
    def full_name(self) -> str:
        """The names from below the root down to this region, e.g. 盐官镇 郭店村."""
        names = []
        node: Region | None = self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " ".join(reversed(names))

    def contains(self, other: Region) -> bool:
        return other.path.startswith(self.path)
