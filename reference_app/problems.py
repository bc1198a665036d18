"""RFC 9457 ``application/problem+json`` responses for HTTP and validation errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemResponse(JSONResponse):
    """A JSON response served as ``application/problem+json``."""

    media_type = PROBLEM_MEDIA_TYPE


def problem(
    request: Request,
    status: int,
    detail: Any = None,
    *,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> ProblemResponse:
    """Build a problem response with ``type``, ``title``, ``status``, ``detail`` and ``instance``."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail if detail is None or isinstance(detail, str) else jsonable_encoder(detail),
        "instance": request.url.path,
        **extensions,
    }
    return ProblemResponse(body, status_code=status, headers=headers)


def json_pointer(loc: Sequence[str | int]) -> str:
    """RFC 6901 pointer for a pydantic error location.

    Body errors point into the body (``("body", "title")`` -> ``#/title``); other locations keep their
    source as the first segment (``("query", "limit")`` -> ``#/query/limit``).
    """
    parts = list(loc[1:]) if loc and loc[0] == "body" else list(loc)
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in parts)
    return "#/" + "/".join(escaped) if parts else "#"


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """Render an ``HTTPException`` (ours or Starlette's 404/405) as a problem."""
    assert isinstance(exc, StarletteHTTPException)
    # 204 and 304 must not carry a body, so they cannot carry a problem either.
    if exc.status_code in (204, 304) or exc.status_code < 200:
        return Response(status_code=exc.status_code, headers=exc.headers)
    return problem(request, exc.status_code, exc.detail, headers=exc.headers)


async def validation_exception_handler(request: Request, exc: Exception) -> Response:
    """Render request validation failures as a 422 problem with one ``errors`` entry per field."""
    assert isinstance(exc, RequestValidationError)
    errors = [{"detail": error["msg"], "pointer": json_pointer(error["loc"])} for error in exc.errors()]
    return problem(request, 422, "The request is not valid.", errors=errors)


def add_problem_handlers(app: FastAPI) -> None:
    """Make ``app`` answer HTTP and validation errors with problem details."""
    app.add_exception_handler(StarletteHTTPException, http_exception_handler)
    app.add_exception_handler(RequestValidationError, validation_exception_handler)
