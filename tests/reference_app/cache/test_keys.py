"""``cache_key``: readable keys from plain values, short hashed ones from structures and long values."""

from __future__ import annotations

import enum
import uuid

import pytest
from pydantic import BaseModel

from reference_app.cache import cache_key


class Point(BaseModel):
    x: int
    y: int


class Colour(enum.Enum):
    RED = "red"


def test_cache_key_joins_parts_and_sorted_named_parts() -> None:
    user = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert cache_key("users", 7, page=2, limit=10) == "users:7:limit=10:page=2"
    assert cache_key("users", user, None, True, Colour.RED) == f"users:{user}:-:true:red"


def test_cache_key_hashes_structures_and_long_parts() -> None:
    assert cache_key("q", {"a": 1, "b": [1, 2]}) == cache_key("q", {"b": [1, 2], "a": 1})
    assert cache_key("q", {"a": 1}) != cache_key("q", {"a": 2})
    assert cache_key("q", Point(x=1, y=2)) == cache_key("q", {"y": 2, "x": 1})
    long = cache_key("search", "x" * 1000)
    assert long.startswith("search:#")
    assert len(long) < 40
    with pytest.raises(TypeError, match="no JSON form"):
        cache_key("q", object())
