"""Plain data types of the matching engine (no ORM, no Flask: data in, data out).

Profiles carry what the features need. Regions are paths from the county level down,
e.g. ``("330481", "330481101", "330481101201")`` = county, town (乡镇/街道), village (村/社区);
:func:`region_path` also accepts a single 6/9/12-digit code and derives the prefixes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_HARDSHIP = 5


def region_path(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Normalise a region given as a path (county, town, village) or as one division code.

    A single code of 12 digits yields county/town/village (6/9/12-digit prefixes), of 9
    digits county/town, of 6 digits county only. Empty levels are dropped.
    """
    if value is None:
        return ()
    if isinstance(value, str):
        code = value.strip()
        if code.isdigit() and len(code) in (6, 9, 12):
            return tuple(code[:n] for n in (6, 9, 12) if n <= len(code))
        return (code,) if code else ()
    return tuple(str(v).strip() for v in value if str(v).strip())


def _frozen(values: Iterable[str] | None) -> frozenset[str]:
    if values is None:
        return frozenset()
    if isinstance(values, str):
        return frozenset([values]) if values else frozenset()
    return frozenset(str(v) for v in values)


@dataclass(frozen=True)
class MentorProfile:
    """A mentor (女企业家 / 女能手): what she knows, where she is, when she can help."""

    id: str
    specialty: str = ""
    experience: str = ""
    categories: frozenset[str] = field(default_factory=frozenset)
    region: tuple[str, ...] = ()
    availability: frozenset[str] = field(default_factory=frozenset)
    capacity: int = 1
    kind: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "categories", _frozen(self.categories))
        object.__setattr__(self, "availability", _frozen(self.availability))
        object.__setattr__(self, "region", region_path(self.region))
        if isinstance(self.capacity, bool) or not isinstance(self.capacity, int):
            raise ValueError(f"mentor {self.id}: capacity must be an integer")
        if self.capacity < 0:
            raise ValueError(f"mentor {self.id}: capacity must be non-negative")

    @property
    def text(self) -> str:
        """Text compared against a mentee's needs: specialty, then experience."""
        return f"{self.specialty} {self.experience}".strip()


@dataclass(frozen=True)
class MenteeProfile:
    """A mentee (女大学生 / 农村妇女 / 困难母亲): what she needs, where she is, her hardship."""

    id: str
    needs: str = ""
    categories: frozenset[str] = field(default_factory=frozenset)
    region: tuple[str, ...] = ()
    availability: frozenset[str] = field(default_factory=frozenset)
    hardship: int = 0
    kind: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "categories", _frozen(self.categories))
        object.__setattr__(self, "availability", _frozen(self.availability))
        object.__setattr__(self, "region", region_path(self.region))
        if isinstance(self.hardship, bool) or not isinstance(self.hardship, int):
            raise ValueError(f"mentee {self.id}: hardship must be an integer 0-{MAX_HARDSHIP}")
        if not 0 <= self.hardship <= MAX_HARDSHIP:
            raise ValueError(f"mentee {self.id}: hardship must be 0-{MAX_HARDSHIP}")


@dataclass(frozen=True)
class MentorCapacity:
    """Solver input: a mentor id and how many mentees she can take."""

    id: str
    capacity: int


@dataclass(frozen=True)
class Edge:
    """Solver input: a candidate pair and its score (any finite number)."""

    mentor: str
    mentee: str
    score: float


@dataclass(frozen=True)
class Pair:
    """Solver output: one chosen pair."""

    mentor: str
    mentee: str
    score: float
    pinned: bool = False


@dataclass(frozen=True)
class Solution:
    """Solver output. ``total_score`` is rounded to 9 decimals.

    ``unlimited_cardinality`` is how many pairs were possible without ``max_pairs``;
    ``limit_binding`` tells whether ``max_pairs`` cut the result short.
    """

    pairs: tuple[Pair, ...]
    pair_count: int
    total_score: float
    unmatched_mentees: tuple[str, ...]
    status: str
    score_resolution: float
    unlimited_cardinality: int
    limit_binding: bool
