"""What the reference app's middleware costs a request, in process: the bare app, the full stack, each one alone.

The app is called as an ASGI app directly (no HTTP client, no socket): ``GET /health/live``, which touches no
database and no Redis (the rate limiter lets health probes through without a check), so what differs between
the variants is the middleware alone. Each round answers ``BATCH`` requests one after another on one loop
(pytest-svc's ``async_benchmark``); ``ratios.py`` prints microseconds per request (fastest round) and each
variant's cost over the bare app (issue 12's budget: the full stack within 0.15 ms and 50% of the bare app).

- ``bare``: the same app with no middleware of its own (Starlette's error and exception middleware stay);
- ``full stack``: as ``create_app`` builds it;
- ``only <middleware>``: the bare app with that one middleware.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_svc import AsyncBenchmark
from reference_app.main import create_app
from reference_app.settings import AppSettings

BATCH = 100
PATH = "/health/live"
SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0", "spec_version": "2.4"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": PATH,
    "raw_path": PATH.encode(),
    "query_string": b"",
    "root_path": "",
    "headers": [(b"host", b"bench"), (b"user-agent", b"bench"), (b"accept", b"application/json")],
    "client": ("127.0.0.1", 50000),
    "server": ("bench", 80),
}


def _middleware_names() -> list[str]:
    return [middleware.cls.__name__ for middleware in create_app(AppSettings()).user_middleware]  # type: ignore[attr-defined]


VARIANTS = ["bare", "full stack", *(f"only {name}" for name in _middleware_names())]


def _app(variant: str) -> Any:
    app = create_app(AppSettings())
    if variant == "bare":
        app.user_middleware = []
    elif variant.startswith("only "):
        name = variant.removeprefix("only ")
        app.user_middleware = [m for m in app.user_middleware if m.cls.__name__ == name]  # type: ignore[attr-defined]
    return app


@pytest.mark.parametrize("variant", VARIANTS)
def test_middleware_stack(async_benchmark: AsyncBenchmark, variant: str) -> None:
    app = _app(variant)
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def batch() -> None:
        for _ in range(BATCH):
            await app(dict(SCOPE, headers=list(SCOPE["headers"])), receive, send)

    async_benchmark.benchmark.group = f"middleware stack: {BATCH} x GET {PATH}"
    async_benchmark.benchmark.name = variant
    async_benchmark.benchmark.extra_info.update(backend="in process", path=variant, batch=BATCH)
    async_benchmark.pedantic(batch, rounds=150, warmup_rounds=10)
    assert set(statuses) == {200}
