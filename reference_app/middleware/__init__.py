"""Pure-ASGI middleware of the app (rate limiting lives with its limiter in :mod:`reference_app.rate_limit`)."""

from __future__ import annotations

from reference_app.middleware.body_limit import BodySizeLimitMiddleware

__all__ = ["BodySizeLimitMiddleware"]
