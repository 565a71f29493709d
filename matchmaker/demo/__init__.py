"""Deterministic demo data (regions and people) for the matchmaker service."""

from .people import REFERENCE_DATE, demo_people
from .regions import REGIONS, region_rows

__all__ = ["REFERENCE_DATE", "REGIONS", "demo_people", "region_rows"]
