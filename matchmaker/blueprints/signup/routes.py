"""Routes of the signup blueprint."""

from matchmaker.blueprints.signup import bp  # noqa: F401
