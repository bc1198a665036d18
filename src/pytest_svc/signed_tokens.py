"""Test tokens that carry their user, signed, so a server in another process can authenticate them too.

A token is ``svc-test-<payload>.<mac>``: the pickled principal and an HMAC-SHA256 of it under a key made fresh for
each pytest session. The ``live_server`` process gets the key and unpickles only what that key signed, i.e. what
this session minted. Pickle rather than JSON because the principal is whatever ``pytest_svc_make_user``
returns (the app's own type), which only pickle rebuilds faithfully; the standard library does this well, so no
library is added.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import pickle
import secrets
from collections.abc import Iterable, Iterator
from typing import Any

TOKEN_PREFIX = "svc-test-"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_words(values: Iterable[str]) -> Iterator[str]:
    """The words of header values that look like test tokens (``Bearer <token>``, bare, or custom schemes)."""
    for value in values:
        for word in value.replace(",", " ").split():
            if word.startswith(TOKEN_PREFIX):
                yield word


class TokenSigner:
    """Mints and reads the signed test tokens of one pytest session (``key``: its secret, hex)."""

    def __init__(self, key: str | None = None) -> None:
        self.key = key or secrets.token_hex(32)
        self._key_bytes = bytes.fromhex(self.key)

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key_bytes, payload, hashlib.sha256).digest()

    def mint(self, user: Any) -> str:
        """A token for ``user``; a principal that cannot be pickled gets an opaque one (in-process use only)."""
        try:
            payload = pickle.dumps(user, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            return TOKEN_PREFIX + secrets.token_urlsafe(16)
        return f"{TOKEN_PREFIX}{_b64(payload)}.{_b64(self._mac(payload))}"

    def read(self, token: str) -> Any | None:
        """The user a token of this session carries, or None (not ours, tampered, or opaque)."""
        body, dot, mac = token.removeprefix(TOKEN_PREFIX).partition(".")
        if not token.startswith(TOKEN_PREFIX) or not dot:
            return None
        try:
            payload, given = _unb64(body), _unb64(mac)
        except (binascii.Error, ValueError):
            return None
        if not hmac.compare_digest(given, self._mac(payload)):
            return None
        # Safe to unpickle: signed by this session's key, checked just above.
        return pickle.loads(payload)
