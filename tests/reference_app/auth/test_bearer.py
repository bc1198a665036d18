"""The production token check against Redis.

The ``client`` fixtures replace :func:`authenticate`, so it is called directly here.
"""

from __future__ import annotations

import json

import pytest
from fastapi import HTTPException, Request
from redis.asyncio import Redis

from reference_app.auth import Principal, authenticate


def bearer_request(authorization: str | None) -> Request:
    headers = [] if authorization is None else [(b"authorization", authorization.encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


@pytest.mark.asyncio
async def test_authenticate_resolves_a_token_stored_in_redis(mock_redis: Redis) -> None:
    record = {"id": "7", "email": "ada@example.com", "roles": ["admin"], "permissions": [], "tenant_id": "t1"}
    await mock_redis.set("auth:token:abc", json.dumps(record))

    principal = await authenticate(bearer_request("Bearer abc"), mock_redis)

    assert principal == Principal("7", "ada@example.com", roles=("admin",), tenant_id="t1")


@pytest.mark.asyncio
@pytest.mark.parametrize("authorization", [None, "Bearer unknown", "Basic abc", "Bearer "])
async def test_authenticate_rejects_with_401_bearer_challenge(mock_redis: Redis, authorization: str | None) -> None:
    # A stored token proves the rejections are about the header, not an empty Redis.
    await mock_redis.set("auth:token:abc", json.dumps({"id": "7", "email": "ada@example.com"}))

    with pytest.raises(HTTPException) as excinfo:
        await authenticate(bearer_request(authorization), mock_redis)

    assert excinfo.value.status_code == 401
    assert excinfo.value.headers == {"WWW-Authenticate": "Bearer"}
