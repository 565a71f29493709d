"""Errors raised by operations, with a message fit to show a coordinator (Chinese)."""


class DomainError(Exception):
    """An operation refused its input. ``field`` names the form field at fault, if any."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """No such record, or not one the user may see (the two are not told apart)."""


class Forbidden(DomainError):
    """The user's role does not allow the operation."""
