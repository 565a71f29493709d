"""Routes of the activities blueprint."""

from matchmaker.blueprints.activities import bp  # noqa: F401
