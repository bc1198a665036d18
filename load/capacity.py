"""Capacity comparison: cached document reads against the bare ``/health/live``, in one run, at saturation.

``make load-capacity`` (``python -m load.runner --locustfile load/capacity.py --thresholds
load/capacity_thresholds.toml``). Two closed-loop user classes of equal size and no pause: each user sends its
next request as soon as the last one is answered, so at saturation each endpoint's requests/s is inversely
proportional to its latency under the same load, and the ratio of the two rows is what the full middleware
stack, auth, the database session and the cache cost over a route that does nothing. Loopback only; the run is
bounded by ``DURATION`` and ``USERS``.
"""

from __future__ import annotations

import random

from locust import FastHttpUser, constant, task

from pytest_svc.load import SvcFastHttpUser, check_problem, expect_status


class CachedDocumentRead(SvcFastHttpUser):
    """Reads the tenant's seeded documents by id: after the runner's warm-up read, every one is a cache hit."""

    weight = 1
    wait_time = constant(0)

    def on_start(self) -> None:
        super().on_start()
        with self.client.get(
            "/documents/cursor?limit=100", name="/documents/cursor (discover)", catch_response=True
        ) as response:
            self.ids = [item["id"] for item in response.json()["items"]] if expect_status(response, 200) else []

    @task
    def read(self) -> None:
        if not self.ids:
            return
        document_id = random.choice(self.ids)
        with self.client.get(f"/documents/{document_id}", name="/documents/{id}", catch_response=True) as response:
            check_problem(response)


class BareLiveness(FastHttpUser):
    """``/health/live``: the same middleware in front, no auth, no database, no cache."""

    weight = 1
    wait_time = constant(0)

    @task
    def live(self) -> None:
        with self.client.get("/health/live", catch_response=True) as response:
            expect_status(response, 200)
