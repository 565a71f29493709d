"""Routes of the imports blueprint."""

from matchmaker.blueprints.imports import bp  # noqa: F401
