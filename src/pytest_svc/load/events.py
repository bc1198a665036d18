"""Wiring into Locust's events: the ``--svc-*`` arguments, thresholds at the end of a run, worker totals.

Importing this module (``pytest_svc.load.users`` does) adds to every Locust run of the locustfile:

- ``--svc-tokens-file PATH`` (env ``SVC_LOAD_TOKENS_FILE``): the tokens ``SvcHttpUser``/``SvcFastHttpUser`` use;
- ``--svc-thresholds PATH`` (env ``SVC_LOAD_THRESHOLDS``): a thresholds TOML file, checked on the master (or the
  local runner) when Locust quits; a miss prints ``MISS`` lines and makes the exit code 1;
- ``--svc-results PATH`` (env ``SVC_LOAD_RESULTS``): where the master writes the checks as JSON;
- in a distributed run, per-worker request counts (:mod:`.worker_totals`): the master prints them at the end and
  a total that is not their sum makes the exit code 1.

Only modules that must import Locust (this one and ``users``) do; ``pytest_svc.load`` itself does not.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_svc.load import LOCUST_MISSING

try:
    from locust import events
    from locust.env import Environment
    from locust.runners import MasterRunner, WorkerRunner
except ImportError as exc:  # the optional extra is not installed
    raise ImportError(LOCUST_MISSING) from exc

from pytest_svc.load.thresholds import Thresholds, ThresholdsError, evaluate, format_checks, stats_from_locust
from pytest_svc.load.tokens import TOKENS_ENV
from pytest_svc.load.worker_totals import REPORT_KEY, WorkerTotals

log = logging.getLogger(__name__)

THRESHOLDS_ENV = "SVC_LOAD_THRESHOLDS"
RESULTS_ENV = "SVC_LOAD_RESULTS"
_RESULTS_ATTR = "_svc_load_results"


def _listen(event: Any, handler: Callable[..., Any]) -> None:
    # Locust's EventHook.add_listener is not annotated; one call site keeps mypy --strict quiet about it.
    event.add_listener(handler)


def add_arguments(parser: Any) -> None:
    """Add the ``--svc-*`` arguments to Locust's parser (an ``init_command_line_parser`` listener)."""
    # On the parser itself: Locust's own add_argument takes include_in_web_ui, an argument group's does not.
    parser.add_argument(
        "--svc-tokens-file",
        env_var=TOKENS_ENV,
        default=None,
        help="Bearer tokens for SvcHttpUser/SvcFastHttpUser, one per line ('<token> [label...]')",
    )
    parser.add_argument(
        "--svc-thresholds",
        env_var=THRESHOLDS_ENV,
        default=None,
        help="TOML file of thresholds (failure ratio, p95, requests/s); a miss makes the exit code 1",
    )
    parser.add_argument(
        "--svc-results",
        env_var=RESULTS_ENV,
        default=None,
        include_in_web_ui=False,
        help="Write the threshold checks and worker totals to this JSON file at the end of the run",
    )


def _results(environment: Environment) -> dict[str, Any]:
    results: dict[str, Any] | None = getattr(environment, _RESULTS_ATTR, None)
    if results is None:
        results = {}
        setattr(environment, _RESULTS_ATTR, results)
    return results


def _fail(environment: Environment) -> None:
    # Never lower a code another listener (or a Locust error) already set.
    if not environment.process_exit_code:
        environment.process_exit_code = 1


def install_thresholds(environment: Environment, thresholds: Thresholds) -> None:
    """Check ``thresholds`` when Locust quits, on the master or local runner (never a worker).

    Prints one ``pass``/``MISS`` line per limit after Locust's own summary, and sets
    ``environment.process_exit_code = 1`` when any limit is missed.
    """
    if isinstance(environment.runner, WorkerRunner):
        return
    checks: list[Any] = []

    def on_quitting(environment: Environment, **_: Any) -> None:
        total, endpoints = stats_from_locust(environment.stats)
        checks.extend(evaluate(thresholds, total, endpoints))
        _results(environment)["thresholds"] = [
            {"scope": c.scope, "metric": c.metric, "limit": c.limit, "actual": c.actual, "passed": c.passed}
            for c in checks
        ]
        if not all(check.passed for check in checks):
            _fail(environment)

    def on_quit(**_: Any) -> None:
        print(format_checks(checks), flush=True)

    _listen(environment.events.quitting, on_quitting)
    _listen(environment.events.quit, on_quit)


def install_worker_totals(environment: Environment) -> None:
    """Count requests per worker and check, on the master, that its total is their sum.

    On a worker: counts every request and adds the running count to each report. On the master: keeps each
    worker's last count and, when Locust quits, prints the table and sets the exit code to 1 on a mismatch.
    Does nothing on a local runner.
    """
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        count = 0

        def on_request(**_: Any) -> None:
            nonlocal count
            count += 1

        def on_test_start(**_: Any) -> None:
            nonlocal count
            count = 0  # the worker clears its statistics at the same moment

        def on_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
            data[REPORT_KEY] = count

        _listen(environment.events.request, on_request)
        _listen(environment.events.test_start, on_test_start)
        _listen(environment.events.report_to_master, on_report)
    elif isinstance(runner, MasterRunner):
        totals = WorkerTotals()
        master_total = 0

        def on_worker_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
            totals.record(client_id, data)

        def on_quitting(environment: Environment, **_: Any) -> None:
            nonlocal master_total
            master_total = environment.stats.total.num_requests
            _results(environment)["worker_totals"] = totals.as_dict(master_total)
            if not totals.matches(master_total):
                _fail(environment)

        def on_quit(**_: Any) -> None:
            print(totals.format(master_total), flush=True)

        _listen(environment.events.worker_report, on_worker_report)
        _listen(environment.events.quitting, on_quitting)
        _listen(environment.events.quit, on_quit)


def _write_results(environment: Environment, path: str, exit_code: int) -> None:
    results = {**_results(environment), "exit_code": exit_code}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def _on_parser(parser: Any, **_: Any) -> None:
    add_arguments(parser)


def _on_init(environment: Environment, **_: Any) -> None:
    options = environment.parsed_options
    install_worker_totals(environment)
    path = getattr(options, "svc_thresholds", None)
    if path and not isinstance(environment.runner, WorkerRunner):
        try:
            install_thresholds(environment, Thresholds.from_toml(path))
        except ThresholdsError as exc:
            # SystemExit passes through Locust's event handlers: a bad file stops the run before it starts.
            raise SystemExit(f"pytest-svc: {exc}") from None
    if (results := getattr(options, "svc_results", None)) and not isinstance(environment.runner, WorkerRunner):
        _listen(environment.events.quit, lambda exit_code, **_: _write_results(environment, results, exit_code))


_listen(events.init_command_line_parser, _on_parser)
_listen(events.init, _on_init)
