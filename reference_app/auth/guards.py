"""The current user of a request, and role checks on them: the dependencies routes put in front of their work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException

from reference_app.auth.bearer import authenticate
from reference_app.auth.principal import PrincipalLike
from reference_app.db.actor import current_actor
from reference_app.observability.request_log import current_caller


async def get_current_user(principal: Annotated[PrincipalLike, Depends(authenticate)]) -> PrincipalLike:
    """The authenticated caller; their email also becomes the request's audit actor (:mod:`reference_app.db.actor`)."""
    # Async on purpose: a sync dependency runs in a thread and its ContextVar write would not reach
    # the endpoint.
    current_actor.set(principal.email)
    current_caller.set((principal.id, principal.tenant_id))  # for the request log: IDs, never the email
    return principal


def require_role(role: str) -> Callable[[PrincipalLike], Awaitable[PrincipalLike]]:
    """Dependency factory: the current user if they have ``role``, else 403."""

    async def dependency(principal: Annotated[PrincipalLike, Depends(get_current_user)]) -> PrincipalLike:
        if role not in principal.roles:
            raise HTTPException(403, detail=f"Requires role {role!r}.")
        return principal

    return dependency
