"""Routes of the portal blueprint."""

from matchmaker.blueprints.portal import bp  # noqa: F401
