"""Errors: the app's own exceptions and RFC 9457 problem details for every error the app can produce.

Raise :class:`NotFoundError` (and the others) anywhere; :func:`add_problem_handlers` makes the app answer each
as ``application/problem+json``; pure-ASGI middleware answers with :func:`send_problem`.
"""

from __future__ import annotations

from reference_app.errors.crash import CrashAnswerMiddleware
from reference_app.errors.exceptions import (
    AppError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    TooManyRequestsError,
)
from reference_app.errors.problems import (
    PROBLEM_MEDIA_TYPE,
    ProblemResponse,
    add_problem_handlers,
    problem,
    problem_body,
    send_problem,
)

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "AppError",
    "BadRequestError",
    "ConflictError",
    "CrashAnswerMiddleware",
    "NotFoundError",
    "ProblemResponse",
    "TooManyRequestsError",
    "add_problem_handlers",
    "problem",
    "problem_body",
    "send_problem",
]
