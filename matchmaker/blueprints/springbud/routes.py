"""Routes of the springbud blueprint."""

from matchmaker.blueprints.springbud import bp  # noqa: F401
