"""Small value fixtures: a fixed "now", fresh ids, and the parametrized key and delete strategies."""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

import pytest
import uuid_utils

PrimaryKeyKind = Literal["int", "uuid4", "uuid7"]
_int_ids = itertools.count(1_000_001)


def uuid7() -> uuid.UUID:
    """A time-ordered UUIDv7 as a standard ``uuid.UUID`` (uuid-utils; the stdlib has none before 3.14)."""
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)


@dataclasses.dataclass(frozen=True)
class SampleIds:
    """One fresh id of each kind: ``int``, ``uuid4`` and ``uuid7``."""

    int: int
    uuid4: uuid.UUID
    uuid7: uuid.UUID


@dataclasses.dataclass(frozen=True)
class PrimaryKeyStrategy:
    """A primary key kind (``"int"``, ``"uuid4"``, ``"uuid7"``) and a way to make new keys of it."""

    kind: PrimaryKeyKind
    new_id: Callable[[], int | uuid.UUID]


PRIMARY_KEY_STRATEGIES = (
    PrimaryKeyStrategy("int", lambda: next(_int_ids)),
    PrimaryKeyStrategy("uuid4", uuid.uuid4),
    PrimaryKeyStrategy("uuid7", uuid7),
)


@pytest.fixture
def utc_now() -> datetime:
    """The time at the start of the test: timezone-aware UTC, whole milliseconds (what databases keep)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@pytest.fixture
def sample_ids() -> SampleIds:
    """Fresh ids for this test: ``sample_ids.int``, ``sample_ids.uuid4``, ``sample_ids.uuid7``."""
    return SampleIds(int=next(_int_ids), uuid4=uuid.uuid4(), uuid7=uuid7())


@pytest.fixture(params=PRIMARY_KEY_STRATEGIES, ids=lambda strategy: f"pk-{strategy.kind}")
def primary_key_strategy(request: pytest.FixtureRequest) -> PrimaryKeyStrategy:
    """Run the test once per primary key kind: ``int``, ``uuid4`` and ``uuid7`` (test ids ``[pk-...]``).

    ``primary_key_strategy.kind`` names it; ``primary_key_strategy.new_id()`` makes a key of that kind.
    """
    strategy: PrimaryKeyStrategy = request.param
    return strategy


@pytest.fixture(params=[True, False], ids=["soft-delete", "hard-delete"])
def with_soft_delete(request: pytest.FixtureRequest) -> bool:
    """Run the test twice: soft delete (``True``) and hard delete (``False``).

    Test ids ``[soft-delete]`` and ``[hard-delete]``.
    """
    soft: bool = request.param
    return soft
