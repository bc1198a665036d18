"""Locust as child processes: one local runner, or a master with ``--expect-workers N`` and N workers.

Every process runs in its own session, so the runner can stop it and anything it started; output goes to log
files next to the reports. A run that outlives its time limit is stopped (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

LOCUSTFILE = Path(__file__).resolve().parents[1] / "locustfile.py"
STOP_TIMEOUT_SECONDS = 5  # users get this long to finish their request when the time is up
_STOP_GRACE_SECONDS = 15.0
_LOG_TAIL_LINES = 40


@dataclasses.dataclass(frozen=True)
class LocustRun:
    """What to run: the scenarios, against which host, how hard and how long, and where the outputs go."""

    host: str
    users: int
    spawn_rate: float
    duration: str
    workers: int
    reports: Path  # the prefix: <reports>_stats.csv, <reports>.html, <reports>_results.json, <reports>_*.log
    tokens_file: Path
    thresholds: Path
    locustfile: Path = LOCUSTFILE

    @property
    def results_path(self) -> Path:
        return self.reports.with_name(self.reports.name + "_results.json")

    @property
    def distributed(self) -> bool:
        return self.workers > 1

    def log_path(self, role: str) -> Path:
        return self.reports.with_name(f"{self.reports.name}_{role}.log")

    def common_arguments(self) -> list[str]:
        return [sys.executable, "-m", "locust", "-f", str(self.locustfile), "--svc-tokens-file", str(self.tokens_file)]

    def main_command(self, master_port: int | None) -> list[str]:
        """The local runner, or the master: it alone runs the clock, writes the reports and judges the run."""
        command = [
            *self.common_arguments(),
            "--headless",
            "--only-summary",
            "--host", self.host,
            "--users", str(self.users),
            "--spawn-rate", f"{self.spawn_rate:g}",
            "--run-time", self.duration,
            "--stop-timeout", str(STOP_TIMEOUT_SECONDS),
            "--csv", str(self.reports),
            "--html", str(self.reports.with_name(self.reports.name + ".html")),
            "--exit-code-on-error", "1",
            "--svc-thresholds", str(self.thresholds),
            "--svc-results", str(self.results_path),
        ]  # fmt: skip
        if master_port is not None:
            command += ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(master_port)]
            command += ["--expect-workers", str(self.workers), "--expect-workers-max-wait", "60"]
        return command

    def worker_command(self, master_port: int) -> list[str]:
        return [*self.common_arguments(), "--worker", "--master-host", "127.0.0.1", "--master-port", str(master_port)]


def free_port() -> int:
    """A loopback port free right now (Locust's master binds its own socket, so it cannot be handed one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    """The last lines of a log, for failure messages."""
    if not path.exists():
        return "(no output)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)  # Locust's SIGTERM handler still writes its reports
    try:
        process.wait(_STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _spawn(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def run_locust(run: LocustRun, timeout: float) -> int:
    """Run Locust to the end (or ``timeout`` seconds) and return the exit code of the local runner or master.

    Workers are expected to exit by themselves once the master quits; any process still running at the end,
    including after Ctrl-C, is stopped.
    """
    run.reports.parent.mkdir(parents=True, exist_ok=True)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        port = free_port() if run.distributed else None
        main = _spawn(run.main_command(port), run.log_path("master" if run.distributed else "locust"))
        processes.append(main)
        if port is not None:
            time.sleep(0.5)  # let the master bind before the workers dial (they retry, but log noise otherwise)
            for index in range(run.workers):
                processes.append(_spawn(run.worker_command(port), run.log_path(f"worker{index + 1}")))
        try:
            code = main.wait(timeout)
        except subprocess.TimeoutExpired:
            print(f"load: Locust did not finish within {timeout:.0f} s; stopping it", file=sys.stderr)
            _stop(main)
            return 124
        for worker in processes[1:]:
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(_STOP_GRACE_SECONDS)
        return code
    finally:
        for process in reversed(processes):
            _stop(process)
