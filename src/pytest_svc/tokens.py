"""Test tokens: signed so that they carry their user to a server in another process, and the per-test registry.

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
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pytest

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


class UserLookup(Protocol):
    """Finds the test user a request's headers carry: :class:`TokenRegistry` in-process, or the live server's."""

    def user_for_headers(self, values: Iterable[str]) -> Any | None: ...


class TokenRegistry:
    """Maps this test's tokens to its users (and back); the overridden user dependency reads it.

    Tokens are signed by the session's :class:`TokenSigner`, so ``live_server`` accepts them as well.
    """

    def __init__(self, signer: TokenSigner | None = None) -> None:
        self._signer = signer or TokenSigner()
        self._users: dict[str, Any] = {}
        self._tokens: dict[int, str] = {}
        self._keep: list[Any] = []  # keeps users alive so id() keys stay unique

    def token_for(self, user: Any) -> str:
        token = self._tokens.get(id(user))
        if token is None:
            token = self._signer.mint(user)
            self._tokens[id(user)] = token
            self._users[token] = user
            self._keep.append(user)
        return token

    def user_for_headers(self, values: Iterable[str]) -> Any | None:
        """The user whose token appears in any header value (``Bearer <token>``, bare, or custom schemes)."""
        return next((self._users[word] for word in token_words(values) if word in self._users), None)

    def auth_headers(self, config: pytest.Config, user: Any) -> dict[str, str]:
        """The headers that authenticate ``user``, as ``pytest_svc_auth_headers`` builds them around its token."""
        token = self.token_for(user)
        return dict(config.hook.pytest_svc_auth_headers(config=config, user=user, token=token))
