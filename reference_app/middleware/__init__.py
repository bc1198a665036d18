"""Pure-ASGI middleware of the app (rate limiting lives with its limiter in :mod:`reference_app.rate_limit`, the
crash answer with the problems in :mod:`reference_app.errors`)."""

from __future__ import annotations

from reference_app.middleware.body_limit import BodySizeLimitMiddleware
from reference_app.middleware.request_id import RequestIdMiddleware, correlation_id, outbound_headers, request_id
from reference_app.middleware.security_headers import SecurityHeadersMiddleware

__all__ = [
    "BodySizeLimitMiddleware",
    "RequestIdMiddleware",
    "SecurityHeadersMiddleware",
    "correlation_id",
    "outbound_headers",
    "request_id",
]
