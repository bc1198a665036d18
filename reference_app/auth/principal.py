"""Who is calling: roles, ACL permissions and tenant of an authenticated caller."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


class PrincipalLike(Protocol):
    """What the app reads from a caller; test doubles need not be :class:`Principal`."""

    @property
    def id(self) -> str: ...

    @property
    def email(self) -> str: ...

    @property
    def roles(self) -> tuple[str, ...]: ...

    @property
    def permissions(self) -> tuple[str, ...]: ...

    @property
    def tenant_id(self) -> str | None: ...


def permission_granted(granted: Iterable[str], permission: str) -> bool:
    """Whether ``granted`` covers ``permission``; ``"*"`` and ``"<resource>:*"`` are wildcards."""
    resource = permission.partition(":")[0]
    return any(g in ("*", permission, f"{resource}:*") for g in granted)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller, e.g. ``Principal("u1", "a@example.com", roles=("admin",))``."""

    id: str
    email: str
    roles: tuple[str, ...] = ()
    permissions: tuple[str, ...] = ()
    tenant_id: str | None = None

    def has_role(self, role: str) -> bool:
        """Whether the caller has ``role``."""
        return role in self.roles

    def has_permission(self, permission: str) -> bool:
        """Whether the caller may do ``permission`` (an ACL string such as ``"documents:read"``)."""
        return permission_granted(self.permissions, permission)
