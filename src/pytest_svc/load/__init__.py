"""Locust helpers for load runs against an svc app: authenticated users, RFC 9457 checks, thresholds.

Needs the ``load`` extra (``pip install 'pytest-svc[load]'``). Importing Locust patches the whole process with
gevent, so this package imports it only when a name that needs it is used: ``SvcHttpUser``,
``SvcFastHttpUser``, ``install_thresholds`` and ``install_worker_totals`` (from a locustfile). Everything else
here is plain Python, usable in pytest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pytest_svc.load.problems import PROBLEM_MEDIA_TYPE, check_problem, expect_status, problem_violations
from pytest_svc.load.thresholds import Check, EndpointStats, Limits, Thresholds, ThresholdsError, evaluate
from pytest_svc.load.tokens import Token, TokenPool, TokensError
from pytest_svc.load.worker_totals import WorkerTotals

if TYPE_CHECKING:
    from pytest_svc.load.events import install_thresholds, install_worker_totals
    from pytest_svc.load.users import SvcFastHttpUser, SvcHttpUser

LOCUST_MISSING = "pytest_svc.load's Locust users and hooks need Locust: pip install 'pytest-svc[load]'"

_LOCUST = {
    "SvcHttpUser": "pytest_svc.load.users",
    "SvcFastHttpUser": "pytest_svc.load.users",
    "install_thresholds": "pytest_svc.load.events",
    "install_worker_totals": "pytest_svc.load.events",
}

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "Check",
    "EndpointStats",
    "Limits",
    "SvcFastHttpUser",
    "SvcHttpUser",
    "Thresholds",
    "ThresholdsError",
    "Token",
    "TokenPool",
    "TokensError",
    "WorkerTotals",
    "check_problem",
    "evaluate",
    "expect_status",
    "install_thresholds",
    "install_worker_totals",
    "problem_violations",
]


def __getattr__(name: str) -> Any:
    if name in _LOCUST:
        return getattr(importlib.import_module(_LOCUST[name]), name)
    raise AttributeError(f"module 'pytest_svc.load' has no attribute {name!r}")
