"""Test users and their tokens: current_user, admin_user, make_user, mock_auth_token and the clients acting as them."""

from __future__ import annotations

import pytest

from pytest_svc import SvcUser


def test_current_user_and_admin_user_defaults(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        from pytest_svc import SvcUser

        def test_current_user(current_user):
            assert isinstance(current_user, SvcUser)
            assert current_user.email == "user@example.com"
            assert current_user.roles == ("user",)
            assert current_user.permissions == ()
            assert current_user.tenant_id == "test-tenant"
            assert not current_user.is_admin
            assert not current_user.has_permission("documents:read")

        def test_admin_user(admin_user):
            assert isinstance(admin_user, SvcUser)
            assert admin_user.email == "admin@example.com"
            assert admin_user.roles == ("admin",)
            assert admin_user.permissions == ("*",)
            assert admin_user.tenant_id == "test-tenant"
            assert admin_user.is_admin
            assert admin_user.has_permission("anything:at-all")

        def test_they_are_different_people(current_user, admin_user):
            assert current_user.id != admin_user.id
        """
    )
    sample_project.runpytest().assert_outcomes(passed=3)


def test_auth_client_and_admin_client_act_as_their_users(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.asyncio

        async def test_auth_client(auth_client, current_user):
            response = await auth_client.get("/me")
            assert response.status_code == 200
            assert response.json() == {
                "id": current_user.id, "email": "user@example.com", "roles": ["user"], "tenant_id": "test-tenant"
            }
            assert auth_client.headers["authorization"].startswith("Bearer ")

        async def test_admin_client(admin_client, admin_user):
            response = await admin_client.get("/me")
            assert response.status_code == 200
            assert response.json() == {
                "id": admin_user.id, "email": "admin@example.com", "roles": ["admin"], "tenant_id": "test-tenant"
            }
        """
    )
    sample_project.runpytest().assert_outcomes(passed=2)


def test_client_without_a_token_gets_401_with_a_bearer_challenge(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.asyncio

        async def test_anonymous(client):
            assert "authorization" not in client.headers
            response = await client.get("/me")
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == "Bearer"

        async def test_made_up_token(client, current_user):
            response = await client.get("/me", headers={"Authorization": "Bearer svc-test-made-up"})
            assert response.status_code == 401
        """
    )
    sample_project.runpytest().assert_outcomes(passed=2)


def test_make_user_and_mock_auth_token_by_hand(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest

        @pytest.mark.asyncio
        async def test_hand_made_header(client, make_user, mock_auth_token):
            editor = make_user(roles=("editor",), permissions=("documents:*",), tenant_id="tenant-2")
            token = mock_auth_token(editor)
            response = await client.get("/me", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200
            assert response.json() == {
                "id": editor.id, "email": editor.email, "roles": ["editor"], "tenant_id": "tenant-2"
            }
            assert mock_auth_token(editor) == token

        @pytest.mark.asyncio
        async def test_default_token_is_current_users(client, current_user, mock_auth_token):
            response = await client.get("/me", headers={"Authorization": f"Bearer {mock_auth_token()}"})
            assert response.json()["id"] == current_user.id

        def test_make_user_fields(make_user):
            first, second = make_user(), make_user()
            assert first.id != second.id and first.email != second.email
            assert (first.roles, first.permissions, first.tenant_id) == (("user",), (), "test-tenant")
            chosen = make_user(id="u-1", email="ann@example.com", name="Ann", tenant_id=None, plan="pro")
            assert (chosen.id, chosen.email, chosen.name, chosen.tenant_id) == ("u-1", "ann@example.com", "Ann", None)
            assert chosen.extra == {"plan": "pro"}
        """
    )
    sample_project.runpytest().assert_outcomes(passed=3)


def test_make_client_authenticates_as_the_given_user(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest

        @pytest.mark.asyncio
        async def test_two_users(make_client, make_user):
            alice = make_user(email="alice@example.com")
            bob = make_user(email="bob@example.com", tenant_id="other-tenant")
            assert (await make_client(alice).get("/me")).json()["email"] == "alice@example.com"
            assert (await make_client(bob).get("/me")).json()["tenant_id"] == "other-tenant"
            assert (await make_client().get("/me")).status_code == 401
        """
    )
    sample_project.runpytest().assert_outcomes(passed=1)


def test_token_from_another_test_does_not_authenticate(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.asyncio
        earlier_tokens = []

        async def test_first(client, mock_auth_token):
            token = mock_auth_token()
            earlier_tokens.append(token)
            assert (await client.get("/me", headers={"Authorization": f"Bearer {token}"})).status_code == 200

        async def test_second(client, mock_auth_token):
            [token] = earlier_tokens
            assert (await client.get("/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401
            assert mock_auth_token() != token
        """
    )
    sample_project.runpytest().assert_outcomes(passed=2)


