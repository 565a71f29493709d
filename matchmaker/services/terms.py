"""School terms: ``2026-spring`` / ``2026-autumn``, shown as 2026年春季学期 / 秋季学期."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import gettext as _

from matchmaker.services import clock
from matchmaker.services.errors import DomainError

_TERM = re.compile(r"^(\d{4})-(spring|autumn)$")


def parse_term(raw: str | None, *, field: str = "term") -> str:
    """A term as typed, checked and normalised; a Chinese error otherwise."""
    value = (raw or "").strip().lower()
    m = _TERM.match(value)
    if not m:
        raise DomainError(_("学期格式不正确，应为“2026-spring”（春季）或“2026-autumn”（秋季）"),
                          field=field)
    year = int(m[1])
    if year < 2000 or year > clock.today().year + 1:
        raise DomainError(_("学期的年份不合理"), field=field)
    return value


def split_term(raw: str | None, *, field: str = "term") -> tuple[int, str]:
    """(year, "spring" | "autumn") of a valid term."""
    year, half = parse_term(raw, field=field).split("-")
    return int(year), half


def term_label(term: str | None) -> str:
    """``2026-autumn`` → 2026年秋季学期 (anything else is shown as it is)."""
    m = _TERM.match(term or "")
    if not m:
        return term or ""
    if m[2] == "autumn":
        return _("%(year)s年秋季学期", year=m[1])
    return _("%(year)s年春季学期", year=m[1])


def term_start(term: str) -> date:
    """The first day of a term: 1 February (spring) or 1 August (autumn)."""
    m = _TERM.match(term or "")
    if not m:
        raise ValueError(f"not a term: {term!r}")
    return date(int(m[1]), 2 if m[2] == "spring" else 8, 1)


def term_end(term: str) -> date:
    """The last day of a term: spring ends on 31 July, autumn on 31 January of the next
    year (the halves ``current_term`` uses). A malformed term raises ``ValueError``."""
    m = _TERM.match(term or "")
    if not m:
        raise ValueError(f"not a term: {term!r}")
    year = int(m[1])
    return date(year, 7, 31) if m[2] == "spring" else date(year + 1, 1, 31)


TERM_SEASONS = ("spring", "autumn")


def term_key(term: str) -> tuple[int, int]:
    """Sort key: year, then spring before autumn."""
    m = _TERM.match(term or "")
    return (int(m[1]), TERM_SEASONS.index(m[2])) if m else (0, 0)


def current_term(day: date | None = None) -> str:
    """The term a day falls in: spring February–July, autumn August–January."""
    day = day or clock.today()
    if day.month >= 8:
        return f"{day.year}-autumn"
    if day.month == 1:
        return f"{day.year - 1}-autumn"
    return f"{day.year}-spring"


def recent_terms(count: int = 4, day: date | None = None) -> list[str]:
    """The current term and the ones before it, newest first (choices for a note)."""
    terms = [current_term(day)]
    while len(terms) < count:
        year, season = terms[-1].split("-")
        terms.append(f"{year}-spring" if season == "autumn" else f"{int(year) - 1}-autumn")
    return terms
