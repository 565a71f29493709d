"""Fitting weights from coordinators' decisions, judged against the current weights."""

from __future__ import annotations

import numpy as np
import pytest

from matchmaker.matching.features import FEATURE_KEYS
from matchmaker.matching.learning import Decision, LearningError, fit_weights, fit_weights_arrays
from matchmaker.matching.scoring import Weights


def decisions_favouring(feature: str, n: int = 200, seed: int = 0):
    """Coordinators approve mostly on one feature; the others are noise."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, len(FEATURE_KEYS)))
    k = FEATURE_KEYS.index(feature)
    approved = (x[:, k] + 0.15 * rng.standard_normal(n)) > 0.5
    return x, approved


def test_fitted_weights_learn_what_coordinators_value():
    x, y = decisions_favouring("availability")
    current = Weights()  # puts little weight on availability
    fit = fit_weights_arrays(x, y, current)
    w = fit.weights.as_dict()
    assert max(w, key=w.get) == "availability"
    assert all(v >= 0 for v in w.values())
    assert sum(w.values()) == pytest.approx(sum(current.as_dict().values()))
    assert fit.fitted.roc_auc > fit.current.roc_auc + 0.1
    assert fit.fitted.accuracy > fit.current.accuracy
    assert fit.fitted.roc_auc > 0.85
    assert fit.folds == 5 and fit.n_decisions == 200
    assert "AUC" in fit.summary_zh() and "拟合权重" in fit.summary_zh()


def test_current_weights_auc_is_their_score_auc():
    # If decisions follow exactly the current score, the current weights are near perfect.
    rng = np.random.default_rng(1)
    x = rng.random((120, len(FEATURE_KEYS)))
    score = x @ Weights().as_array()
    y = score > np.median(score)
    fit = fit_weights_arrays(x, y, Weights())
    assert fit.current.roc_auc == pytest.approx(1.0)
    assert fit.current.accuracy > 0.9


def test_fit_is_reproducible_and_accepts_decision_records():
    x, y = decisions_favouring("text", n=60, seed=2)
    records = [Decision(dict(zip(FEATURE_KEYS, row, strict=True)), bool(a))
               for row, a in zip(x, y, strict=True)]
    a = fit_weights(records, Weights())
    b = fit_weights(records, Weights())
    assert a == b
    assert max(a.weights.as_dict(), key=a.weights.as_dict().get) == "text"


@pytest.mark.parametrize(
    ("n", "approve", "needle"),
    [
        (5, [True, False, True, False, True], "too few decisions"),
        (20, [True] * 20, "only one class"),
        (20, [False] * 20, "only one class"),
        (20, [True] + [False] * 19, "need at least 2 approvals"),
    ],
)
def test_unusable_decisions_raise_clear_errors(n, approve, needle):
    x = np.random.default_rng(0).random((n, len(FEATURE_KEYS)))
    with pytest.raises(LearningError, match=needle):
        fit_weights_arrays(x, np.array(approve), Weights())


def test_missing_feature_in_a_record():
    with pytest.raises(LearningError, match="missing category"):
        fit_weights([Decision({"text": 1.0}, True)] * 12, Weights())
