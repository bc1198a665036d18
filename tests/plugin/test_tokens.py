"""Signed test tokens: they carry their user, and only this session's key reads them."""

from __future__ import annotations

import threading

from pytest_svc.tokens import TOKEN_PREFIX, TokenSigner
from pytest_svc.users import SvcUser

USER = SvcUser("u1", "a@example.com", "A", ("admin",), ("*",), "t1", {"plan": "pro"})


def test_a_token_carries_its_user() -> None:
    signer = TokenSigner()
    token = signer.mint(USER)
    assert token.startswith(TOKEN_PREFIX)
    assert TokenSigner(signer.key).read(token) == USER


def test_tampered_or_foreign_tokens_are_not_read() -> None:
    signer = TokenSigner()
    token = signer.mint(USER)
    body, _, mac = token.partition(".")
    other = SvcUser("u2", "b@example.com", "B", ("user",), (), "t1")
    forged_body = signer.mint(other).partition(".")[0]
    assert signer.read(f"{forged_body}.{mac}") is None  # another payload under this token's MAC
    assert signer.read(body + "." + ("A" if mac[0] != "A" else "B") + mac[1:]) is None
    assert TokenSigner().read(token) is None  # another session's key
    assert signer.read(body) is None
    assert signer.read("Bearer") is None
    assert signer.read(TOKEN_PREFIX + "!!!.???") is None


def test_a_user_that_cannot_be_pickled_gets_an_opaque_token() -> None:
    signer = TokenSigner()
    token = signer.mint({"lock": threading.Lock()})
    assert token.startswith(TOKEN_PREFIX)
    assert "." not in token
    assert signer.read(token) is None
