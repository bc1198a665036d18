"""An ASGI app served by uvicorn in a child process, on a loopback port no one else can take.

The parent binds ``127.0.0.1:0`` itself and hands the listening socket to uvicorn (see :mod:`.child`): the
port is known before the child starts and cannot be taken between choosing and binding it, so two servers in
one run (or two runs on one machine) never collide. Used by the ``live_server`` fixture and by the load runner.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import httpx

LOOPBACK = "127.0.0.1"
_OUTPUT_TAIL_LINES = 60

EXITED_MESSAGE = "the server for {app!r} exited with code {code} before serving. Its output:\n{output}"
NO_ANSWER_MESSAGE = "the server for {app!r} did not answer within {timeout:g} s. Its output:\n{output}"


class ServerStartError(Exception):
    """The server did not come up; the message includes the server's own output."""


def child_pythonpath(extra: Mapping[str, str] | None = None) -> str:
    """This process's ``sys.path`` as a PYTHONPATH, so the child imports the same app and test code."""
    entries = [entry for entry in sys.path if entry and Path(entry).exists()]
    existing = (extra or {}).get("PYTHONPATH") or os.environ.get("PYTHONPATH")
    if existing:
        entries.append(existing)
    return os.pathsep.join(dict.fromkeys(entries))


def _wait_for_group_exit(group: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        if time.monotonic() > deadline:
            raise subprocess.TimeoutExpired(f"process group {group}", timeout)
        time.sleep(0.02)


class ServerProcess:
    """``app`` ("module:attr") served by uvicorn in a child process on a free 127.0.0.1 port.

    ``start()`` returns once the app answers HTTP, or raises :class:`ServerStartError` with the server's output;
    ``stop()`` sends SIGTERM (uvicorn runs the app's shutdown) and kills the process group after
    ``stop_timeout``. Usable as a context manager. ``factory=True`` calls ``app`` to build the application.
    """

    def __init__(
        self,
        app: str,
        *,
        factory: bool = False,
        env: Mapping[str, str] | None = None,
        workers: int = 1,
        startup_timeout: float = 30.0,
        stop_timeout: float = 10.0,
        log_path: Path | None = None,
        log_level: str = "warning",
    ) -> None:
        self.app = app
        self.factory = factory
        self.env = dict(env or {})
        self.workers = workers
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.log_level = log_level
        self._given_log_path = log_path
        self.log_path: Path | None = None
        self._socket: socket.socket | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError("the server is not started")
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, without a trailing slash."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def output(self) -> str:
        """What the server printed so far (its last lines)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        lines = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(lines[-_OUTPUT_TAIL_LINES:])

    def _command(self, fd: int) -> list[str]:
        command = [sys.executable, "-m", "pytest_svc.server.child", self.app, "--fd", str(fd)]
        command += ["--log-level", self.log_level, "--workers", str(self.workers)]
        if self.factory:
            command.append("--factory")
        return command

    def start(self) -> ServerProcess:
        if self._process is not None:
            raise RuntimeError("the server is already started")
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind((LOOPBACK, 0))
        listener.listen(2048)
        self._socket = listener
        if self._given_log_path is not None:
            self.log_path = self._given_log_path
        else:
            handle, name = tempfile.mkstemp(prefix="svc-server-", suffix=".log")
            os.close(handle)
            self.log_path = Path(name)
        env = {**os.environ, **self.env, "PYTHONPATH": child_pythonpath(self.env)}
        try:
            with self.log_path.open("wb") as log:
                self._process = subprocess.Popen(
                    self._command(listener.fileno()),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    pass_fds=(listener.fileno(),),
                    start_new_session=True,  # its own process group: stop() reaches uvicorn's workers too
                )
            self._wait_until_serving()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_serving(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        with httpx.Client(timeout=1.0) as probe:
            while True:
                code = self._process.poll()
                if code is not None:
                    output = self.output() or "(nothing)"
                    raise ServerStartError(EXITED_MESSAGE.format(app=self.app, code=code, output=output))
                try:
                    probe.get(self.url + "/")  # any HTTP answer, even a 404, means the app is serving
                    return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    output = self.output() or "(nothing)"
                    raise ServerStartError(
                        NO_ANSWER_MESSAGE.format(app=self.app, timeout=self.startup_timeout, output=output)
                    )
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server (graceful, then forced) and release the port. Safe to call twice."""
        process, self._process = self._process, None
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(self.stop_timeout)
                # uvicorn's workers can outlive their supervisor by a moment: wait for the whole group.
                _wait_for_group_exit(process.pid, self.stop_timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
