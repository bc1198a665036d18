"""Cache keys: :func:`cache_key` for callers, and where entries, tag sets and tag generations live in Redis."""

from __future__ import annotations

import datetime
import enum
import hashlib
import json
import uuid

import pydantic_core

# Parts longer than this are hashed, so a key stays short whatever the argument (a search query, a filter...).
MAX_PART_LENGTH = 100
_PLAIN = (str, int, float, uuid.UUID)

UNKEYABLE_HELP = (
    "cannot make a cache key from a {kind}: it has no JSON form. Pass key_func= to @cached (it receives the "
    "call's arguments by name, e.g. key_func=lambda document_id, **_: str(document_id))."
)


def _digest(text: str) -> str:
    return "#" + hashlib.sha256(text.encode()).hexdigest()[:24]


def _part(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return _part(value.value)
    if isinstance(value, datetime.date | datetime.time):
        text = value.isoformat()
    elif isinstance(value, _PLAIN):
        text = str(value)
    else:
        # Models, dicts, lists...: their canonical JSON, hashed; sorted keys so {a, b} and {b, a} agree.
        try:
            data = json.loads(pydantic_core.to_json(value))
        except pydantic_core.PydanticSerializationError as exc:
            raise TypeError(UNKEYABLE_HELP.format(kind=type(value).__name__)) from exc
        return _digest(json.dumps(data, sort_keys=True, separators=(",", ":")))
    return text if len(text) <= MAX_PART_LENGTH else _digest(text)


def cache_key(*parts: object, **named: object) -> str:
    """Join ``parts`` and ``name=value`` pairs with ``:``: ``cache_key("users", 7, page=2) == "users:7:page=2"``.

    Strings, numbers, UUIDs, dates and enums appear as text (``None`` as ``-``); anything else (a dict, a model)
    and any part over 100 characters appears as a hash of its JSON, so keys stay short and never carry
    large or sensitive values verbatim. Named parts are sorted, so their order in the call does not matter.
    """
    rendered = [_part(part) for part in parts]
    rendered += [f"{name}={_part(value)}" for name, value in sorted(named.items())]
    return ":".join(rendered)


class KeySpace:
    """Where a cache namespace keeps its data: entries ``<ns>:<key>``, tag sets ``<ns>-tag:<tag>``...

    Entries, tag sets and tag generations live under different prefixes, so a pattern over entries
    (``invalidate_pattern("*")``) can never delete the bookkeeping that tag invalidation relies on, nor
    anything outside the cache (tokens, rate limits, counters).
    """

    def __init__(self, namespace: str = "cache") -> None:
        self.namespace = namespace

    def entry(self, key: str) -> str:
        """The Redis key of the entry ``key``."""
        return f"{self.namespace}:{key}"

    def pattern(self, pattern: str) -> str:
        """The Redis ``MATCH`` pattern for entry keys matching ``pattern``."""
        return f"{self.namespace}:{pattern}"

    def tag(self, tag: str) -> str:
        """The Redis set of the entry keys tagged ``tag``."""
        return f"{self.namespace}-tag:{tag}"

    def generation(self, tag: str) -> str:
        """The token that changes whenever ``tag`` is invalidated (see ``reference_app.cache.tags``)."""
        return f"{self.namespace}-gen:{tag}"
