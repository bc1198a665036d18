"""Observability: the per-request log record and its masking of personal data and secrets; Prometheus metrics."""

from __future__ import annotations

from reference_app.observability.metrics import RATE_LIMIT, MetricsMiddleware
from reference_app.observability.pii import mask_headers, mask_text, mask_value
from reference_app.observability.request_log import RequestLogMiddleware, current_caller
from reference_app.routing import RouteTemplates

__all__ = [
    "RATE_LIMIT",
    "MetricsMiddleware",
    "RequestLogMiddleware",
    "RouteTemplates",
    "current_caller",
    "mask_headers",
    "mask_text",
    "mask_value",
]
