"""Routes of the sponsorship blueprint."""

from matchmaker.blueprints.sponsorship import bp  # noqa: F401
