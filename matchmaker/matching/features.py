"""Pair features from profile records, computed for candidate edges only.

Every feature value lies in [0, 1]:

- ``text``: cosine similarity of character n-gram TF-IDF vectors (mentor specialty and
  experience vs mentee needs). Character n-grams (``char_wb``, 2–3) are used because the
  default token pattern would treat a whole Chinese clause as one token.
- ``category``: 1 if mentor and mentee share a specialty / industry category.
- ``region``: proximity on the region tree — same village 1.0, town 0.6, county 0.3,
  elsewhere 0 (``region_level`` keeps the level 0..3 for labels).
- ``availability``: share of the mentee's time slots the mentor also offers.
- ``priority``: mentee hardship / 5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from .types import MAX_HARDSHIP, MenteeProfile, MentorProfile

if TYPE_CHECKING:  # scikit-learn (with pandas) costs ~120 MB: loaded when first used
    from sklearn.feature_extraction.text import TfidfVectorizer

FEATURE_KEYS: tuple[str, ...] = ("text", "category", "region", "availability", "priority")
REGION_LEVELS: tuple[str, ...] = ("village", "town", "county", "elsewhere")
REGION_PROXIMITY = np.array([1.0, 0.6, 0.3, 0.0])
_EDGE_CHUNK = 200_000


@dataclass(frozen=True)
class TextIndex:
    """TF-IDF rows (L2-normalised, so a dot product is the cosine) for mentors and mentees."""

    vectorizer: TfidfVectorizer
    mentor_matrix: sp.csr_matrix
    mentee_matrix: sp.csr_matrix


def make_vectorizer() -> TfidfVectorizer:
    """The TF-IDF settings used for profile text (character 2–3-grams within words)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True, dtype=np.float32
    )


def build_text_index(mentor_texts: Sequence[str], mentee_texts: Sequence[str]) -> TextIndex:
    """Fit one vocabulary on all profile texts and vectorise both sides."""
    vectorizer = make_vectorizer()
    corpus = [t or "" for t in mentor_texts] + [t or "" for t in mentee_texts]
    if not any(len(t.strip()) >= 1 for t in corpus):
        corpus = corpus + ["__"]  # sklearn refuses an empty vocabulary
    matrix = vectorizer.fit_transform(corpus).tocsr()
    n = len(mentor_texts)
    return TextIndex(vectorizer, matrix[:n], matrix[n : n + len(mentee_texts)])


def text_similarity(a: str, b: str, corpus: Sequence[str] = ()) -> float:
    """Cosine similarity of two texts, IDF fitted on ``corpus`` plus the two texts."""
    index = build_text_index([a], [b, *corpus])
    return float(index.mentor_matrix[0].multiply(index.mentee_matrix[0]).sum())


