"""Routes of the notes blueprint."""

from matchmaker.blueprints.notes import bp  # noqa: F401
