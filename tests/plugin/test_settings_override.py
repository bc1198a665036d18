"""settings_override: fields of the app's settings changed in place for one test, validated, and restored after."""

from __future__ import annotations

import pytest

from tests.plugin.inner_runs import inner_ini, run_setup_error

# A service in the shape FastAPI's settings docs give: pydantic-settings, an lru_cached get_settings(), read through
# Depends(get_settings) and from app.state, with a sub-model a middleware could hold on to.
SERVICE = """
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict, PositiveInt
from pydantic_settings import BaseSettings, SettingsConfigDict


class Limits(BaseModel):
    requests: PositiveInt = 100
    exempt_paths: list[str] = ["/health"]


class Database(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str = "sqlite+aiosqlite://"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SERVICE_", env_nested_delimiter="__")

    title: str = "service"
    limits: Limits = Limits()
    database: Database = Database()


@lru_cache
def get_settings() -> Settings:
    return Settings()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.greeting = f"hello from {get_settings().title}"  # copied once per lifespan
    yield


settings = get_settings()
app = FastAPI(lifespan=lifespan)
app.state.settings = settings
kept_limits = settings.limits  # what a middleware made at startup holds


@app.get("/limits")
async def limits(settings: Annotated[Settings, Depends(get_settings)]) -> dict[str, object]:
    return {"title": settings.title, "requests": settings.limits.requests, "kept": kept_limits.requests}


@app.get("/greeting")
async def greeting() -> str:
    return app.state.greeting
"""

ORIGINALS = """
def assert_original():
    settings = service.get_settings()
    assert (settings.title, settings.limits.requests, settings.limits.exempt_paths) == ("service", 100, ["/health"])
    assert settings.model_fields_set == set() and settings.limits.model_fields_set == set()
"""


