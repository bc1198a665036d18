"""pytest-svc: the conftest every FastAPI + async SQLAlchemy + Redis service needs, done right, as a plugin.

Fixtures arrive with ``pip install pytest-svc``; this package exports the types and helpers tests import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pytest_svc.assertions import (
    assert_audit_trail,
    assert_not_deleted,
    assert_paginated,
    assert_primary_key_set,
    assert_problem_detail,
    assert_soft_deleted,
    assert_timestamps_updated,
)
from pytest_svc.async_benchmark import AsyncBenchmark
from pytest_svc.builders import Builder, ModelFactory
from pytest_svc.cache_helper import CacheTestHelper, assert_cached
from pytest_svc.fake_redis_server import FakeRedisServer
from pytest_svc.live_server import LiveServer
from pytest_svc.queries import QueryCounter
from pytest_svc.rate_limit_assertions import RateLimitHeaders, assert_rate_limit_headers, assert_rate_limited
from pytest_svc.redis_outage import RedisOutage
from pytest_svc.server_process import ServerProcess, ServerStartError
from pytest_svc.types import AssertMaxQueries, MakeClient, MakeTestModel, MakeTestUsers, MakeUser, MockAuthToken
from pytest_svc.users import SvcUser, UserSpec
from pytest_svc.values import PrimaryKeyStrategy, SampleIds, uuid7

if TYPE_CHECKING:
    from pytest_svc.factories import SQLAlchemyFactory, register

# Imported on first use: factory-boy and Faker add about 150 ms to every pytest start-up.
_LAZY = {"SQLAlchemyFactory": "pytest_svc.factories", "register": "pytest_svc.factories"}

__all__ = [
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
    "SvcUser",
    "UserSpec",
    "assert_audit_trail",
    "assert_cached",
    "assert_not_deleted",
    "assert_paginated",
    "assert_primary_key_set",
    "assert_problem_detail",
    "assert_rate_limit_headers",
    "assert_rate_limited",
    "assert_soft_deleted",
    "assert_timestamps_updated",
    "register",
    "uuid7",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pytest_svc' has no attribute {name!r}")
