"""Routes of the service blueprint."""

from matchmaker.blueprints.service import bp  # noqa: F401
