"""Pure matching engine: profiles -> features -> candidates -> scores -> exact pairs.

Plain data in, plain data out; depends only on numpy, SciPy and scikit-learn and on nothing
else in ``matchmaker`` (no Flask, no SQLAlchemy). Public names are loaded lazily so that
``matchmaker.matching.jsonio`` (the CLI path) does not import scikit-learn.

Modules: ``types`` (dataclasses), ``features``, ``candidates``, ``scoring`` (weights, labels),
``solver`` (exact solve), ``explain``, ``learning`` (weights from decisions), ``jsonio``
(CLI JSON contract), ``propose`` (the pipeline), ``synthetic`` (seeded demo profiles).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "MentorProfile": "types",
    "MenteeProfile": "types",
    "MentorCapacity": "types",
    "Edge": "types",
    "Pair": "types",
    "Solution": "types",
    "region_path": "types",
    "solve": "solver",
    "solve_arrays": "solver",
    "Weights": "scoring",
    "PRESETS": "scoring",
    "FEATURE_LABELS": "scoring",
    "CandidateRules": "candidates",
    "propose": "propose",
    "Proposal": "propose",
    "explain_pair": "explain",
    "unmatched_reasons": "explain",
    "fit_weights": "learning",
    "Decision": "learning",
    "LearningError": "learning",
    "solve_json_text": "jsonio",
    "InputError": "jsonio",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
