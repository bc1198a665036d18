"""The ``live_server`` fixture: the app served by uvicorn in its own process, for tests that need a real socket."""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_svc.config import SvcConfig, add_run_note, missing_setting, svc_config
from pytest_svc.redis.target import RedisRefused, RedisTarget
from pytest_svc.settings import SettingError

# The server's machinery (uvicorn's child, SQLAlchemy, fakeredis, httpx) is imported when live_server starts.
if TYPE_CHECKING:
    from pytest_svc.db.target import DatabaseTarget
    from pytest_svc.tokens import TokenSigner

LIVE_APP_FACTORY = "pytest_svc.server.live_app:create_live_app"
START_FAILED_MESSAGE = "pytest-svc: live_server: {error}"
HOOK_ONLY_APP = "\n  The server process imports svc_app itself; an app given only by pytest_svc_app cannot cross over."


@dataclasses.dataclass(frozen=True)
class LiveServer:
    """A running ``live_server``: ``url`` (``http://127.0.0.1:<port>``), and the database and Redis it uses.

    ``db_url`` and ``redis_url`` are None when the plugin wires neither the app's database (``svc_db_bind``,
    ``svc_db_dependency``) nor its Redis (``svc_redis_client``, ``svc_redis_dependency``).
    ``log_path`` holds what the server printed. ``str(live_server)`` is the URL.
    """

    url: str
    port: int
    db_url: str | None
    redis_url: str | None
    log_path: Path
    pid: int

    def __str__(self) -> str:
        return self.url


def _live_database(
    stack: contextlib.ExitStack, pytestconfig: pytest.Config, config: SvcConfig, directory: Path
) -> str | None:
    from pytest_svc.db.lifecycle import DatabaseError, created_database
    from pytest_svc.wiring import schema_source_with_hooks

    if config.db_dependency is None and config.db_bind is None:
        return None
    if not config.has_schema_source:
        pytest.fail(missing_setting("metadata", "live_server"), pytrace=False)
    source = schema_source_with_hooks(pytestconfig, config.metadata, config.alembic_ini)
    try:
        target: DatabaseTarget = config.database.for_live_server(directory)
    except SettingError as exc:
        pytest.fail(str(exc), pytrace=False)

    failure: str | None = None
    try:
        database = stack.enter_context(created_database(target, source))
    except DatabaseError as exc:
        failure = str(exc)
    if failure is not None:  # outside the except block: pytest would print the message twice, chained
        pytest.fail(failure, pytrace=False)
    add_run_note(pytestconfig, database.note)
    return database.target.test_url.render_as_string(hide_password=False)


def _live_redis(stack: contextlib.ExitStack, config: SvcConfig) -> str | None:
    if config.redis_dependency is None and config.redis_client is None:
        return None
    if config.redis.is_fake:
        from pytest_svc.server.fake_redis import FakeRedisServer

        return stack.enter_context(FakeRedisServer()).url
    try:
        target: RedisTarget = config.redis.for_live_server(config.worker.count)
        target.check_server()
    except (SettingError, RedisRefused) as exc:
        pytest.fail(str(exc).replace("pytest-svc:", "pytest-svc: live_server:", 1), pytrace=False)
    assert target.url is not None
    stack.callback(target.flush)
    return target.url


@pytest.fixture(scope="session")
def live_server(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory, _svc_token_signer: TokenSigner
) -> Iterator[LiveServer]:
    """The ``svc_app`` served by uvicorn in a child process on a free 127.0.0.1 port: ``live_server.url``.

    For tests that need a real socket (browsers, Locust, other processes, streaming). One server per session
    (per xdist worker), stopped with SIGTERM at the end, the port released. It has its own database
    (``test_<name>_live``, a file for SQLite; schema built, ``pytest_svc_seed_db`` run, dropped at the end) and
    its own Redis (a fakeredis TCP server, or the next free index of the real server), so its commits never
    reach the tests' rolled-back transactions. What it writes lasts for the session. Tokens of ``make_user`` and
    ``mock_auth_token`` authenticate here too. If the app fails to start, the test fails with its output.
    ``pytest_svc_live_server_env`` adds environment variables for the server process.
    """
    from pytest_svc.db.lifecycle import ram_temporary_directory
    from pytest_svc.server.live_app import LiveAppSpec
    from pytest_svc.server.process import ServerProcess, ServerStartError

    config = svc_config(pytestconfig)
    app_spec = config.raw.get("app")
    if not app_spec:
        pytest.fail(missing_setting("app", "live_server") + HOOK_ONLY_APP, pytrace=False)
    directory = tmp_path_factory.mktemp("live_server")
    with contextlib.ExitStack() as stack:
        db_directory = ram_temporary_directory("svc-live-")
        stack.callback(shutil.rmtree, db_directory, ignore_errors=True)
        db_url = _live_database(stack, pytestconfig, config, db_directory)
        redis_url = _live_redis(stack, config)
        spec = LiveAppSpec(
            app=app_spec,
            token_key=_svc_token_signer.key,
            db_dependency=config.raw.get("db_dependency"),
            db_bind=config.raw.get("db_bind"),
            redis_client=config.raw.get("redis_client"),
            db_url=db_url,
            redis_dependency=config.raw.get("redis_dependency"),
            redis_url=redis_url,
            redis_decode_responses=config.redis.decode_responses,
            user_dependency=config.raw.get("user_dependency"),
        )
        env: dict[str, str] = {}
        for extra in pytestconfig.hook.pytest_svc_live_server_env(
            config=pytestconfig, db_url=db_url, redis_url=redis_url
        ):
            env.update(extra or {})
        env.update(spec.to_env())
        server = ServerProcess(LIVE_APP_FACTORY, factory=True, env=env, log_path=directory / "server.log")
        try:
            server.start()
        except ServerStartError as exc:
            pytest.fail(START_FAILED_MESSAGE.format(error=exc), pytrace=False)
        stack.callback(server.stop)
        assert server.log_path is not None
        assert server.pid is not None
        yield LiveServer(server.url, server.port, db_url, redis_url, server.log_path, server.pid)
