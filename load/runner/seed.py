"""Principals, tokens and documents for a load run.

Tokens are written where ``reference_app.auth`` looks (``auth:token:<token>``, a JSON principal) and into the
tokens file the Locust users read. Documents are created through the API (``POST /documents/bulk``), so they
carry audit fields like any other, and are then read once each so the runs' "cached" reads are cache hits.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from pathlib import Path

import httpx
import redis

from reference_app.auth import TOKEN_KEY

TENANTS = ("acme", "globex")
READERS_PER_TENANT = 3
SEARCH_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")
BULK_SIZE = 100  # POST /documents/bulk takes at most 100
TOKEN_TTL_SECONDS = 24 * 3600  # a leftover of a killed run expires by itself


@dataclasses.dataclass(frozen=True)
class Principal:
    """A seeded caller and its bearer token."""

    token: str
    id: str
    email: str
    tenant_id: str
    roles: tuple[str, ...] = ()

    def as_json(self) -> str:
        permissions = ["*"] if "admin" in self.roles else ["documents:read", "documents:write"]
        fields = {"id": self.id, "email": self.email, "roles": list(self.roles), "tenant_id": self.tenant_id}
        return json.dumps({**fields, "permissions": permissions})


def make_principals() -> list[Principal]:
    """A few readers per tenant, and one admin of the first tenant; fresh random tokens."""
    principals = [
        Principal(secrets.token_urlsafe(24), f"load-{tenant}-{n}", f"reader{n}@{tenant}.example", tenant)
        for tenant in TENANTS
        for n in range(READERS_PER_TENANT)
    ]
    admin_tenant = TENANTS[0]
    principals.append(
        Principal(secrets.token_urlsafe(24), "load-admin", f"admin@{admin_tenant}.example", admin_tenant, ("admin",))
    )
    return principals


def store_tokens(redis_url: str, principals: list[Principal]) -> None:
    """Make every token known to an app on a Redis server."""
    with redis.Redis.from_url(redis_url, socket_connect_timeout=5) as client:
        for principal in principals:
            client.set(TOKEN_KEY.format(token=principal.token), principal.as_json(), ex=TOKEN_TTL_SECONDS)


def write_principals_file(path: Path, principals: list[Principal]) -> None:
    """``{token: principal JSON}`` for the embedded app (``embedded_app``), which stores them at start-up."""
    path.write_text(json.dumps({p.token: p.as_json() for p in principals}))
    path.chmod(0o600)


def write_tokens_file(path: Path, principals: list[Principal]) -> None:
    """One token per line; admins' lines carry the ``admin`` label (``Admin.token_label``)."""
    lines = [f"{p.token} admin" if "admin" in p.roles else p.token for p in principals]
    path.write_text("# bearer tokens of a load run, made and dropped by load/runner\n" + "\n".join(lines) + "\n")
    path.chmod(0o600)


def seed_documents(base_url: str, principals: list[Principal], per_tenant: int, timeout: float = 30.0) -> int:
    """Create ``per_tenant`` documents in each tenant through the API, then read each once; return how many."""
    created = 0
    with httpx.Client(base_url=base_url, timeout=timeout) as client:
        for tenant in TENANTS:
            author = next(p for p in principals if p.tenant_id == tenant and not p.roles)
            headers = {"Authorization": f"Bearer {author.token}"}
            ids: list[int] = []
            for start in range(0, per_tenant, BULK_SIZE):
                items = [
                    {"title": f"{SEARCH_WORDS[n % len(SEARCH_WORDS)]} report {n}", "body": f"seeded document {n}"}
                    for n in range(start, min(start + BULK_SIZE, per_tenant))
                ]
                response = client.post("/documents/bulk", json={"items": items}, headers=headers)
                response.raise_for_status()
                ids += [item["id"] for item in response.json()]
            for document_id in ids:  # warm the cache: the scenarios' cached reads must hit
                client.get(f"/documents/{document_id}", headers=headers).raise_for_status()
            created += len(ids)
    return created
