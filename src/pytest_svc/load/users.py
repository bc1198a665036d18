"""Locust base users that authenticate against an svc app with bearer tokens from a tokens file.

::

    from locust import task
    from pytest_svc.load import SvcFastHttpUser, expect_status

    class Reader(SvcFastHttpUser):
        @task
        def read(self) -> None:
            with self.client.get("/documents/1", name="/documents/{id}", catch_response=True) as response:
                expect_status(response, 200, 404)

Tokens come from ``--svc-tokens-file`` (or ``SVC_LOAD_TOKENS_FILE``), one per line; each simulated user takes the
next one round-robin, so users share tokens when there are fewer tokens than users. ``token_label = "admin"``
makes a class take only the lines labelled ``admin`` (``<token> admin``); by default a class takes the unlabelled
ones. Override :meth:`auth_headers` for another scheme (an API key header...). A subclass overriding
``on_start`` calls ``super().on_start()`` first: that is where a missing token is reported.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from pytest_svc.load import LOCUST_MISSING

try:
    from locust import FastHttpUser, HttpUser
    from locust.env import Environment
except ImportError as exc:  # the optional extra is not installed
    raise ImportError(LOCUST_MISSING) from exc

from pytest_svc.load import events as _events  # noqa: F401 - registers the --svc-* arguments and the end checks
from pytest_svc.load.tokens import TOKENS_ENV, TokenPool, TokensError, read_tokens

_pools: dict[str, TokenPool] = {}


def token_pool(environment: Environment) -> TokenPool:
    """The process's pool of the tokens file named by ``--svc-tokens-file`` or ``SVC_LOAD_TOKENS_FILE``."""
    path = getattr(environment.parsed_options, "svc_tokens_file", None) or os.environ.get(TOKENS_ENV)
    if not path:
        raise TokensError(f"no tokens file: pass --svc-tokens-file PATH to locust, or set {TOKENS_ENV}")
    if path not in _pools:
        _pools[path] = TokenPool(read_tokens(path), f"the tokens file {path}")
    return _pools[path]


class _TokenChoice:
    """The token of one simulated user, or why it has none (raised from ``on_start``, where Locust reports it)."""

    def __init__(self, environment: Environment, label: str | None) -> None:
        self.token: str = ""
        self.error: TokensError | None = None
        try:
            self.token = token_pool(environment).next(label)
        except TokensError as exc:
            self.error = exc


class SvcHttpUser(HttpUser):
    """An ``HttpUser`` (requests) whose every request carries ``auth_headers(token)``; abstract.

    ``self.token`` is the user's token. The class attribute ``token_label`` picks labelled tokens.
    """

    abstract = True
    token_label: ClassVar[str | None] = None

    def __init__(self, environment: Environment) -> None:
        choice = _TokenChoice(environment, self.token_label)
        self.token = choice.token
        self._token_error = choice.error
        super().__init__(environment)  # type: ignore[no-untyped-call]  # Locust leaves it unannotated
        if self.token:
            self.client.headers.update(self.auth_headers(self.token))

    def auth_headers(self, token: str) -> dict[str, str]:
        """The headers that authenticate ``token``; ``Authorization: Bearer <token>`` unless overridden."""
        return {"Authorization": f"Bearer {token}"}

    def on_start(self) -> None:
        if self._token_error is not None:
            raise self._token_error


class SvcFastHttpUser(FastHttpUser):
    """A ``FastHttpUser`` (geventhttpclient) whose every request carries ``auth_headers(token)``; abstract.

    The faster client, for the scenarios that make most requests. ``self.token`` and ``token_label`` as in
    :class:`SvcHttpUser`.
    """

    abstract = True
    token_label: ClassVar[str | None] = None

    def __init__(self, environment: Environment) -> None:
        choice = _TokenChoice(environment, self.token_label)
        self.token = choice.token
        self._token_error = choice.error
        if self.token:
            # FastHttpUser hands default_headers to its client in __init__: set them per user first.
            headers: dict[str, Any] = dict(type(self).default_headers or {})
            self.default_headers = {**headers, **self.auth_headers(self.token)}
        super().__init__(environment)

    def auth_headers(self, token: str) -> dict[str, str]:
        """The headers that authenticate ``token``; ``Authorization: Bearer <token>`` unless overridden."""
        return {"Authorization": f"Bearer {token}"}

    def on_start(self) -> None:
        if self._token_error is not None:
            raise self._token_error
