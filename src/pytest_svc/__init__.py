"""pytest-svc: the conftest every FastAPI + async SQLAlchemy + Redis service needs, done right, as a plugin.

Fixtures arrive with ``pip install pytest-svc``; this package exports the types and helpers tests import.
"""

from __future__ import annotations

from pytest_svc.queries import QueryCounter
from pytest_svc.types import AssertMaxQueries, MakeClient, MakeUser, MockAuthToken
from pytest_svc.users import SvcUser, UserSpec
from pytest_svc.values import PrimaryKeyStrategy, SampleIds, uuid7

__all__ = [
    "AssertMaxQueries",
    "MakeClient",
    "MakeUser",
    "MockAuthToken",
    "PrimaryKeyStrategy",
    "QueryCounter",
    "SampleIds",
    "SvcUser",
    "UserSpec",
    "uuid7",
]
