"""The running test's ``db_session``, for helpers that cannot take it as a fixture argument (factories).

Whenever pytest sets up a fixture named ``db_session``, this plugin records the session it returned until the
fixture is torn down. A factory called with no fixture plumbing asks :func:`current_db_session` for it.

A module-level stack, not a ``ContextVar``: the session comes from a synchronous fixture, outside any event
loop, while pytest-asyncio and anyio run tests and async fixtures in context copies of their own, taken at times
that differ by runner and loop scope; a context variable set here is not reliably seen where the factory runs.
pytest runs one test at a time per process (xdist uses processes), so there is one current test. The stack
covers a conftest ``db_session`` that wraps the plugin's: the one set up last, which the test sees, wins.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

NO_SESSION_MESSAGE = (
    "pytest-svc: {what} needs the test's db_session, and this test has none. Request the db_session fixture in "
    "the test (or a fixture that depends on it, such as the <model> and <model>_factory fixtures of register()), "
    "and make the test async."
)

_sessions: list[AsyncSession] = []


def current_db_session(what: str) -> AsyncSession:
    """The ``db_session`` of the running test; fails naming ``what`` needed it when the test has none."""
    if not _sessions:
        raise RuntimeError(NO_SESSION_MESSAGE.format(what=what))
    return _sessions[-1]


def has_db_session() -> bool:
    """Whether the running test has set up ``db_session``."""
    return bool(_sessions)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    value = yield
    if fixturedef.argname == "db_session" and isinstance(value, AsyncSession):
        _sessions.append(value)
        request.addfinalizer(lambda: _sessions.remove(value))
    return value
