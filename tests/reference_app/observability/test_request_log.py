"""The request log: one record per request with its route template, status, timing, IDs; detail at DEBUG, masked."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_svc import AppLogs, MakeClient, SettingsOverride, assert_no_pii, assert_request_id
from reference_app.redis_client import get_redis

pytestmark = pytest.mark.asyncio

LOGGER = "reference_app.requests"
SECRETS = st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="\"'\\"), min_size=8).map(
    lambda text: "Zq9" + text
)  # marked: never a piece of the log's own text


async def test_one_record_per_request_with_the_route_template_never_the_raw_path(
    auth_client: httpx.AsyncClient, app_logs: AppLogs, current_user: Any
) -> None:
    created = await auth_client.post("/documents", json={"title": "Logged"})
    app_logs.clear()
    response = await auth_client.get(f"/documents/{created.json()['id']}")
    [record] = app_logs.fields(LOGGER, method="GET")
    assert record["route"] == "/documents/{document_id}"
    assert record["status"] == 200
    assert record["request_id"] == assert_request_id(response)
    assert record["user"] == current_user.id
    assert record["tenant"] == current_user.tenant_id
    assert record["duration_ms"] > 0
    request_log = "\n".join(str(fields) for fields in app_logs.fields(LOGGER))
    assert f"/documents/{created.json()['id']}" not in request_log
    assert_no_pii(app_logs, values=[current_user.email])


async def test_errors_and_the_middlewares_answers_are_logged_too(
    app: Any,
    make_client: MakeClient,
    current_user: Any,
    app_logs: AppLogs,
    settings_override: SettingsOverride,
) -> None:
    client = make_client(current_user, raise_app_exceptions=False)
    await client.get("/no-such-route")

    def broken() -> None:
        raise RuntimeError("boom")

    created = await client.post("/documents", json={"title": "Counted"})
    app.dependency_overrides[get_redis] = broken
    await client.post(f"/documents/{created.json()['id']}/views")
    app.dependency_overrides.pop(get_redis)
    settings_override(rate_limit__requests=1)
    await client.post("/echo", json={})
    await client.post("/echo", json={})
    lines = [fields for fields in app_logs.fields(LOGGER) if "route" in fields]  # not the DEBUG detail records
    seen = [(record["route"], record["status"]) for record in lines]
    assert seen == [
        ("(no route)", 404),
        ("/documents", 201),
        ("/documents/{document_id}/views", 500),
        ("/echo", 200),
        ("/echo", 429),
    ]
    assert "user" not in lines[0]  # 404 before any authentication: no caller to name
    assert lines[1]["user"] == current_user.id


async def test_no_detail_above_debug(client: httpx.AsyncClient, app_logs: AppLogs) -> None:
    app_logs.set_level("INFO")
    await client.post("/echo", json={"password": "hunter2"})
    assert [record.getMessage() for record in app_logs.records if record.name == LOGGER] == ["POST /echo 200"]


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(email=st.emails(), password=SECRETS, token=SECRETS, api_key=SECRETS)
async def test_at_debug_headers_and_body_are_logged_masked(
    client: httpx.AsyncClient,
    app_logs: AppLogs,
    settings_override: SettingsOverride,
    email: str,
    password: str,
    token: str,
    api_key: str,
) -> None:
    settings_override(rate_limit__enabled=False)
    app_logs.clear()
    body = {"email": email, "password": password, "note": f"write to {email}", "nested": {"secret": token}}
    headers = {"Authorization": f"Bearer {token}", "X-API-Key": api_key}
    response = await client.post("/echo", json=body, headers=headers)
    assert response.status_code == 200
    [detail] = [
        record for record in app_logs.records if record.name == LOGGER and record.getMessage() == "request detail"
    ]
    assert detail.body["password"] == "***"  # type: ignore[attr-defined]
    assert detail.headers["authorization"] == "***"  # type: ignore[attr-defined]
    assert_no_pii(
        [record for record in app_logs.records if record.name == LOGGER], values=[email, password, token, api_key]
    )
