"""ServerProcess: uvicorn in a child process on a parent-bound port; clean stop; the server's own errors."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import httpx
import pytest

from pytest_svc.server.child import listener_from_fd
from pytest_svc.server.process import ServerProcess, ServerStartError

APP = """
import os

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if os.environ.get("FAIL_STARTUP"):
                    reason = "no database: " + os.environ["FAIL_STARTUP"]
                    await send({"type": "lifespan.startup.failed", "message": reason})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                with open(os.environ["SHUTDOWN_FILE"], "w") as f:
                    f.write("clean")
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = os.environ.get("GREETING", "").encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})
"""


@pytest.fixture
def app_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "tinyapp.py").write_text(APP)
    monkeypatch.syspath_prepend(str(tmp_path))  # the child inherits sys.path
    return tmp_path


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_serves_then_shuts_down_cleanly_and_releases_the_port(app_module: Path) -> None:
    shutdown_file = app_module / "shutdown"
    env = {"GREETING": "hello", "SHUTDOWN_FILE": str(shutdown_file)}
    with ServerProcess("tinyapp:app", env=env) as server:
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert httpx.get(server.url).text == "hello"
        port, pid = server.port, server.pid
        assert pid is not None
    assert shutdown_file.read_text() == "clean"  # SIGTERM let the app run its shutdown
    assert not _listening(port)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_two_servers_get_different_ports(app_module: Path) -> None:
    env = {"SHUTDOWN_FILE": str(app_module / "shutdown")}
    with ServerProcess("tinyapp:app", env=env) as first, ServerProcess("tinyapp:app", env=env) as second:
        assert first.port != second.port
        assert httpx.get(first.url).status_code == httpx.get(second.url).status_code == 200


def test_a_failed_startup_raises_with_the_servers_output(app_module: Path) -> None:
    server = ServerProcess("tinyapp:app", env={"FAIL_STARTUP": "boom-7", "SHUTDOWN_FILE": "unused"})
    with pytest.raises(ServerStartError, match=r"(?s)exited with code \d+ before serving.*no database: boom-7"):
        server.start()
    assert server.pid is None  # stopped and reaped


def test_an_app_that_does_not_import_names_the_module(app_module: Path) -> None:
    with pytest.raises(ServerStartError, match='Could not import module "nosuchmodule"'):
        ServerProcess("nosuchmodule:app").start()


def test_several_workers_serve_and_all_stop(app_module: Path) -> None:
    env = {"GREETING": "hi", "SHUTDOWN_FILE": str(app_module / "shutdown")}
    with ServerProcess("tinyapp:app", env=env, workers=2) as server:
        assert {httpx.get(server.url).text for _ in range(4)} == {"hi"}
        group = server.pid
        assert group is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(group, 0)  # the supervisor and both workers are gone


def test_the_child_sees_the_inherited_socket_as_tcp() -> None:
    # uvicorn --fd would see AF_UNIX, and asyncio sets TCP_NODELAY only on AF_INET/AF_INET6 connections.
    with socket.socket() as parent:
        parent.bind(("127.0.0.1", 0))
        parent.listen()
        child = listener_from_fd(os.dup(parent.fileno()))
        with child:
            assert child.family == socket.AF_INET
            assert child.getsockname() == parent.getsockname()
