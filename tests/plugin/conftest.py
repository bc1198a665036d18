"""Plugin tests drive inner pytest runs through pytester, against the companion project in examples/."""

from __future__ import annotations

import contextlib
import importlib
import os
import re

import pytest
from sqlalchemy import make_url

# pytester's in-process runs drop every module first imported during the run. C extensions do not survive being
# imported a second time (asyncpg segfaults), and heavy imports that plugins make in every run (hypothesis's
# pytest plugin, Faker's) would be paid again per inner run; so they are imported once here, in the outer session.
# httpx and httpcore too: httpx imports httpcore on first use, and a second httpcore raises errors httpx's
# first mapping does not know. SQLAlchemy's PostgreSQL dialect too: it registers SQL functions in SQLAlchemy's
# process-wide registry, which warns (an error in inner runs) when the dialect's modules are imported again.
for _module in (
    "asyncpg",
    "asyncpg.pgproto.pgproto",
    "sqlalchemy.dialects.postgresql.asyncpg",
    "psycopg",  # db_sync_session's PostgreSQL driver: psycopg_binary is a C extension too
    "httpx",
    "httpcore",
    "lupa",
    "lupa.lua51",
    "hypothesis",
    "_hypothesis_pytestplugin",
    "factory",
    "faker",
    "faker.contrib.pytest.plugin",
):
    with contextlib.suppress(ImportError):
        importlib.import_module(_module)

SAMPLE_INI = """
[pytest]
pythonpath = .
svc_app = sampleapp:app
svc_metadata = sampleapp:Base
svc_db_dependency = sampleapp:get_session
svc_redis_dependency = sampleapp:get_redis
svc_user_dependency = sampleapp:authenticate
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""


@pytest.fixture(autouse=True)
def _inner_runs_use_their_own_backends(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    # Inner runs inherit SVC_DB_URL / SVC_REDIS_URL, so every plugin test also runs on the real servers in CI.
    # They get a database name of their own (never this session's test_svc) and Redis indexes from 8 up on the
    # outer run's server: four per outer xdist worker (an inner run's two workers and their two live servers), so
    # inner runs on two outer workers never flush each other's keys (16 databases: outer runs of -n 2 at most).
    if url := os.environ.get("SVC_DB_URL"):
        # Prefixed with the outer database's name, so two runs with different names never share an inner one.
        outer = make_url(url)
        name = f"{outer.database}_" + re.sub(r"\W+", "_", request.node.name)[:40].strip("_").lower()
        monkeypatch.setenv("SVC_DB_URL", outer.set(database=name[:44]).render_as_string(hide_password=False))
    if os.environ.get("SVC_REDIS_URL"):
        index = 8 + 4 * int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
        monkeypatch.setenv("SVC_REDIS_URL", re.sub(r"/\d+$", "", os.environ["SVC_REDIS_URL"]) + f"/{index}")


@pytest.fixture
def sample_project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester project with sampleapp.py and a pytest.ini that points the plugin at it."""
    pytester.copy_example("sample_project")
    pytester.makefile(".ini", pytest=SAMPLE_INI)
    return pytester
