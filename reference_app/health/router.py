"""The ``/health`` probes; the global rate limit exempts them (``APP_RATE_LIMIT__EXEMPT_PATHS``)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def live() -> dict[str, str]:
    """Liveness: the process is serving requests."""
    return {"status": "ok"}