def rowwise_dot(a: sp.csr_matrix, b: sp.csr_matrix, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """``a[ia[k]] · b[ib[k]]`` for every k, in chunks to bound memory."""
    out = np.zeros(len(ia), dtype=np.float64)
    for start in range(0, len(ia), _EDGE_CHUNK):
        stop = start + _EDGE_CHUNK
        prod = a[ia[start:stop]].multiply(b[ib[start:stop]])
        out[start:stop] = np.asarray(prod.sum(axis=1)).ravel()
    return out


@dataclass(frozen=True)
class EncodedProfiles:
    """Profiles as arrays: region ids per level (-1 = unknown), set memberships, numbers."""

    mentor_region: np.ndarray  # (M, 3) int64, column-major
    mentee_region: np.ndarray  # (N, 3) int64, column-major
    mentor_categories: sp.csr_matrix
    mentee_categories: sp.csr_matrix
    mentor_availability: sp.csr_matrix
    mentee_availability: sp.csr_matrix
    capacity: np.ndarray
    hardship: np.ndarray


def _region_ids(paths: Sequence[tuple[str, ...]], vocab: dict[str, int]) -> np.ndarray:
    out = np.full((len(paths), 3), -1, dtype=np.int64, order="F")  # columns contiguous
    for row, path in enumerate(paths):
        for level in range(min(3, len(path))):
            key = "\x1f".join(path[: level + 1])
            out[row, level] = vocab.setdefault(key, len(vocab))
    return out


def _set_matrix(sets: Sequence[frozenset[str]], vocab: dict[str, int]) -> sp.csr_matrix:
    rows: list[int] = []
    cols: list[int] = []
    for row, values in enumerate(sets):
        for value in sorted(values):
            rows.append(row)
            cols.append(vocab[value])
    data = np.ones(len(rows), dtype=np.float64)
    return sp.csr_matrix((data, (rows, cols)), shape=(len(sets), max(len(vocab), 1)))


def encode_profiles(
    mentors: Sequence[MentorProfile], mentees: Sequence[MenteeProfile]
) -> EncodedProfiles:
    """Turn profile records into the arrays the vectorised features need."""
    region_vocab: dict[str, int] = {}
    cat_vocab: dict[str, int] = {}
    slot_vocab: dict[str, int] = {}
    for p in (*mentors, *mentees):
        for c in sorted(p.categories):
            cat_vocab.setdefault(c, len(cat_vocab))
        for s in sorted(p.availability):
            slot_vocab.setdefault(s, len(slot_vocab))
    return EncodedProfiles(
        mentor_region=_region_ids([m.region for m in mentors], region_vocab),
        mentee_region=_region_ids([e.region for e in mentees], region_vocab),
        mentor_categories=_set_matrix([m.categories for m in mentors], cat_vocab),
        mentee_categories=_set_matrix([e.categories for e in mentees], cat_vocab),
        mentor_availability=_set_matrix([m.availability for m in mentors], slot_vocab),
        mentee_availability=_set_matrix([e.availability for e in mentees], slot_vocab),
        capacity=np.array([m.capacity for m in mentors], dtype=np.int64),
        hardship=np.array([e.hardship for e in mentees], dtype=np.int64),
    )


def region_level(mentor_region: np.ndarray, mentee_region: np.ndarray) -> np.ndarray:
    """Distance level on the region tree: 0 same village, 1 same town, 2 same county, 3 else.

    Inputs are (..., 3) id arrays as in :class:`EncodedProfiles`; unknown levels never match.
    Works elementwise with broadcasting, e.g. ``(chunk, 1, 3)`` against ``(1, M, 3)``.
    """
    same = (mentor_region == mentee_region) & (mentor_region >= 0)
    level = np.full(same.shape[:-1], 3, dtype=np.int8)
    level[same[..., 0]] = 2
    level[same[..., 1]] = 1
    level[same[..., 2]] = 0
    return level


def pair_region_level(enc: EncodedProfiles, mentor_idx: np.ndarray, mentee_idx: np.ndarray
                      ) -> np.ndarray:
    """:func:`region_level` for aligned index arrays, using fast one-dimensional gathers."""
    level = np.full(len(mentor_idx), 3, dtype=np.int8)
    for col, value in ((0, 2), (1, 1), (2, 0)):
        a = np.ascontiguousarray(enc.mentor_region[:, col])[mentor_idx]
        b = np.ascontiguousarray(enc.mentee_region[:, col])[mentee_idx]
        level[(a == b) & (a >= 0)] = value
    return level


@dataclass(frozen=True)
class EdgeFeatures:
    """Feature values of candidate edges: ``values[e, f]`` for ``FEATURE_KEYS[f]``."""

    edge_mentor: np.ndarray
    edge_mentee: np.ndarray
    values: np.ndarray
    region_level: np.ndarray


def compute_edge_features(
    enc: EncodedProfiles,
    index: TextIndex,
    edge_mentor: np.ndarray,
    edge_mentee: np.ndarray,
    text_sim: np.ndarray | None = None,
) -> EdgeFeatures:
    """Compute every feature for the given edges (``text_sim`` may be passed if known)."""
    em = np.asarray(edge_mentor, dtype=np.int64)
    ee = np.asarray(edge_mentee, dtype=np.int64)
    if text_sim is None:
        text_sim = rowwise_dot(index.mentor_matrix, index.mentee_matrix, em, ee)
    cat = rowwise_dot(enc.mentor_categories, enc.mentee_categories, em, ee) > 0
    shared_slots = rowwise_dot(enc.mentor_availability, enc.mentee_availability, em, ee)
    own_slots = np.asarray(enc.mentee_availability.sum(axis=1)).ravel()[ee]
    availability = np.divide(
        shared_slots, own_slots, out=np.zeros(len(ee)), where=own_slots > 0
    )
    level = pair_region_level(enc, em, ee)
    values = np.column_stack(
        [
            np.clip(np.asarray(text_sim, dtype=np.float64), 0.0, 1.0),
            cat.astype(np.float64),
            REGION_PROXIMITY[level],
            availability,
            enc.hardship[ee] / MAX_HARDSHIP,
        ]
    ) if len(ee) else np.zeros((0, len(FEATURE_KEYS)))
    return EdgeFeatures(em, ee, values, level)
