"""Rebinding what the app makes its sessions from to the test's connection, for one test, and back.

``svc_db_bind`` names the app's ``async_sessionmaker`` or ``AsyncEngine`` (or a function returning one, or the
``app.state`` attribute its lifespan keeps it in). For the test, every session the app makes from it joins the
test's transaction with ``join_transaction_mode="create_savepoint"``: the app's own dependency runs as written,
``commit()`` after ``yield`` included, and its commits release savepoints that the test's rollback undoes.

- An ``async_sessionmaker`` is reconfigured (``configure(bind=..., join_transaction_mode=...)``, SQLAlchemy's own
  API) and its options put back after the test; its other options (``expire_on_commit``, ``class_``...) stay the
  app's.
- An ``AsyncEngine`` cannot be pointed at a connection, so the sessions made from it are: while the test runs,
  ``Session`` event listeners (``after_transaction_create`` and ``do_orm_execute``, the moments before a session
  asks for its connection) give each session bound to that engine the test's connection instead. Statements the app
  runs on the engine itself (``engine.connect()``, ``engine.begin()``) are not redirected: name a sessionmaker,
  or keep such code out of the request path.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from pytest_svc.places import Place, is_factory
from pytest_svc.settings import SettingError, setting_problem

NOT_A_BIND = (
    "is {spec!r}, which gives {kind}; it must give the app's async_sessionmaker or AsyncEngine (or a function "
    "returning one)."
)


def resolve_bind(place: Place, app: Any = None) -> async_sessionmaker[Any] | AsyncEngine:
    """The sessionmaker or engine at ``place``; a function there is called (the app's lazy getter)."""
    value = place.read(app)
    if is_factory(value):
        value = value()
    if not isinstance(value, async_sessionmaker | AsyncEngine):
        kind = f"a {type(value).__name__}"
        raise SettingError(setting_problem(place.setting, NOT_A_BIND.format(spec=place.spec, kind=kind)))
    return value


@contextlib.contextmanager
def rebound(source: async_sessionmaker[Any] | AsyncEngine, to: AsyncConnection | AsyncEngine) -> Iterator[None]:
    """Every session made from ``source`` uses ``to`` inside the block.

    ``to`` is the test's connection (sessions then join its transaction through savepoints) or, in the live
    server's process, the server's own engine.
    """
    joins = {"join_transaction_mode": "create_savepoint"} if isinstance(to, AsyncConnection) else {}
    if isinstance(source, async_sessionmaker):
        saved = dict(source.kw)
        source.configure(bind=to, **joins)
        try:
            yield
        finally:
            source.kw = saved
        return
    engine = source.sync_engine
    target = to.sync_connection if isinstance(to, AsyncConnection) else to.sync_engine
    assert target is not None

    def use_the_test_bind(session: Session) -> None:
        if session.bind is engine:
            session.bind = target
            if joins:
                session.join_transaction_mode = "create_savepoint"

    def on_transaction(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:
            use_the_test_bind(session)

    def on_execute(state: ORMExecuteState) -> None:
        use_the_test_bind(state.session)

    # Two moments, since a session asks for its bind at either: flush() after beginning its transaction,
    # execute() (queries, get()) before it does.
    listeners = (("after_transaction_create", on_transaction), ("do_orm_execute", on_execute))
    for name, listener in listeners:
        event.listen(Session, name, listener)
    try:
        yield
    finally:
        for name, listener in listeners:
            event.remove(Session, name, listener)
