"""Routes of the donor blueprint."""

from matchmaker.blueprints.donor import bp  # noqa: F401