@pytest.fixture
def service(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project whose settings come from ``service:get_settings``."""
    pytester.makepyfile(service=SERVICE)
    pytester.makeini(inner_ini("svc_app = service:app", "svc_settings = service:get_settings"))
    return pytester


def make_tests(project: pytest.Pytester, body: str) -> None:
    project.makepyfile(test_overrides="import pytest\n\nimport service\n" + ORIGINALS + body)


@pytest.mark.parametrize("spec", ["service:get_settings", "service:settings"])
def test_an_override_changes_the_object_in_place_and_the_next_test_sees_the_original(
    service: pytest.Pytester, spec: str
) -> None:
    service.makeini(inner_ini("svc_app = service:app", f"svc_settings = {spec}"))
    make_tests(
        service,
        """
def test_override(settings_override):
    assert_original()
    returned = settings_override(title="changed", limits__requests="5")
    assert returned is service.get_settings() is service.app.state.settings
    assert (returned.title, returned.limits.requests) == ("changed", 5)  # validated: "5" became 5
    assert service.kept_limits.requests == 5  # the same sub-object, changed in place
    settings_override({"limits.exempt_paths": ["/live"]})
    assert service.kept_limits.exempt_paths == ["/live"]

def test_next():
    assert_original()
""",
    )
    service.runpytest().assert_outcomes(passed=2)


def test_nested_fields_and_calls_stack_and_undo_goes_back_to_the_originals(service: pytest.Pytester) -> None:
    make_tests(
        service,
        """
def test_stacked(settings_override):
    settings_override(limits__requests=2)
    settings_override(limits={"requests": 3, "exempt_paths": []})  # a dict for a sub-model sets its fields
    limits = service.get_settings().limits
    assert limits is service.kept_limits
    assert (limits.requests, limits.exempt_paths) == (3, [])
    settings_override.undo()
    assert_original()
    settings_override(limits__requests=4)

def test_next():
    assert_original()
""",
    )
    service.runpytest().assert_outcomes(passed=2)


def test_the_app_sees_the_override_through_its_dependency(service: pytest.Pytester) -> None:
    make_tests(
        service,
        """
@pytest.mark.asyncio
async def test_request(client, settings_override):
    assert (await client.get("/limits")).json() == {"title": "service", "requests": 100, "kept": 100}
    settings_override(title="overridden", limits__requests=1)
    assert (await client.get("/limits")).json() == {"title": "overridden", "requests": 1, "kept": 1}

@pytest.mark.asyncio
async def test_next_request(client):
    assert (await client.get("/limits")).json() == {"title": "service", "requests": 100, "kept": 100}
""",
    )
    service.runpytest().assert_outcomes(passed=2)


def test_an_override_made_before_the_app_starts_reaches_what_its_lifespan_copies(service: pytest.Pytester) -> None:
    make_tests(
        service,
        """
@pytest.fixture
def renamed(settings_override):
    settings_override(title="renamed")

@pytest.mark.asyncio
async def test_before_the_lifespan(renamed, client):
    assert (await client.get("/greeting")).json() == "hello from renamed"

@pytest.mark.asyncio
async def test_after_the_lifespan(client, settings_override):
    settings_override(title="too late")
    assert (await client.get("/greeting")).json() == "hello from service"
""",
    )
    service.runpytest().assert_outcomes(passed=2)


def test_a_value_the_field_refuses_fails_naming_the_field_and_the_error(service: pytest.Pytester) -> None:
    make_tests(
        service,
        """
def test_not_positive(settings_override):
    settings_override(limits__requests=0)

def test_not_a_list_of_strings(settings_override):
    settings_override({"limits.exempt_paths": ["/ok", 7]})

def test_next():
    assert_original()
""",
    )
    result = service.runpytest()
    result.assert_outcomes(failed=2, passed=1)
    result.stdout.fnmatch_lines(
        [
            "*pytest-svc: settings_override: limits.requests=0 is not valid for Limits.requests:",
            "  limits.requests: Input should be greater than 0",
            "*pytest-svc: settings_override: limits.exempt_paths=[[]'/ok', 7] is not valid for Limits.exempt_paths:",
            "  limits.exempt_paths.1: Input should be a valid string",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")


def test_a_field_that_does_not_exist_fails_listing_the_fields_at_its_level(service: pytest.Pytester) -> None:
    make_tests(
        service,
        """
def test_typo(settings_override):
    settings_override(limits__reqests=1)

def test_one_underscore(settings_override):
    settings_override(limits_requests=1)

def test_unknown_top_level(settings_override):
    settings_override({"colour": "red"})

def test_below_a_plain_value(settings_override):
    settings_override(title__upper=True)
""",
    )
    result = service.runpytest()
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(
        [
            "*settings_override: limits.reqests: Limits has no field 'reqests' (did you mean 'requests'?). "
            "Its fields: requests, exempt_paths.",
            "*settings_override: limits_requests: Settings has no field 'limits_requests' (a nested field? "
            "limits__requests=... or {'limits.requests': ...}). Its fields: title, limits, database.",
            "*settings_override: colour: Settings has no field 'colour'. Its fields: title, limits, database.",
            "*settings_override: title.upper: title is a str, not a settings model, so it has no fields of its own; "
            "give title a whole new value instead.",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")


def test_a_frozen_model_fails_saying_what_to_do(service: pytest.Pytester) -> None:
    make_tests(
        service,
        """
def test_frozen(settings_override):
    settings_override(database__url="postgresql+asyncpg://db/test")
""",
    )
    result = service.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*settings_override: cannot change database.url: Database is frozen (model_config frozen=True), and "
            "settings_override changes the settings object in place*Drop frozen=True from Database, or build the "
            "app for the test from settings made for it (create_app(AppSettings(...)))."
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")


def test_every_field_is_restored_after_a_failing_test(service: pytest.Pytester) -> None:
    make_tests(
        service,
        """
def test_fails(settings_override):
    settings_override(title="changed", limits__requests=1)
    settings_override(limits__exempt_paths=[])
    assert service.get_settings().limits.requests == 2

def test_next():
    assert_original()
""",
    )
    result = service.runpytest()
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*assert 1 == 2*"])


def test_without_svc_settings_the_fixture_names_the_setting(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(service=SERVICE)
    pytester.makeini(inner_ini("svc_app = service:app"))
    run_setup_error(
        pytester,
        "settings_override",
        "*pytest-svc: svc_settings is not set, and the settings_override fixture needs it.",
        '*e.g.  svc_settings = "myservice.settings:get_settings"',
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "service:Settings",
            "*svc_settings is 'service:Settings', which returns a new settings object on every call, so an override "
            "would reach nobody. Cache it as FastAPI's docs do (@functools.lru_cache on get_settings)*",
        ),
        (
            "service:Settings.model_config",
            "*svc_settings is 'service:Settings.model_config', a dict; it must name the settings object (a pydantic "
            "model) or a function returning it.",
        ),
        (
            "as_dict:get_settings",
            "*svc_settings is 'as_dict:get_settings', whose call returned a dict, not the settings object*",
        ),
        ("service:app", "*svc_settings is 'service:app'; calling it failed: TypeError: *"),
        ("service:kept_limit", "*svc_settings is 'service:kept_limit', but 'service' has no attribute 'kept_limit'."),
    ],
)
def test_a_setting_that_names_no_settings_object_fails_at_setup(
    service: pytest.Pytester, spec: str, message: str
) -> None:
    service.makepyfile(as_dict="def get_settings():\n    return {'title': 'service'}\n")
    service.makeini(inner_ini("svc_app = service:app", f"svc_settings = {spec}"))
    run_setup_error(service, "settings_override", message)
