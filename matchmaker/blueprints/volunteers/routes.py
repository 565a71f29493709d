"""Routes of the volunteers blueprint."""

from matchmaker.blueprints.volunteers import bp  # noqa: F401
