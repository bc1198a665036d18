"""Load scenarios against the reference app, weighted like a real service: reads dominate.

Run through ``make load`` (``python -m load.runner``), which starts and seeds the app; or by hand against a
running one::

    locust -f load/locustfile.py --host http://127.0.0.1:8000 --svc-tokens-file tokens.txt \
        --svc-thresholds load/thresholds.toml

Users and their share (``USERS`` minus the three fixed ones are readers):

- ``Reader`` (FastHttpUser, the rest): cached document reads, offset and cursor pages, search, and some writes
  (update then uncached read, create);
- ``Admin`` (FastHttpUser, 1): creates a document, soft-deletes it, and expects its 404 problem afterwards;
- ``Burst`` (HttpUser, 1): bursts of ``POST /echo`` past its 10-a-minute limit, expecting 429 problems;
- ``Probe`` (FastHttpUser, 1, no token): ``/health/live`` twice a second, as an orchestrator's probes.

"Cached" reads are of the tenant's seeded documents, which no scenario writes, so after the runner's warm-up
every such read is a cache hit. "Uncached" reads are of one of the three documents each reader creates for
itself on start, right after it updated that document: the update invalidated the cache entry, so the read goes
to the database, and as no one else writes it, a body other than the one just written is a stale cache entry.
"""

from __future__ import annotations

import random
from typing import ClassVar

from locust import FastHttpUser, between, constant_pacing, task

from pytest_svc.load import SvcFastHttpUser, SvcHttpUser, check_problem, expect_status

SEARCH_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")
PAGE_SIZE = 20
DISCOVER_PAGES = 10
ADMIN_BODY = "soft-deleted by the load run"
BURST_SIZE = 12  # the /echo limit is 10 a minute per caller: a burst of 12 must see a 429


class Reader(SvcFastHttpUser):
    """A signed-in user of one tenant: mostly reads, a few writes."""

    weight = 20
    wait_time = between(0.1, 0.5)
    # Document ids of each token's tenant, learned once per process and token (the first user to ask pays).
    _ids_by_token: ClassVar[dict[str, list[int]]] = {}

    def on_start(self) -> None:
        super().on_start()
        if self.token not in self._ids_by_token:
            self._ids_by_token[self.token] = self._discover()
        self.hot_ids = self._ids_by_token[self.token]
        # Documents only this user writes: a read after its own update then has no other writer to race with.
        items = [{"title": f"{word} draft", "body": "owned by one load user"} for word in SEARCH_WORDS[:3]]
        with self.client.post(
            "/documents/bulk", json={"items": items}, name="/documents/bulk (setup)", catch_response=True
        ) as response:
            self.own_ids = [item["id"] for item in response.json()] if expect_status(response, 201) else []

    def _discover(self) -> list[int]:
        """The tenant's document ids (up to DISCOVER_PAGES pages of 100); creates a few when it has none."""
        ids: list[int] = []
        cursor = ""
        for _ in range(DISCOVER_PAGES):
            with self.client.get(
                f"/documents/cursor?limit=100&cursor={cursor}", name="/documents/cursor (discover)", catch_response=True
            ) as response:
                if not expect_status(response, 200):
                    break
                page = response.json()
            # Not the admin's documents: they are soft-deleted moments after they appear.
            ids += [item["id"] for item in page["items"] if item["body"] != ADMIN_BODY]
            cursor = page["next_cursor"] or ""
            if not cursor:
                break
        if not ids:
            items = [{"title": f"{word} seed", "body": "created by the load run"} for word in SEARCH_WORDS]
            with self.client.post("/documents/bulk", json={"items": items}, catch_response=True) as response:
                if expect_status(response, 201):
                    ids = [item["id"] for item in response.json()]
        return sorted(ids)

    @task(40)
    def read_cached(self) -> None:
        document_id = random.choice(self.hot_ids)
        with self.client.get(f"/documents/{document_id}", name="/documents/{id}", catch_response=True) as response:
            check_problem(response)

    @task(15)
    def browse_offset(self) -> None:
        offset = PAGE_SIZE * random.randrange(5)
        url = f"/documents?limit={PAGE_SIZE}&offset={offset}"
        with self.client.get(url, name="/documents?offset", catch_response=True) as response:
            check_problem(response)

    @task(10)
    def browse_cursor(self) -> None:
        """The first three keyset pages, following next_cursor."""
        cursor = ""
        for _ in range(3):
            url = f"/documents/cursor?limit={PAGE_SIZE}&cursor={cursor}"
            with self.client.get(url, name="/documents/cursor", catch_response=True) as response:
                if not check_problem(response):
                    return
                cursor = response.json()["next_cursor"] or ""
            if not cursor:
                return

    @task(8)
    def search(self) -> None:
        url = f"/documents/search?q={random.choice(SEARCH_WORDS)}&limit={PAGE_SIZE}"
        with self.client.get(url, name="/documents/search", catch_response=True) as response:
            check_problem(response)

    @task(5)
    def update_then_read(self) -> None:
        """Update one of this user's documents, then read it back: the update invalidated its cache entry."""
        if not self.own_ids:
            return
        document_id = random.choice(self.own_ids)
        body = {"body": f"edited {random.random()}"}
        with self.client.patch(
            f"/documents/{document_id}", json=body, name="/documents/{id}", catch_response=True
        ) as response:
            if not check_problem(response):
                return
        with self.client.get(
            f"/documents/{document_id}", name="/documents/{id} (uncached)", catch_response=True
        ) as response:
            if check_problem(response) and response.json()["body"] != body["body"]:
                response.failure("read after update returned the old body: a stale cache entry")

    @task(3)
    def create(self) -> None:
        item = {"title": f"{random.choice(SEARCH_WORDS)} note {random.randrange(10**6)}", "body": "load run"}
        with self.client.post("/documents", json=item, catch_response=True) as response:
            expect_status(response, 201)


