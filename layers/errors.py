"""Domain exceptions. ``api/errors.py`` maps each class to an HTTP status in one table.

Every exception carries a stable machine ``code`` and a human message, Vietnamese first
and English second, that is safe to show to a person.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.extra = extra


class NotFound(DomainError):
    code = "not_found"


class InvalidInput(DomainError):
    code = "invalid_input"


class Conflict(DomainError):
    code = "conflict"


class NotAuthenticated(DomainError):
    code = "not_authenticated"


class Forbidden(DomainError):
    code = "forbidden"


class TooManyAttempts(DomainError):
    code = "too_many_attempts"


class ClusterError(DomainError):
    code = "cluster_error"


class DatabaseUnavailable(DomainError):
    code = "database_unavailable"