def test_make_user_hook_gives_the_app_a_custom_principal(sample_project: pytest.Pytester) -> None:
    sample_project.makeconftest(
        """
        import dataclasses

        @dataclasses.dataclass(frozen=True)
        class Principal:
            id: str
            email: str
            roles: tuple
            tenant_id: str
            plan: str

        def pytest_svc_make_user(config, spec):
            plan = spec.extra.get("plan", "free")
            return Principal(spec.id, spec.email.upper(), spec.roles, f"org-{spec.tenant_id}", plan)
        """
    )
    sample_project.makepyfile(
        """
        import pytest
        from conftest import Principal

        @pytest.mark.asyncio
        async def test_custom_principal(auth_client, current_user, admin_user, make_user):
            assert type(current_user) is Principal and type(admin_user) is Principal
            assert make_user(plan="pro").plan == "pro"
            response = await auth_client.get("/me")
            assert response.json() == {
                "id": current_user.id, "email": "USER@EXAMPLE.COM", "roles": ["user"], "tenant_id": "org-test-tenant"
            }
        """
    )
    sample_project.runpytest().assert_outcomes(passed=1)


def test_auth_headers_hook_sends_the_token_another_way(sample_project: pytest.Pytester) -> None:
    sample_project.makeconftest(
        """
        def pytest_svc_auth_headers(config, user, token):
            return {"X-API-Key": token}
        """
    )
    sample_project.makepyfile(
        """
        import pytest

        @pytest.mark.asyncio
        async def test_api_key(auth_client, current_user, mock_auth_token):
            assert "authorization" not in auth_client.headers
            assert auth_client.headers["x-api-key"] == mock_auth_token(current_user)
            response = await auth_client.get("/me")
            assert response.status_code == 200
            assert response.json()["id"] == current_user.id
        """
    )
    sample_project.runpytest().assert_outcomes(passed=1)


def svc_user(*, roles: tuple[str, ...] = (), permissions: tuple[str, ...] = ()) -> SvcUser:
    return SvcUser("u-1", "u@example.com", "U", roles, permissions, "test-tenant")


@pytest.mark.parametrize(
    ("granted", "asked", "allowed"),
    [
        (("*",), "documents:read", True),
        (("*",), "users:delete", True),
        (("documents:*",), "documents:read", True),
        (("documents:*",), "documents:delete", True),
        (("documents:*",), "users:read", False),
        (("documents:*",), "documentsx:read", False),
        (("documents:read",), "documents:read", True),
        (("documents:read",), "documents:write", False),
        (("documents:read", "users:*"), "users:invite", True),
        ((), "documents:read", False),
    ],
)
def test_has_permission_wildcards(granted: tuple[str, ...], asked: str, allowed: bool) -> None:
    assert svc_user(permissions=granted).has_permission(asked) is allowed


def test_has_role_and_is_admin() -> None:
    editor = svc_user(roles=("editor", "viewer"))
    assert editor.has_role("editor")
    assert editor.has_role("viewer")
    assert not editor.has_role("admin")
    assert not editor.is_admin
    assert not editor.has_role("edit")
    assert svc_user(roles=("admin",)).is_admin


def test_make_test_users_makes_distinct_principals_sharing_roles_and_tenant(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest
        from pytest_svc import MakeTestUsers, SvcUser

        def test_three_editors(make_test_users: MakeTestUsers, mock_auth_token):
            users = make_test_users(3, roles=("editor",), permissions=("documents:*",), tenant_id="t2")
            assert all(isinstance(user, SvcUser) for user in users)
            assert len({user.id for user in users}) == len({user.email for user in users}) == 3
            assert {(user.roles, user.tenant_id) for user in users} == {(("editor",), "t2")}
            assert all(user.has_permission("documents:read") for user in users)
            assert len({mock_auth_token(user) for user in users}) == 3

        def test_defaults(make_test_users):
            assert make_test_users(0) == []
            (user,) = make_test_users(1)
            assert (user.roles, user.tenant_id) == (("user",), "test-tenant")

        @pytest.mark.asyncio
        async def test_the_app_knows_them(make_test_users, make_client):
            for user in make_test_users(2, tenant_id="t3"):
                me = (await make_client(user).get("/me")).json()
                assert (me["id"], me["tenant_id"]) == (user.id, "t3")
        """
    )
    sample_project.runpytest().assert_outcomes(passed=3)
