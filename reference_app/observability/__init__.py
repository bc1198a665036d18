"""Observability: the per-request log line and the masking that keeps personal data and secrets out of logs."""

from __future__ import annotations

from reference_app.observability.pii import mask_headers, mask_text, mask_value
from reference_app.observability.request_log import RequestLogMiddleware, current_caller

__all__ = ["RequestLogMiddleware", "current_caller", "mask_headers", "mask_text", "mask_value"]
