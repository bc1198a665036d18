"""The reference app on an in-process fakeredis, for load runs without a Redis server.

fakeredis inside the app's process rather than ``FakeRedisServer`` (fakeredis over TCP, one thread per
connection, about 1,000 commands/s here), whose speed would be what a load run measures. Every Redis user of the
app (auth, cache, rate limits) goes through ``get_redis``, which is overridden here. The tokens are seeded at
start-up from the JSON file named by ``LOAD_PRINCIPALS_FILE`` (``{token: principal JSON}``). One uvicorn worker
only: each process would have a fakeredis of its own.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import fakeredis
from fastapi import FastAPI

from reference_app.auth import TOKEN_KEY
from reference_app.main import create_app as create_reference_app
from reference_app.redis_client import get_redis

PRINCIPALS_ENV = "LOAD_PRINCIPALS_FILE"


def create_app() -> FastAPI:
    """The reference app with its Redis replaced by an in-process fakeredis (Lua on) holding the run's tokens."""
    server = fakeredis.FakeServer()
    principals: dict[str, str] = json.loads(Path(os.environ[PRINCIPALS_ENV]).read_text())
    with fakeredis.FakeRedis(server=server) as seeding:
        for token, principal in principals.items():
            seeding.set(TOKEN_KEY.format(token=token), principal)
    redis = fakeredis.FakeAsyncRedis(server=server, decode_responses=True)
    app = create_reference_app()
    app.dependency_overrides[get_redis] = lambda: redis
    return app
