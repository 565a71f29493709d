"""Deterministic demo data (regions and people) for the matchmaker service."""

from .people import demo_people
from .regions import REGIONS, region_rows
from .vocabulary import REFERENCE_DATE

__all__ = ["REFERENCE_DATE", "REGIONS", "demo_people", "region_rows"]
