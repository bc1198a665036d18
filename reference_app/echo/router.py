"""``POST /echo``: the JSON object sent, sent back."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from reference_app.rate_limit import rate_limit

router = APIRouter(tags=["demo"])


@router.post("/echo", dependencies=[Depends(rate_limit(limit=10, window=60))])
async def echo(payload: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Return the JSON object sent; a route of its own rate limit (10 a minute per caller) and no database."""
    return payload
