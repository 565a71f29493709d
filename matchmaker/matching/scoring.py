"""Scores: a weighted sum of features with per-programme weights, kept per feature.

``score(e) = Σ_f weight_f · value_f(e)``; the terms ``weight_f · value_f(e)`` are the
*contributions* a screen shows, e.g. "同镇 +0.30 · 专长相近：茶叶种植 +0.25".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

import numpy as np

from .features import FEATURE_KEYS


@dataclass(frozen=True)
class FeatureLabel:
    """Human labels of one feature, Chinese first."""

    key: str
    zh: str
    en: str


FEATURE_LABELS: dict[str, FeatureLabel] = {
    "text": FeatureLabel("text", "专长相近", "Expertise matches needs"),
    "category": FeatureLabel("category", "行业相同", "Same industry"),
    "region": FeatureLabel("region", "地域相近", "Nearby"),
    "availability": FeatureLabel("availability", "时间契合", "Availability overlaps"),
    "priority": FeatureLabel("priority", "困难优先", "Hardship priority"),
}

REGION_LABELS: tuple[FeatureLabel, ...] = (
    FeatureLabel("region", "同村", "Same village"),
    FeatureLabel("region", "同镇", "Same town"),
    FeatureLabel("region", "同县", "Same county"),
    FeatureLabel("region", "异地", "Elsewhere"),
)

SLOT_LABELS: dict[str, str] = {
    "wd_am": "工作日上午",
    "wd_pm": "工作日下午",
    "wd_ev": "工作日晚上",
    "we_am": "周末上午",
    "we_pm": "周末下午",
    "we_ev": "周末晚上",
    # Codes before weekday/weekend were split by time of day (kept for old runs).
    "weekday": "工作日",
    "weekend": "周末",
    "evening": "晚上",
    "morning": "上午",
    "afternoon": "下午",
    "online": "线上",
}


@dataclass(frozen=True)
class Weights:
    """Per-programme feature weights (non-negative). Defaults suit a mixed programme:
    needs-vs-expertise and proximity matter most, hardship breaks near-ties in favour of
    mothers and women in difficulty."""

    text: float = 0.5
    category: float = 0.2
    region: float = 0.5
    availability: float = 0.15
    priority: float = 0.25

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"weight {f.name} must be a number")
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"weight {f.name} must be a finite non-negative number")

    def as_array(self) -> np.ndarray:
        """Weights in ``FEATURE_KEYS`` order."""
        return np.array([getattr(self, k) for k in FEATURE_KEYS], dtype=np.float64)

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}

    @classmethod
    def from_array(cls, values: np.ndarray) -> Weights:
        return cls(**{k: float(v) for k, v in zip(FEATURE_KEYS, values, strict=True)})

    @classmethod
    def from_mapping(cls, values: Mapping[str, float]) -> Weights:
        unknown = set(values) - set(FEATURE_KEYS)
        if unknown:
            raise ValueError(f"unknown weight names: {sorted(unknown)}")
        return cls(**{k: float(v) for k, v in values.items()})


#: Starting points per programme type; coordinators may refit them (see ``learning``).
PRESETS: dict[str, Weights] = {
    "default": Weights(),
    # 双百 / university students with entrepreneurs: expertise first, distance matters less.
    "university": Weights(text=0.7, category=0.3, region=0.15, availability=0.2, priority=0.2),
    # Skilled women farmers with rural women: face-to-face help, so proximity counts most.
    "rural": Weights(text=0.4, category=0.25, region=0.7, availability=0.1, priority=0.3),
    # Poor mothers: hardship priority weighs more.
    "hardship": Weights(text=0.4, category=0.15, region=0.5, availability=0.15, priority=0.5),
}


def contributions(values: np.ndarray, weights: Weights) -> np.ndarray:
    """Per-feature contributions ``values * weights`` (same shape as ``values``)."""
    return np.asarray(values, dtype=np.float64) * weights.as_array()


def scores(values: np.ndarray, weights: Weights) -> np.ndarray:
    """Total score per edge: the row sums of :func:`contributions`."""
    return contributions(values, weights).sum(axis=1)


def feature_label(key: str, region_level: int | None = None) -> FeatureLabel:
    """The label to show for a feature; the region label names the level (同村/同镇/…)."""
    if key == "region" and region_level is not None:
        return REGION_LABELS[int(region_level)]
    return FEATURE_LABELS[key]


def longest_common_substring(a: str, b: str) -> str:
    """Longest common substring (first one found), used to name shared expertise."""
    best_len, best_end = 0, 0
    prev = [0] * (len(b) + 1)
    for i in range(1, len(a) + 1):
        cur = [0] * (len(b) + 1)
        ai = a[i - 1]
        for j in range(1, len(b) + 1):
            if ai == b[j - 1] and not ai.isspace():
                cur[j] = prev[j - 1] + 1
                if cur[j] > best_len:
                    best_len, best_end = cur[j], i
        prev = cur
    return a[best_end - best_len : best_end]
