"""Explanations a coordinator can read: why a pair, and why a mentee is left unmatched."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ._lap import reachable
from .features import FEATURE_KEYS
from .scoring import SLOT_LABELS, feature_label

SEPARATOR = " · "
MIN_SHOWN = 0.005  # contributions smaller than this are not worth a coordinator's attention

NO_CANDIDATE = "no_candidate"
MENTORS_FULL = "mentors_full"
MAX_PAIRS_REACHED = "max_pairs_reached"

REASON_TEXT: dict[str, tuple[str, str]] = {
    NO_CANDIDATE: (
        "没有符合规则的候选导师（地域范围、排除名单等）",
        "No candidate mentor under the rules (region range, exclusions, ...)",
    ),
    MENTORS_FULL: (
        "候选导师名额均已满，已分给得分不低于本对的配对或人工指定的配对",
        "Every candidate mentor is full with pairs scoring at least as high, or pinned pairs",
    ),
    MAX_PAIRS_REACHED: (
        "已达到本期配对数上限",
        "The max_pairs limit was reached",
    ),
}


@dataclass(frozen=True)
class ContributionItem:
    """One term of a pair's score with its labels and an optional detail (e.g. 茶叶种植)."""

    key: str
    label_zh: str
    label_en: str
    value: float
    detail: str = ""
    detail_en: str = ""

    def text(self, lang: str = "zh") -> str:
        label = self.label_zh if lang == "zh" else self.label_en
        sep = "：" if lang == "zh" else ": "
        detail = self.detail if lang == "zh" else (self.detail_en or self.detail)
        head = f"{label}{sep}{detail}" if detail else label
        return f"{head} {self.value:+.2f}"


@dataclass(frozen=True)
class PairExplanation:
    """Top contributions of a pair, largest first, and the sentence built from them."""

    items: tuple[ContributionItem, ...]
    text_zh: str
    text_en: str


def explain_pair(
    contribution_row: Sequence[float] | np.ndarray,
    region_level: int,
    details: Mapping[str, str | tuple[str, str]] | None = None,
    top: int = 3,
) -> PairExplanation:
    """Name the ``top`` largest contributions (by absolute value) of one pair.

    ``contribution_row`` follows ``FEATURE_KEYS``; ``details`` may add e.g. the shared
    expertise for ``"text"``, as one string or a (Chinese, English) pair. Ties keep feature
    order, so the text is deterministic.
    """
    details = details or {}
    row = [float(v) for v in contribution_row]
    order = sorted(range(len(row)), key=lambda k: (-abs(row[k]), k))
    items = []
    for k in order[:top]:
        if abs(row[k]) < MIN_SHOWN:
            continue
        key = FEATURE_KEYS[k]
        label = feature_label(key, region_level if key == "region" else None)
        detail = details.get(key, "")
        zh, en = detail if isinstance(detail, tuple) else (detail, detail)
        items.append(ContributionItem(key, label.zh, label.en, row[k], zh, en))
    zh = SEPARATOR.join(i.text("zh") for i in items) or "各项得分均很低"
    en = SEPARATOR.join(i.text("en") for i in items) or "All contributions are small"
    return PairExplanation(tuple(items), zh, en)


def slot_names(slots: frozenset[str] | set[str]) -> str:
    """Chinese names of availability codes, e.g. {'we_am','wd_ev'} -> '工作日晚上/周末上午'."""
    return "/".join(SLOT_LABELS.get(s, s) for s in sorted(slots))


@dataclass(frozen=True)
class UnmatchedReason:
    """Why one mentee has no mentor: a reason code plus Chinese and English sentences."""

    mentee_index: int
    code: str
    text_zh: str
    text_en: str
    best_mentor: int | None = None


