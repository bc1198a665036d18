"""Session and engine options: what ``db_session_options`` and ``db_engine_options`` may set, checked once.

Both fixtures return a dict of keyword arguments, checked when the session's database is first made: a value that
is not a dict, a key the plugin sets itself, or an argument SQLAlchemy does not take fails every database test
with a short message naming the fixture and the fix. The checked options are what the plugin then passes on: the
session options to every sessionmaker of the test's transaction (``db_session``, ``db_sessionmaker``, the sync
fixtures), the engine options to the test engine (and, without ``connect_args``, to the sync engine).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_svc.db.engines import create_test_engine
from pytest_svc.db.target import DatabaseTarget
from pytest_svc.settings import a_or_an

# What the plugin's sessions use unless db_session_options says otherwise: objects stay loaded after commit(), so
# reading an attribute after the app commits needs no lazy load (MissingGreenlet in async code).
DEFAULT_SESSION_OPTIONS: dict[str, Any] = {"expire_on_commit": False}

NOT_A_DICT = (
    "pytest-svc: the {fixture} fixture returned {kind}; it must return a dict of keyword arguments for {target}.\n"
    "  For example, in conftest.py:\n"
    '    @pytest.fixture(scope="session")\n'
    "    def {fixture}():\n"
    "        return {example}"
)
PLUGINS_OWN_KEY = "pytest-svc: {fixture} sets {key!r}, which the plugin sets itself: {why} Remove it from {fixture}."
NOT_TAKEN = (
    "pytest-svc: {fixture} has an argument {target} does not take: {error}\n"
    "  Fix or remove it in your {fixture} fixture."
)
AUTOCOMMIT = (
    "pytest-svc: {fixture} sets isolation_level={level!r}: every statement would commit at once, and the test's "
    "transaction could not roll anything back. Remove it from {fixture}."
)

SESSION_EXAMPLE = '{"autoflush": False, "info": {"tenant": "test"}}'
ENGINE_EXAMPLE = '{"echo": True, "connect_args": {"server_settings": {"timezone": "UTC"}}}'

_SESSION_KEYS_OF_THE_PLUGIN = {
    "bind": "every session is bound to the test's connection.",
    "binds": "every session is bound to the test's connection.",
    "join_transaction_mode": 'sessions join the test\'s transaction with "create_savepoint", so commit() and '
    "rollback() in app code only touch savepoints.",
}
_ENGINE_KEYS_OF_THE_PLUGIN = {
    "poolclass": "it picks the pool per backend (one shared connection on SQLite, one connection per event loop "
    "on PostgreSQL, whose connections belong to the loop that opened them).",
    "pool": "it picks the pool per backend (one shared connection on SQLite, one connection per event loop on "
    "PostgreSQL, whose connections belong to the loop that opened them).",
}


class OptionsError(Exception):
    """A ``db_session_options`` or ``db_engine_options`` value the plugin cannot use; the message says why."""


def _as_dict(fixture: str, value: object, target: str, example: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        kind = a_or_an(type(value).__name__)
        raise OptionsError(NOT_A_DICT.format(fixture=fixture, kind=kind, target=target, example=example))
    return dict(value)


def _refuse(fixture: str, options: Mapping[str, Any], owned: Mapping[str, str]) -> None:
    for key, why in owned.items():
        if key in options:
            raise OptionsError(PLUGINS_OWN_KEY.format(fixture=fixture, key=key, why=why))


def session_options(value: object) -> dict[str, Any]:
    """``db_session_options``' value checked, over the plugin's defaults: the keyword arguments of its sessionmakers.

    A session is made once from them (no I/O), so an argument ``AsyncSession`` or ``Session`` does not take fails
    here, once, instead of in every test.
    """
    from sqlalchemy.ext.asyncio import async_sessionmaker

    fixture = "db_session_options"
    options = _as_dict(fixture, value, "async_sessionmaker", SESSION_EXAMPLE)
    _refuse(fixture, options, _SESSION_KEYS_OF_THE_PLUGIN)
    merged = {**DEFAULT_SESSION_OPTIONS, **options}
    try:
        session = async_sessionmaker(**merged)()
    except TypeError as exc:
        raise OptionsError(NOT_TAKEN.format(fixture=fixture, target="async_sessionmaker", error=exc)) from None
    # Never connected: nothing to release, no loop needed. (A sync class_ gives a Session, itself the sync side.)
    sync_side: Any = getattr(session, "sync_session", session)
    sync_side.close()
    return merged


def sync_session_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The checked session options as a sync ``sessionmaker`` takes them: ``sync_session_class`` becomes its class.

    ``class_`` names the async session class, so the sync side leaves it out.
    """
    sync = {key: value for key, value in options.items() if key not in ("class_", "sync_session_class")}
    if "sync_session_class" in options:
        sync["class_"] = options["sync_session_class"]
    return sync


def _isolation_levels(options: Mapping[str, Any]) -> list[Any]:
    execution_options = options.get("execution_options") or {}
    return [options.get("isolation_level"), execution_options.get("isolation_level")]


def engine_options(value: object, target: DatabaseTarget, *, echo: bool) -> dict[str, Any]:
    """``db_engine_options``' value checked for ``target``; ``echo`` (``--svc-db-echo``) adds ``echo=True``.

    An engine is built from them (it connects to nothing), so an argument the dialect or pool does not take
    fails here with SQLAlchemy's own words.
    """
    from sqlalchemy.exc import ArgumentError

    fixture = "db_engine_options"
    options = _as_dict(fixture, value, "create_async_engine", ENGINE_EXAMPLE)
    _refuse(fixture, options, _ENGINE_KEYS_OF_THE_PLUGIN)
    for level in _isolation_levels(options):
        if isinstance(level, str) and level.replace("_", " ").upper() == "AUTOCOMMIT":
            raise OptionsError(AUTOCOMMIT.format(fixture=fixture, level=level))
    if echo:
        options["echo"] = True
    try:
        create_test_engine(target, options=options)
    except (TypeError, ArgumentError) as exc:
        raise OptionsError(NOT_TAKEN.format(fixture=fixture, target="create_async_engine", error=exc)) from None
    return options


def sync_engine_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The checked engine options for the sync engine: ``connect_args`` belong to the async driver, so they stay out."""
    return {key: value for key, value in options.items() if key != "connect_args"}
