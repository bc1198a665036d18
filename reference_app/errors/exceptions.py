"""The app's own exceptions; :mod:`reference_app.errors.problems` renders each as an RFC 9457 problem."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """An error the caller caused or may see: carries the HTTP status and a safe, human-readable detail."""

    status: int = 500

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class BadRequestError(AppError):
    """The request is malformed in a way validation cannot see (e.g. a tampered pagination cursor): 400."""

    status = 400


class NotFoundError(AppError):
    """The resource does not exist (or is soft-deleted, or belongs to another tenant): 404."""

    status = 404


class ConflictError(AppError):
    """The write conflicts with existing data (e.g. a unique value already taken): 409."""

    status = 409


class TooManyRequestsError(AppError):
    """The caller exceeded a rate limit: 429, with ``Retry-After`` in seconds."""

    status = 429

    def __init__(self, detail: str, *, retry_after: int, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.retry_after = retry_after
