"""``Principal``: ACL permissions with ``*`` and ``<resource>:*`` wildcards."""

from __future__ import annotations

import pytest

from reference_app.auth import Principal


@pytest.mark.parametrize(
    ("granted", "wanted", "allowed"),
    [
        (("documents:read",), "documents:read", True),
        (("documents:read",), "documents:write", False),
        (("documents:*",), "documents:write", True),
        (("documents:*",), "users:read", False),
        (("*",), "users:read", True),
        ((), "documents:read", False),
    ],
)
def test_has_permission_honours_wildcards(granted: tuple[str, ...], wanted: str, allowed: bool) -> None:
    assert Principal("1", "a@example.com", permissions=granted).has_permission(wanted) is allowed
