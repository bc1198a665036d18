"""The runner's command line and its steps: backends, app, seed, Locust, summary, verdict.

Options default to the environment, so ``make load DURATION=30s USERS=50`` and
``DURATION=30s python -m load.runner`` do the same: ``DURATION`` (60s), ``USERS`` (20), ``SPAWN_RATE`` (10),
``WORKERS`` (0: one local Locust; N >= 2: a master and N workers on this machine), ``DB_URL``/``REDIS_URL``
(default: a temporary SQLite file and fakeredis). ``--host URL`` targets an app that is already running: nothing
is started or seeded, and the tokens come from ``--tokens-file``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import sys
from pathlib import Path

from load.runner.backends import app_backends
from load.runner.embedded_app import PRINCIPALS_ENV
from load.runner.locust_processes import LOCUSTFILE, STOP_TIMEOUT_SECONDS, LocustRun, run_locust, tail
from load.runner.seed import make_principals, seed_documents, store_tokens, write_principals_file, write_tokens_file
from load.runner.summary import format_table, read_stats
from pytest_svc.db.lifecycle import DatabaseError, ram_temporary_directory
from pytest_svc.load.thresholds import Thresholds, ThresholdsError
from pytest_svc.load.tokens import TOKENS_ENV
from pytest_svc.load.worker_totals import WorkerTotals
from pytest_svc.redis.target import RedisRefused
from pytest_svc.server.process import ServerProcess, ServerStartError
from pytest_svc.settings import SettingError

LOAD_DIR = Path(__file__).resolve().parents[1]
APP = "reference_app.main:app"
EMBEDDED_APP = "load.runner.embedded_app:create_app"
# Locust's own time limit plus spawning, stopping and writing reports; past this the run is stopped.
_SLACK_SECONDS = 90
# The global limit is per caller, and a load run's callers are a handful of tokens: lift it far above what the
# run sends, so ordinary traffic is never refused; /echo's own limit (10 a minute) still answers 429s.
APP_GLOBAL_RATE_LIMIT = 10_000_000


def parse_duration(text: str) -> int:
    """Seconds in a Locust ``--run-time`` value: ``90``, ``90s``, ``2m``, ``1h30m``."""
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?", text.strip())
    if not text.strip() or match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 60s, 2m or 1h30m")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _duration(text: str) -> str:
    if parse_duration(text) < 1:
        raise argparse.ArgumentTypeError("the duration must be at least 1 s")
    return text.strip()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(prog="python -m load.runner", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=_duration, default=env.get("DURATION") or "60s", help="[DURATION] 60s")
    parser.add_argument("--users", type=int, default=int(env.get("USERS") or 20), help="[USERS] 20")
    parser.add_argument("--spawn-rate", type=float, default=float(env.get("SPAWN_RATE") or 10), help="[SPAWN_RATE] 10")
    parser.add_argument("--workers", type=int, default=int(env.get("WORKERS") or 0), help="[WORKERS] 0")
    parser.add_argument("--db-url", default=env.get("DB_URL") or None, help="[DB_URL] a temporary SQLite file")
    parser.add_argument("--redis-url", default=env.get("REDIS_URL") or None, help="[REDIS_URL] fakeredis")
    parser.add_argument("--host", default=None, help="an app already running: no start, no seed (needs tokens)")
    parser.add_argument("--tokens-file", type=Path, default=env.get(TOKENS_ENV) or None, help="with --host")
    parser.add_argument("--locustfile", type=Path, default=env.get("LOCUSTFILE") or LOCUSTFILE, help="[LOCUSTFILE]")
    parser.add_argument(
        "--thresholds", type=Path, default=env.get("THRESHOLDS") or LOAD_DIR / "thresholds.toml", help="[THRESHOLDS]"
    )
    parser.add_argument("--reports-dir", type=Path, default=LOAD_DIR / "reports")
    parser.add_argument("--name", default="load", help="the reports' file name prefix")
    parser.add_argument("--documents", type=int, default=200, help="documents seeded per tenant (2 tenants)")
    parser.add_argument("--server-workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args(argv)
    if args.locustfile == LOCUSTFILE and args.users < 4:
        parser.error("--users must be at least 4: the admin, burst and probe users take one each")
    if args.workers < 0 or args.spawn_rate <= 0 or args.documents < 2 or args.server_workers < 1:
        parser.error("--workers >= 0, --spawn-rate > 0, --documents >= 2 and --server-workers >= 1")
    if args.host and not re.match(r"https?://", args.host):
        parser.error(f"--host {args.host!r} must be an http:// or https:// URL")
    if args.server_workers > 1 and not (args.redis_url or args.host):
        parser.error("--server-workers > 1 needs REDIS_URL: the embedded fakeredis lives in one app process")
    if args.host and not args.tokens_file:
        parser.error(f"--host needs --tokens-file (or {TOKENS_ENV}): the app's tokens are not the runner's to make")
    return args


def _report(run: LocustRun, code: int) -> None:
    """The summary table, the threshold checks, the worker totals and where the reports are."""
    stats = run.reports.with_name(run.reports.name + "_stats.csv")
    if stats.exists():
        print(format_table(read_stats(stats)))
    results = json.loads(run.results_path.read_text()) if run.results_path.exists() else {}
    for check in results.get("thresholds", []):
        actual = "no requests" if check["actual"] is None else f"{check['actual']:.4g}"
        verdict = "pass" if check["passed"] else "MISS"
        print(f"  {verdict:4}  {check['scope']} {check['metric']} (limit {check['limit']:g}): {actual}")
    if totals := results.get("worker_totals"):
        print(WorkerTotals(totals["workers"]).format(totals["master_total"]))
    print(f"reports: {run.reports}.html, {stats}, logs {run.reports}_*.log")
    if code == 0:
        print("load: passed")
    else:
        missed = [c for c in results.get("thresholds", []) if not c["passed"]]
        why = f"{len(missed)} threshold(s) missed" if missed else "see the log below"
        if totals and not totals["equal"]:
            why += "; worker totals do not add up to the master's"
        print(f"load: FAILED (Locust exit code {code}: {why})")
        if not missed:
            print(tail(run.log_path("master" if run.distributed else "locust")))


def _locust_run(args: argparse.Namespace, host: str, tokens_file: Path) -> LocustRun:
    return LocustRun(
        host,
        args.users,
        args.spawn_rate,
        args.duration,
        args.workers,
        args.reports_dir / args.name,
        tokens_file,
        args.thresholds,
        args.locustfile,
    )


def _execute(args: argparse.Namespace, workdir: Path) -> int:
    reports = args.reports_dir / args.name
    duration = args.duration
    timeout = parse_duration(duration) + STOP_TIMEOUT_SECONDS + _SLACK_SECONDS
    mode = f"{args.workers} workers" if args.workers > 1 else "local"
    print(f"load: {args.users} users (spawn {args.spawn_rate:g}/s) for {duration}, Locust {mode}", flush=True)
    if args.host:
        run = _locust_run(args, args.host, args.tokens_file)
        print(f"load: against {args.host} (not started or seeded by the runner)", flush=True)
        code = run_locust(run, timeout)
        _report(run, code)
        return code
    with app_backends(args.db_url, args.redis_url, workdir) as backends:
        principals = make_principals()
        tokens_file = workdir / "tokens.txt"
        write_tokens_file(tokens_file, principals)
        env = {
            "APP_DATABASE__URL": backends.database_url,
            "APP_RATE_LIMIT__REQUESTS": str(APP_GLOBAL_RATE_LIMIT),
            "APP_CURSOR_SECRET": secrets.token_urlsafe(32),  # one secret for all uvicorn workers
        }
        app, factory = APP, False
        if backends.redis_url is None:
            write_principals_file(workdir / "principals.json", principals)
            env[PRINCIPALS_ENV] = str(workdir / "principals.json")
            app, factory = EMBEDDED_APP, True
        else:
            store_tokens(backends.redis_url, principals)
            env["APP_REDIS__URL"] = backends.redis_url
        server = ServerProcess(
            app,
            factory=factory,
            env=env,
            workers=args.server_workers,
            log_path=reports.with_name(args.name + "_server.log"),
        )
        reports.parent.mkdir(parents=True, exist_ok=True)
        with server:
            print(f"load: reference app at {server.url} on {backends.description}", flush=True)
            seeded = seed_documents(server.url, principals, args.documents)
            print(f"load: seeded {seeded} documents and {len(principals)} tokens; running Locust...", flush=True)
            run = _locust_run(args, server.url, tokens_file)
            code = run_locust(run, timeout)
        _report(run, code)
        return code


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        Thresholds.from_toml(args.thresholds)  # a bad file fails now, not after the run
        # In RAM where possible: the embedded SQLite file on a VM's disk stalls the app (see ram_temporary_directory).
        workdir = ram_temporary_directory("svc-load-")
        try:
            return _execute(args, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    except (ThresholdsError, SettingError, DatabaseError, RedisRefused, ServerStartError) as exc:
        print(f"load: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("load: interrupted; every process and the run's data were cleaned up", file=sys.stderr)
        return 130