def unmatched_reasons(
    capacities: np.ndarray,
    edge_mentor: np.ndarray,
    edge_mentee: np.ndarray,
    chosen: np.ndarray,
    n_mentees: int,
    max_pairs: int | None,
    scores: np.ndarray | None = None,
    mentor_ids: Sequence[str] | None = None,
) -> list[UnmatchedReason]:
    """Reason for every unmatched mentee of an optimal solution (``chosen`` edge indices).

    - ``no_candidate``: she has no candidate edge at all;
    - ``max_pairs_reached``: the limit is reached and, without it, an augmenting path from
      her (possibly reassigning others) would add a pair;
    - ``mentors_full``: otherwise — every candidate mentor is at capacity. At an optimum her
      pairs score at least as high as this mentee's edge to her (else swapping would keep the
      count and raise the total), unless they are pinned: pins are the "necessary" pairs.

    With ``scores`` (and ``mentor_ids`` for names) the text names her best candidate mentor
    and the lowest score that mentor accepted instead.
    """
    caps = np.asarray(capacities, dtype=np.int64)
    em = np.asarray(edge_mentor, dtype=np.int64)
    ee = np.asarray(edge_mentee, dtype=np.int64)
    chosen = np.asarray(chosen, dtype=np.int64)
    matched_edge = np.zeros(len(em), dtype=bool)
    matched_edge[chosen] = True
    has_mentor = np.zeros(n_mentees, dtype=bool)
    has_mentor[ee[chosen]] = True
    degree = np.bincount(ee, minlength=n_mentees)
    used = np.bincount(em[chosen], minlength=len(caps))
    limit_hit = max_pairs is not None and len(chosen) >= max_pairs
    can_grow = np.zeros(n_mentees, dtype=bool)
    if limit_hit and len(em):
        n_nodes = n_mentees + len(caps)
        free = ~matched_edge
        reach = reachable(
            n_nodes,
            np.concatenate([n_mentees + em[free], ee[matched_edge]]),
            np.concatenate([ee[free], n_mentees + em[matched_edge]]),
            n_mentees + np.flatnonzero(used < caps),
        )
        can_grow = reach[:n_mentees]
    best_edge = np.full(n_mentees, -1, dtype=np.int64)
    lowest_taken = np.full(len(caps), np.inf)
    if scores is not None and len(em):
        s = np.asarray(scores, dtype=np.float64)
        order = np.lexsort((-s, ee))  # per mentee, best score first (stable by input order)
        first = np.ones(len(order), dtype=bool)
        first[1:] = ee[order[1:]] != ee[order[:-1]]
        best_edge[ee[order[first]]] = order[first]
        np.minimum.at(lowest_taken, em[chosen], s[chosen])
    out = []
    for j in np.flatnonzero(~has_mentor):
        if degree[j] == 0:
            code = NO_CANDIDATE
        elif limit_hit and can_grow[j]:
            code = MAX_PAIRS_REACHED
        else:
            code = MENTORS_FULL
        zh, en = REASON_TEXT[code]
        best = int(best_edge[j]) if best_edge[j] >= 0 else None
        if code == MAX_PAIRS_REACHED:
            zh, en = f"{zh}（{max_pairs} 对）", f"{en} ({max_pairs} pairs)"
        elif code == MENTORS_FULL and best is not None and scores is not None:
            i = int(em[best])
            name = mentor_ids[i] if mentor_ids is not None else f"#{i}"
            own = float(scores[best])
            if lowest_taken[i] >= own:
                zh += (f"；最佳候选导师 {name} 已配对的最低得分 {lowest_taken[i]:.2f}"
                       f" ≥ 本对 {own:.2f}")
                en += f"; best candidate {name} took pairs scoring ≥ {lowest_taken[i]:.2f}"
            else:  # at an optimum only a pinned pair can score lower than hers
                zh += f"；最佳候选导师 {name} 的名额含人工指定的配对"
                en += f"; best candidate {name} is taken by pinned pairs"
        best_mentor = int(em[best]) if best is not None else None
        out.append(UnmatchedReason(int(j), code, zh, en, best_mentor))
    return out
