"""Keyset cursors as opaque tokens: URL-safe, signed with HMAC-SHA256, decoded strictly.

A token is ``<payload>.<mac>``, both unpadded URL-safe base64. The payload is compact JSON::

    {"v": 1, "r": "documents", "k": "created_by", "o": "asc", "d": "next", "i": false,
     "s": ["s", "ann@example.com"], "p": ["i", 42]}

``r``, ``k`` and ``o`` name the listing (table, ordering column, direction of the order); ``d`` says whether the
cursor continues after (``next``) or before (``prev``) the position; ``i`` whether the row at the position itself
is included; ``s`` and ``p`` are the position: the boundary row's sort value and primary key, each a tagged value
so it decodes back to its Python type. The MAC covers the payload bytes, so a client can neither forge a position
nor move a cursor to another listing. Every failure is a :class:`~reference_app.errors.BadRequestError`: a genuine
cursor used on another listing says so; anything else gets one message that does not say which check failed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, TypeAlias

from reference_app.errors import BadRequestError

SortValue: TypeAlias = bool | int | float | Decimal | str | datetime | date | uuid.UUID | None
"""A value a listing can be ordered by and a cursor can carry."""

Direction: TypeAlias = Literal["next", "prev"]

INVALID_CURSOR = "The pagination cursor is not valid; request the first page again without a cursor."
OTHER_LISTING = "The pagination cursor belongs to another listing; request the first page again without a cursor."
MAX_CURSOR_LENGTH = 1024
_VERSION = 1
_MAC_BYTES = 16  # 128 bits: forging needs ~2**128 tries; keeps tokens short
_TOKEN = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}")
_KEYS = frozenset("vrkodisp")
# Bound into the MAC so a token signed for another purpose with the same key is not a cursor.
_MAC_CONTEXT = b"reference-app keyset cursor\x00"


def _fail() -> Any:
    raise ValueError("unexpected value in cursor")


def _str(raw: Any) -> str:
    return raw if isinstance(raw, str) else _fail()


# Tag, encoder and decoder per type; checked in order, so bool precedes int and datetime precedes date.
_CODECS: tuple[tuple[type, str, Callable[[Any], Any], Callable[[Any], Any]], ...] = (
    (bool, "b", lambda v: v, lambda raw: raw if isinstance(raw, bool) else _fail()),
    (int, "i", lambda v: v, lambda raw: raw if type(raw) is int else _fail()),
    (float, "f", repr, lambda raw: float(_str(raw))),
    (Decimal, "m", str, lambda raw: Decimal(_str(raw))),
    (str, "s", lambda v: v, _str),
    (datetime, "t", datetime.isoformat, lambda raw: datetime.fromisoformat(_str(raw))),
    (date, "d", date.isoformat, lambda raw: date.fromisoformat(_str(raw))),
    (uuid.UUID, "u", lambda v: v.hex, lambda raw: uuid.UUID(hex=_str(raw))),
)


def _codec_for(python_type: type) -> tuple[str, Callable[[Any], Any], Callable[[Any], Any]]:
    for kind, tag, encode, decode in _CODECS:
        if issubclass(python_type, kind):
            return tag, encode, decode
    raise TypeError(f"cannot paginate by a {python_type.__name__} column: cursors carry {sortable_types()}.")


def sortable_types() -> str:
    """The Python types a cursor can carry, for error messages."""
    return ", ".join(kind.__name__ for kind, *_ in _CODECS)


def check_sortable(python_type: type) -> None:
    """Raise ``TypeError`` unless values of ``python_type`` can be carried in a cursor."""
    _codec_for(python_type)


def _encode_value(value: SortValue) -> list[Any]:
    if value is None:
        return ["n"]
    tag, encode, _ = _codec_for(type(value))
    return [tag, encode(value)]


def _decode_value(raw: Any, python_type: type, *, nullable: bool) -> SortValue:
    if raw == ["n"] and nullable:
        return None
    tag, _, decode = _codec_for(python_type)
    if not (isinstance(raw, list) and len(raw) == 2 and raw[0] == tag):
        _fail()
    value: SortValue = decode(raw[1])
    return value


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    if _b64encode(data) != text:  # one token per cursor: no spare bits or alternative spellings
        _fail()
    return data


@dataclass(frozen=True)
class Cursor:
    """A position in one listing, and which way to read from it."""

    resource: str
    order_key: str
    descending: bool
    direction: Direction
    inclusive: bool
    value: SortValue
    pk: SortValue


class CursorCodec:
    """Turns :class:`Cursor` objects into signed tokens and back; ``key`` is the HMAC key (16 bytes or more)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the cursor key must be at least 16 bytes long")
        self._key = key

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, _MAC_CONTEXT + payload, hashlib.sha256).digest()[:_MAC_BYTES]

    def encode(self, cursor: Cursor) -> str:
        """The URL-safe token for ``cursor``."""
        body = {
            "v": _VERSION,
            "r": cursor.resource,
            "k": cursor.order_key,
            "o": "desc" if cursor.descending else "asc",
            "d": cursor.direction,
            "i": cursor.inclusive,
            "s": _encode_value(cursor.value),
            "p": _encode_value(cursor.pk),
        }
        payload = json.dumps(body, separators=(",", ":"), ensure_ascii=True).encode("ascii")
        return f"{_b64encode(payload)}.{_b64encode(self._mac(payload))}"

    def decode(
        self,
        token: str,
        *,
        resource: str,
        order_key: str,
        descending: bool,
        value_type: type,
        value_nullable: bool,
        pk_type: type,
    ) -> Cursor:
        """The cursor in ``token``, checked against the listing it is used for; else :class:`BadRequestError`.

        The listing is ``resource`` (the table) ordered by ``order_key`` (``descending`` or not); the position's
        values must decode to ``value_type`` (``None`` only if ``value_nullable``) and ``pk_type``.
        """
        try:
            body = self._verified_body(token)
        except (ValueError, TypeError, binascii.Error):
            # json.JSONDecodeError and UnicodeDecodeError are ValueErrors. No detail: it would be an oracle.
            raise BadRequestError(INVALID_CURSOR) from None
        if (body["r"], body["k"], body["o"]) != (resource, order_key, "desc" if descending else "asc"):
            raise BadRequestError(OTHER_LISTING)
        try:
            value = _decode_value(body["s"], value_type, nullable=value_nullable)
            pk = _decode_value(body["p"], pk_type, nullable=False)
        except (ValueError, TypeError):
            raise BadRequestError(INVALID_CURSOR) from None
        return Cursor(resource, order_key, descending, body["d"], body["i"], value, pk)

    def _verified_body(self, token: str) -> dict[str, Any]:
        if not isinstance(token, str) or len(token) > MAX_CURSOR_LENGTH or not _TOKEN.fullmatch(token):
            _fail()
        payload_text, mac_text = token.split(".")
        payload = _b64decode(payload_text)
        if not hmac.compare_digest(_b64decode(mac_text), self._mac(payload)):
            _fail()
        body: Any = json.loads(payload)
        if not (isinstance(body, dict) and body.keys() == _KEYS and body["v"] == _VERSION):
            _fail()
        if not all(isinstance(body[key], str) for key in "rk") or not isinstance(body["i"], bool):
            _fail()
        if body["o"] not in ("asc", "desc") or body["d"] not in ("next", "prev"):
            _fail()
        verified: dict[str, Any] = body
        return verified


def random_cursor_codec() -> CursorCodec:
    """A codec with a random key: its cursors are valid only in this process (see ``BaseRepository``)."""
    return CursorCodec(secrets.token_bytes(32))
