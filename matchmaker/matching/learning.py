"""Learn feature weights from coordinators' past approve/reject decisions.

A logistic regression on the per-pair feature values predicts approval; its coefficients,
clipped at zero (a weight may not reward a worse match) and rescaled so they sum to the
current weights' sum, become the proposed weights. Both the proposed and the current
weights are judged on the *same* stratified cross-validation folds:

- ROC AUC of the weighted score ``Σ w_f · x_f`` as a predictor of approval;
- accuracy of that score with a threshold chosen on the training part of each fold.

The weights proposed for adoption are fitted on all decisions. Nothing is adopted
automatically: a coordinator compares the figures first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .features import FEATURE_KEYS
from .scoring import Weights

MIN_DECISIONS = 10
MIN_PER_CLASS = 2


class LearningError(ValueError):
    """Too few or one-sided decisions; the message says what is missing (Chinese, English)."""


@dataclass(frozen=True)
class Decision:
    """One past decision: the pair's feature values (``FEATURE_KEYS``) and the verdict."""

    features: Mapping[str, float]
    approved: bool


@dataclass(frozen=True)
class ScorerQuality:
    """Cross-validated quality of a weight vector (means over folds)."""

    accuracy: float
    roc_auc: float


@dataclass(frozen=True)
class WeightFit:
    """Proposed weights and how they compare with the current ones on the same folds."""

    weights: Weights
    fitted: ScorerQuality
    current: ScorerQuality
    n_decisions: int
    n_approved: int
    folds: int

    def summary_zh(self) -> str:
        """One Chinese sentence a coordinator can act on."""
        return (
            f"基于 {self.n_decisions} 条审核记录（批准 {self.n_approved} / 拒绝 "
            f"{self.n_decisions - self.n_approved}），{self.folds} 折交叉验证："
            f"当前权重 准确率 {self.current.accuracy:.2f}、AUC {self.current.roc_auc:.2f}；"
            f"拟合权重 准确率 {self.fitted.accuracy:.2f}、AUC {self.fitted.roc_auc:.2f}"
        )


def _fit(x: np.ndarray, y: np.ndarray, c: float) -> np.ndarray:
    """Non-negative weight direction from a logistic regression (may be all zero)."""
    from sklearn.linear_model import LogisticRegression  # loaded when first used (~120 MB)

    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(x, y)
    return np.clip(model.coef_.ravel(), 0.0, None)


def _threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """Threshold maximising accuracy of ``score >= t`` on training data (lowest such t)."""
    cuts = np.unique(scores)
    candidates = np.concatenate([[cuts[0] - 1.0], (cuts[:-1] + cuts[1:]) / 2, [cuts[-1] + 1.0]])
    acc = [np.mean((scores >= t) == y) for t in candidates]
    return float(candidates[int(np.argmax(acc))])


def fit_weights_arrays(
    x: np.ndarray, approved: np.ndarray, current: Weights, folds: int = 5,
    seed: int = 0, c: float = 1.0,
) -> WeightFit:
    """:func:`fit_weights` on a feature matrix (columns in ``FEATURE_KEYS`` order)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(approved, dtype=bool)
    if x.ndim != 2 or x.shape[1] != len(FEATURE_KEYS) or len(x) != len(y):
        raise LearningError(f"特征矩阵形状不对 (expected n × {len(FEATURE_KEYS)} features)")
    if not np.all(np.isfinite(x)):
        raise LearningError("特征值必须是有限数字 (features must be finite)")
    n, n_yes = len(y), int(y.sum())
    if n < MIN_DECISIONS:
        raise LearningError(
            f"审核记录太少：{n} 条，至少需要 {MIN_DECISIONS} 条 "
            f"(too few decisions: {n}, need at least {MIN_DECISIONS})"
        )
    if n_yes == 0 or n_yes == n:
        which = "批准" if n_yes else "拒绝"
        raise LearningError(
            f"记录全部为{which}，无法区分好坏配对 (only one class of decision)"
        )
    smaller = min(n_yes, n - n_yes)
    if smaller < MIN_PER_CLASS:
        raise LearningError(
            f"批准或拒绝的记录少于 {MIN_PER_CLASS} 条 "
            f"(need at least {MIN_PER_CLASS} approvals and {MIN_PER_CLASS} rejections)"
        )
    k = int(min(folds, smaller))
    w_now = current.as_array()
    total = float(w_now.sum()) or 1.0
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    split = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    got: dict[str, list[tuple[float, float]]] = {"fitted": [], "current": []}
    for train, test in split.split(x, y):
        w_fit = _fit(x[train], y[train], c)
        for name, w in (("fitted", w_fit), ("current", w_now)):
            t = _threshold(x[train] @ w, y[train])
            s_test = x[test] @ w
            got[name].append((float(np.mean((s_test >= t) == y[test])),
                              float(roc_auc_score(y[test], s_test))))
    direction = _fit(x, y, c)
    if direction.sum() <= 0:
        raise LearningError(
            "记录中没有哪项特征与批准正相关，无法给出权重 "
            "(no feature is positively associated with approval)"
        )
    weights = Weights.from_array(direction * (total / direction.sum()))

    def mean(name: str) -> ScorerQuality:
        arr = np.array(got[name])
        return ScorerQuality(float(arr[:, 0].mean()), float(arr[:, 1].mean()))

    return WeightFit(weights, mean("fitted"), mean("current"), n, n_yes, k)


def fit_weights(
    decisions: Sequence[Decision], current: Weights, folds: int = 5, seed: int = 0,
    c: float = 1.0,
) -> WeightFit:
    """Fit weights from past decisions and report CV accuracy / ROC AUC next to the current
    weights' (raises :class:`LearningError` when the decisions cannot support a fit)."""
    rows = []
    for k, d in enumerate(decisions):
        missing = [f for f in FEATURE_KEYS if f not in d.features]
        if missing:
            raise LearningError(
                f"第 {k + 1} 条记录缺少特征 {missing[0]} (decisions[{k}]: missing {missing[0]})"
            )
        rows.append([float(d.features[f]) for f in FEATURE_KEYS])
    x = np.array(rows, dtype=np.float64).reshape(len(rows), len(FEATURE_KEYS))
    return fit_weights_arrays(x, np.array([d.approved for d in decisions], dtype=bool),
                              current, folds, seed, c)
