"""``GET /metrics``: the Prometheus exposition (see :mod:`reference_app.observability.metrics`)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from reference_app.observability.metrics import exposition

router = APIRouter(tags=["observability"])


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    """The service's metrics in Prometheus' text format; not rate limited, like the health probes."""
    body, content_type = exposition()
    return Response(body, media_type=content_type)
