"""pytest-svc: the conftest every FastAPI + async SQLAlchemy + Redis service needs, done right, as a plugin.

Fixtures arrive with ``pip install pytest-svc``; this package exports the types and helpers tests import.
Each name is imported from its module on first use: importing ``pytest_svc`` alone loads nothing else (the
live server's child process imports :mod:`pytest_svc.wiring` without pytest), and factory-boy and Faker, about
150 ms, are paid only by a run that uses ``SQLAlchemyFactory``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_svc.app_logs import AppLogs
    from pytest_svc.assertions.cache import assert_cached
    from pytest_svc.assertions.headers import assert_request_id, assert_security_headers
    from pytest_svc.assertions.http import assert_paginated, assert_problem_detail
    from pytest_svc.assertions.pii import assert_no_pii
    from pytest_svc.assertions.rate_limit import RateLimitHeaders, assert_rate_limit_headers, assert_rate_limited
    from pytest_svc.assertions.records import (
        assert_audit_trail,
        assert_not_deleted,
        assert_primary_key_set,
        assert_soft_deleted,
        assert_timestamps_updated,
    )
    from pytest_svc.async_benchmark import AsyncBenchmark
    from pytest_svc.data.builders import Builder, ModelFactory
    from pytest_svc.data.factories import SQLAlchemyFactory, register
    from pytest_svc.data.samples import PrimaryKeyStrategy, SampleIds, uuid7
    from pytest_svc.db.query_counter import QueryCounter
    from pytest_svc.metrics import Metrics
    from pytest_svc.protocols import AssertMaxQueries, MakeClient, MakeTestModel, MakeTestUsers, MakeUser, MockAuthToken
    from pytest_svc.redis.cache_helper import CacheTestHelper
    from pytest_svc.redis.outage import RedisOutage
    from pytest_svc.server.fake_redis import FakeRedisServer
    from pytest_svc.server.live_server import LiveServer
    from pytest_svc.server.process import ServerProcess, ServerStartError
    from pytest_svc.settings_override import SettingsOverride
    from pytest_svc.users import SvcUser, UserSpec

# The modules that hold the names of __all__, searched in this order on first use; factory-boy's module last.
_HOMES = (
    "pytest_svc.assertions.records",
    "pytest_svc.assertions.http",
    "pytest_svc.assertions.headers",
    "pytest_svc.assertions.pii",
    "pytest_svc.app_logs",
    "pytest_svc.metrics",
    "pytest_svc.assertions.rate_limit",
    "pytest_svc.assertions.cache",
    "pytest_svc.protocols",
    "pytest_svc.users",
    "pytest_svc.data.samples",
    "pytest_svc.data.builders",
    "pytest_svc.db.query_counter",
    "pytest_svc.redis.cache_helper",
    "pytest_svc.redis.outage",
    "pytest_svc.server.process",
    "pytest_svc.server.fake_redis",
    "pytest_svc.server.live_server",
    "pytest_svc.async_benchmark",
    "pytest_svc.settings_override",
    "pytest_svc.data.factories",
)

__all__ = [
    "AppLogs",
    "AssertMaxQueries",
    "AsyncBenchmark",
    "Builder",
    "CacheTestHelper",
    "FakeRedisServer",
    "LiveServer",
    "MakeClient",
    "MakeTestModel",
    "MakeTestUsers",
    "MakeUser",
    "Metrics",
    "MockAuthToken",
    "ModelFactory",
    "PrimaryKeyStrategy",
    "QueryCounter",
    "RateLimitHeaders",
    "RedisOutage",
    "SQLAlchemyFactory",
    "SampleIds",
    "ServerProcess",
    "ServerStartError",
    "SettingsOverride",
    "SvcUser",
    "UserSpec",
    "assert_audit_trail",
    "assert_cached",
    "assert_no_pii",
    "assert_not_deleted",
    "assert_paginated",
    "assert_primary_key_set",
    "assert_problem_detail",
    "assert_rate_limit_headers",
    "assert_rate_limited",
    "assert_request_id",
    "assert_security_headers",
    "assert_soft_deleted",
    "assert_timestamps_updated",
    "register",
    "uuid7",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        for home in _HOMES:
            module = importlib.import_module(home)
            if name in vars(module):
                value = vars(module)[name]
                globals()[name] = value  # later lookups skip this function
                return value
    raise AttributeError(f"module 'pytest_svc' has no attribute {name!r}")