class Admin(SvcFastHttpUser):
    """An administrator: creates a document, soft-deletes it, and finds it gone (404 problem)."""

    fixed_count = 1
    token_label = "admin"
    wait_time = between(1, 3)

    @task
    def create_and_soft_delete(self) -> None:
        item = {"title": f"temporary {random.randrange(10**6)}", "body": ADMIN_BODY}
        with self.client.post("/documents", json=item, name="/documents (admin)", catch_response=True) as response:
            if not expect_status(response, 201):
                return
            document_id = response.json()["id"]
        with self.client.delete(f"/documents/{document_id}", name="/documents/{id}", catch_response=True) as response:
            if not expect_status(response, 204):
                return
        with self.client.get(
            f"/documents/{document_id}", name="/documents/{id} (deleted)", catch_response=True
        ) as response:
            expect_status(response, 404)


class Burst(SvcHttpUser):
    """A client that bursts past ``POST /echo``'s own limit (10 a minute): 429 problems with Retry-After expected.

    An ``HttpUser`` (requests): few requests, and the session shows the other base class in use.
    """

    fixed_count = 1
    wait_time = between(5, 10)

    @task
    def burst(self) -> None:
        refused = 0
        for number in range(BURST_SIZE):
            with self.client.post("/echo", json={"n": number}, name="/echo (burst)", catch_response=True) as response:
                if expect_status(response, 200, 429, headers=["Retry-After"]) and response.status_code == 429:
                    refused += 1
                if number == BURST_SIZE - 1 and not refused:
                    response.failure(f"a burst of {BURST_SIZE} got no 429: the route's rate limit is not enforced")


class Probe(FastHttpUser):
    """Liveness probes, as an orchestrator and a load balancer send them; no token."""

    fixed_count = 1
    wait_time = constant_pacing(0.5)

    @task
    def live(self) -> None:
        with self.client.get("/health/live", catch_response=True) as response:
            expect_status(response, 200)
