"""Protocols for pytest-svc's callable fixtures, so tests can annotate them (all exported from ``pytest_svc``)."""

from __future__ import annotations

from collections.abc import Coroutine, Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    import httpx

_ModelT = TypeVar("_ModelT")


class MakeUser(Protocol):
    """The ``make_user`` fixture."""

    def __call__(
        self,
        *,
        roles: Iterable[str] = ...,
        permissions: Iterable[str] = ...,
        tenant_id: str | None = ...,
        email: str | None = ...,
        name: str | None = ...,
        id: str | None = ...,
        **extra: Any,
    ) -> Any: ...


class MockAuthToken(Protocol):
    """The ``mock_auth_token`` fixture."""

    def __call__(self, user: Any = ...) -> str: ...


class MakeClient(Protocol):
    """The ``make_client`` fixture."""

    def __call__(self, user: Any = ..., *, raise_app_exceptions: bool = ..., **kwargs: Any) -> httpx.AsyncClient: ...


class AssertMaxQueries(Protocol):
    """The ``assert_max_queries`` fixture."""

    def __call__(self, n: int) -> AbstractContextManager[list[str]]: ...


class MakeTestModel(Protocol):
    """The ``make_test_model`` fixture."""

    def __call__(self, model: type[_ModelT], /, **values: Any) -> Coroutine[Any, Any, _ModelT]: ...


class MakeTestUsers(Protocol):
    """The ``make_test_users`` fixture."""

    def __call__(
        self,
        count: int,
        *,
        roles: Iterable[str] = ...,
        permissions: Iterable[str] = ...,
        tenant_id: str | None = ...,
        **extra: Any,
    ) -> list[Any]: ...
