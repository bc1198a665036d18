"""Authentication: bearer tokens resolved in Redis, the principal they stand for, the current user and role checks.

``Depends(get_current_user)`` for any caller, ``Depends(require_role("admin"))`` for a role; tests replace
:func:`authenticate` through ``app.dependency_overrides``.
"""

from __future__ import annotations

from reference_app.auth.bearer import TOKEN_KEY, authenticate
from reference_app.auth.guards import get_current_user, require_role
from reference_app.auth.principal import Principal, PrincipalLike, permission_granted

__all__ = [
    "TOKEN_KEY",
    "Principal",
    "PrincipalLike",
    "authenticate",
    "get_current_user",
    "permission_granted",
    "require_role",
]
