"""Test users: principals with roles, permissions and tenant, one or many at a time, and their tokens.

The default ``pytest_svc_make_user`` and ``pytest_svc_auth_headers`` implementations live here too; the tokens
themselves are :mod:`pytest_svc.tokens`.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import itertools
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from pytest_svc.protocols import MakeTestUsers, MakeUser, MockAuthToken
from pytest_svc.tokens import TokenRegistry, TokenSigner

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


@pytest.fixture(scope="session")
def _svc_token_signer() -> TokenSigner:
    return TokenSigner()


@pytest.fixture
def _svc_tokens(_svc_token_signer: TokenSigner) -> TokenRegistry:
    return TokenRegistry(_svc_token_signer)


@pytest.fixture
def make_user(pytestconfig: pytest.Config, _svc_tokens: TokenRegistry) -> MakeUser:
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
def current_user(make_user: MakeUser) -> Any:
    """The test's ordinary authenticated user: role ``"user"``, no permissions, tenant ``"test-tenant"``.

    Email ``user@example.com``. ``auth_client`` acts as this user.
    """
    return make_user(roles=("user",), email="user@example.com", name="Test User")


@pytest.fixture
def admin_user(make_user: MakeUser) -> Any:
    """The test's administrator: role ``"admin"``, permission ``"*"``, tenant ``"test-tenant"``.

    Email ``admin@example.com``. ``admin_client`` acts as this user.
    """
    return make_user(roles=("admin",), permissions=("*",), email="admin@example.com", name="Test Admin")


@pytest.fixture
def mock_auth_token(_svc_tokens: TokenRegistry, current_user: Any) -> MockAuthToken:
    """Give the bearer token of a test user: ``mock_auth_token()`` for ``current_user``, ``mock_auth_token(user)``.

    The token is opaque and valid only in this test; the overridden ``svc_user_dependency`` maps it back to the
    user. Use it for hand-made requests: ``client.get(url, headers={"Authorization": f"Bearer {token}"})``.
    """

    def _mock_auth_token(user: Any = None) -> str:
        return _svc_tokens.token_for(current_user if user is None else user)

    return _mock_auth_token


@pytest.fixture
def make_test_users(make_user: MakeUser) -> MakeTestUsers:
    """Make several test principals at once: ``make_test_users(3, roles=("editor",), tenant_id="t2")``.

    Each comes from ``make_user`` (so ``pytest_svc_make_user`` shapes it and it has a token), with its own id,
    email (``userN@example.com``) and name; ``roles`` (default ``("user",)``), ``permissions``, ``tenant_id``
    (default ``"test-tenant"``) and extra keywords are shared by all of them.
    """

    def _make_test_users(
        count: int,
        *,
        roles: Iterable[str] = ("user",),
        permissions: Iterable[str] = (),
        tenant_id: str | None = DEFAULT_TENANT,
        **extra: Any,
    ) -> list[Any]:
        roles, permissions = tuple(roles), tuple(permissions)
        return [make_user(roles=roles, permissions=permissions, tenant_id=tenant_id, **extra) for _ in range(count)]

    return _make_test_users
