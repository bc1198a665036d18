"""RFC 9457 ``application/problem+json`` responses for every error the app can produce.

HTTP errors (401, 403, 404, 405...), validation (422 with an ``errors`` list), the app's own errors
(:mod:`reference_app.errors.exceptions`: 400, 404, 409, 429), integrity violations (409) and anything unexpected
(500, with nothing of the exception shown to the caller). Pure-ASGI middleware, which answers outside the app's
exception handlers (413 body size, 429/503 rate limit), writes the same body with :func:`send_problem`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from asgi_correlation_id.context import correlation_id as request_id
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import Scope, Send

from reference_app.errors.exceptions import AppError, TooManyRequestsError
from reference_app.routing import RouteTemplates

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
UNEXPECTED_DETAIL = "An unexpected error occurred."


class ProblemResponse(JSONResponse):
    """A JSON response served as ``application/problem+json``."""

    media_type = PROBLEM_MEDIA_TYPE


def problem_body(status: int, detail: Any, instance: str, **extensions: Any) -> dict[str, Any]:
    """The RFC 9457 members: ``type``, ``title`` (the status phrase), ``status``, ``detail``, ``instance``; and the
    request's ID as the extension member ``request_id`` (inside a request), for a caller quoting it to support."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    return {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail if detail is None or isinstance(detail, str) else jsonable_encoder(detail),
        "instance": instance,
        **({"request_id": rid} if (rid := request_id.get()) is not None else {}),
        **extensions,
    }


def problem(
    request: Request,
    status: int,
    detail: Any = None,
    *,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> ProblemResponse:
    """Build a problem response for ``request`` (its path is the ``instance``)."""
    return ProblemResponse(
        problem_body(status, detail, request.url.path, **extensions), status_code=status, headers=headers
    )


async def send_problem(
    scope: Scope,
    send: Send,
    status: int,
    detail: str,
    *,
    headers: Sequence[tuple[bytes, bytes]] = (),
    **extensions: Any,
) -> None:
    """Answer the request of ``scope`` with a problem from pure-ASGI middleware, before or instead of the app.

    No exception handler runs out there, so this writes the body they would: ``headers`` first, then the
    problem's ``content-type`` and ``content-length``.
    """
    body = json.dumps(problem_body(status, detail, scope["path"], **extensions)).encode()
    response_headers = [
        *headers,
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": response_headers})
    await send({"type": "http.response.body", "body": body})


def json_pointer(loc: Sequence[str | int]) -> str:
    """RFC 6901 pointer for a pydantic error location.

    Body errors point into the body (``("body", "title")`` -> ``#/title``); other locations keep their
    source as the first segment (``("query", "limit")`` -> ``#/query/limit``).
    """
    parts = list(loc[1:]) if loc and loc[0] == "body" else list(loc)
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in parts)
    return "#/" + "/".join(escaped) if parts else "#"


_OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def allowed_methods(request: Request) -> list[str] | None:
    """Every method the request's path answers, from the app's OpenAPI paths; None when no documented path matches.

    Starlette's 405 names only the methods of the first route it tried: ``GET`` for ``/documents/{document_id}``,
    which also takes ``PATCH`` and ``DELETE``.
    """
    paths: dict[str, Any] = request.app.openapi().get("paths", {})
    template = RouteTemplates(lambda: paths).template_for(request.url.path)
    if template is None:
        return None
    return sorted(method.upper() for method in paths[template] if method in _OPERATIONS)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """Render an ``HTTPException`` (ours or Starlette's 404/405) as a problem; a 405's ``Allow`` lists every method
    of the path."""
    assert isinstance(exc, StarletteHTTPException)
    # 204 and 304 must not carry a body, so they cannot carry a problem either.
    if exc.status_code in (204, 304) or exc.status_code < 200:
        return Response(status_code=exc.status_code, headers=exc.headers)
    headers = exc.headers
    if exc.status_code == 405 and (methods := allowed_methods(request)):
        headers = {**(exc.headers or {}), "Allow": ", ".join(methods)}
    return problem(request, exc.status_code, exc.detail, headers=headers)


async def validation_exception_handler(request: Request, exc: Exception) -> Response:
    """Render request validation failures as a 422 problem with one ``errors`` entry per field."""
    assert isinstance(exc, RequestValidationError)
    errors = [{"detail": error["msg"], "pointer": json_pointer(error["loc"])} for error in exc.errors()]
    return problem(request, 422, "The request is not valid.", errors=errors)


async def app_error_handler(request: Request, exc: Exception) -> Response:
    """Render the app's own errors with their status and safe detail."""
    assert isinstance(exc, AppError)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequestsError) else None
    return problem(request, exc.status, exc.detail, headers=headers, **exc.extensions)


def _is_unique_violation(exc: IntegrityError) -> bool:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) == "23505" or getattr(orig, "sqlite_errorname", None) in (
        "SQLITE_CONSTRAINT_UNIQUE",
        "SQLITE_CONSTRAINT_PRIMARYKEY",
    )


async def integrity_error_handler(request: Request, exc: Exception) -> Response:
    """A write that breaks a constraint is a 409; the SQL and the constraint's name stay in the log."""
    assert isinstance(exc, IntegrityError)
    log.info("integrity error on %s %s: %s", request.method, request.url.path, exc.orig)
    if _is_unique_violation(exc):
        return problem(request, 409, "A resource with one of these unique values already exists.")
    return problem(request, 409, "The change conflicts with the data it refers to.")


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    """Anything unhandled: a bare 500 problem; the traceback goes to the log, never to the caller."""
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(request, 500, UNEXPECTED_DETAIL)


def add_problem_handlers(app: FastAPI) -> None:
    """Make ``app`` answer every error with problem details."""
    app.add_exception_handler(StarletteHTTPException, http_exception_handler)
    app.add_exception_handler(RequestValidationError, validation_exception_handler)
    app.add_exception_handler(AppError, app_error_handler)
    app.add_exception_handler(IntegrityError, integrity_error_handler)
    # Registered for Exception, Starlette runs it in ServerErrorMiddleware, outermost: it sees every crash.
    app.add_exception_handler(Exception, unexpected_error_handler)
