"""Test users: principals with roles, permissions and tenant, and the tokens that authenticate them."""

from __future__ import annotations

import dataclasses
import fnmatch
import itertools
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

import pytest
from fastapi import HTTPException, Request

from pytest_svc.signed_tokens import TokenSigner, token_words

DEFAULT_TENANT = "test-tenant"


@dataclasses.dataclass(frozen=True)
class UserSpec:
    """What ``make_user`` was asked for; ``pytest_svc_make_user`` turns it into the app's principal."""

    id: str
    email: str
    name: str
    roles: tuple[str, ...]
    permissions: tuple[str, ...]
    tenant_id: str | None
    extra: Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class SvcUser:
    """The default test principal: id, email, name, roles, permissions (ACL strings) and tenant.

    ``has_permission("documents:read")`` accepts the wildcards ``"*"`` and ``"documents:*"``.
    """

    id: str
    email: str
    name: str
    roles: tuple[str, ...]
    permissions: tuple[str, ...]
    tenant_id: str | None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def has_permission(self, permission: str) -> bool:
        return any(fnmatch.fnmatchcase(permission, granted) for granted in self.permissions)


@pytest.hookimpl(trylast=True)
def pytest_svc_make_user(config: pytest.Config, spec: UserSpec) -> SvcUser:
    del config
    return SvcUser(spec.id, spec.email, spec.name, spec.roles, spec.permissions, spec.tenant_id, dict(spec.extra))


@pytest.hookimpl(trylast=True)
def pytest_svc_auth_headers(config: pytest.Config, user: Any, token: str) -> dict[str, str]:
    del config, user
    return {"Authorization": f"Bearer {token}"}


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


class UserLookup(Protocol):
    """Finds the test user a request's headers carry: :class:`TokenRegistry` in-process, or the live server's."""

    def user_for_headers(self, values: Iterable[str]) -> Any | None: ...


def user_dependency_override(registry: UserLookup) -> Callable[..., Any]:
    """The function that replaces the app's ``svc_user_dependency``: resolve the test user from the token."""

    async def authenticate_test_user(request: Request) -> Any:
        user = registry.user_for_headers(request.headers.values())
        if user is None:
            raise HTTPException(status_code=401, detail="Not authenticated", headers={"WWW-Authenticate": "Bearer"})
        return user

    return authenticate_test_user


@pytest.fixture(scope="session")
def _svc_token_signer() -> TokenSigner:
    return TokenSigner()


@pytest.fixture
def _svc_tokens(_svc_token_signer: TokenSigner) -> TokenRegistry:
    return TokenRegistry(_svc_token_signer)


@pytest.fixture
def make_user(pytestconfig: pytest.Config, _svc_tokens: TokenRegistry) -> Callable[..., Any]:
    """Make a test principal: ``make_user(roles=("editor",), permissions=("documents:*",), tenant_id="t2")``.

    Keyword arguments: ``roles`` (default ``("user",)``), ``permissions``, ``tenant_id`` (default
    ``"test-tenant"``), ``email``, ``name``, ``id`` (default a fresh uuid4 string), and any extra keywords, which
    reach ``pytest_svc_make_user``. The principal is whatever that hook returns (default :class:`SvcUser`); it
    already has a token, so ``mock_auth_token(user)`` and ``make_client(user)`` authenticate as it.
    """
    counter = itertools.count(1)

    def _make_user(
        *,
        roles: Iterable[str] = ("user",),
        permissions: Iterable[str] = (),
        tenant_id: str | None = DEFAULT_TENANT,
        email: str | None = None,
        name: str | None = None,
        id: str | None = None,
        **extra: Any,
    ) -> Any:
        number = next(counter)
        spec = UserSpec(
            id=id or str(uuid.uuid4()),
            email=email or f"user{number}@example.com",
            name=name or f"Test User {number}",
            roles=tuple(roles),
            permissions=tuple(permissions),
            tenant_id=tenant_id,
            extra=extra,
        )
        user = pytestconfig.hook.pytest_svc_make_user(config=pytestconfig, spec=spec)
        _svc_tokens.token_for(user)
        return user

    return _make_user


@pytest.fixture
def current_user(make_user: Callable[..., Any]) -> Any:
    """The test's ordinary authenticated user: role ``"user"``, no permissions, tenant ``"test-tenant"``.

    Email ``user@example.com``. ``auth_client`` acts as this user.
    """
    return make_user(roles=("user",), email="user@example.com", name="Test User")


@pytest.fixture
def admin_user(make_user: Callable[..., Any]) -> Any:
    """The test's administrator: role ``"admin"``, permission ``"*"``, tenant ``"test-tenant"``.

    Email ``admin@example.com``. ``admin_client`` acts as this user.
    """
    return make_user(roles=("admin",), permissions=("*",), email="admin@example.com", name="Test Admin")


@pytest.fixture
def mock_auth_token(_svc_tokens: TokenRegistry, current_user: Any) -> Callable[..., str]:
    """Give the bearer token of a test user: ``mock_auth_token()`` for ``current_user``, ``mock_auth_token(user)``.

    The token is opaque and valid only in this test; the overridden ``svc_user_dependency`` maps it back to the
    user. Use it for hand-made requests: ``client.get(url, headers={"Authorization": f"Bearer {token}"})``.
    """

    def _mock_auth_token(user: Any = None) -> str:
        return _svc_tokens.token_for(current_user if user is None else user)

    return _mock_auth_token


def auth_headers(config: pytest.Config, registry: TokenRegistry, user: Any) -> dict[str, str]:
    """The headers that authenticate ``user``, as ``pytest_svc_auth_headers`` builds them."""
    token = registry.token_for(user)
    headers = config.hook.pytest_svc_auth_headers(config=config, user=user, token=token)
    return dict(headers)
