"""The running test's transaction and its sessions: the one registry every helper asks for ``db_session``.

:mod:`pytest_svc.db.fixtures` opens a :class:`TestTransaction` per test and registers it here for the test's
duration; ``db_session`` is made by it and recorded on it. Helpers that cannot take ``db_session`` as a fixture
argument (factories) ask :func:`current_db_session`.

A module-level stack, not a ``ContextVar``: the session comes from a synchronous fixture, outside any event
loop, while pytest-asyncio and anyio run tests and async fixtures in context copies of their own, taken at times
that differ by runner and loop scope; a context variable set here is not reliably seen where the factory runs.
pytest runs one test at a time per process (xdist uses processes), so there is one current test.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session
from sqlalchemy.util.concurrency import in_greenlet

NO_SESSION_MESSAGE = (
    "pytest-svc: {what} needs the test's db_session, and this test has none. Request the db_session fixture in "
    "the test (or a fixture that depends on it, such as the <model> and <model>_factory fixtures of register()), "
    "and make the test async."
)
NOT_IN_GREENLET_MESSAGE = (
    "pytest-svc: {what} cannot write through the test's AsyncSession synchronously. "
    "Use `await {owner}.create_async(...)` (or create_batch_async), or build() for an unsaved object."
)


@dataclasses.dataclass
class TestTransaction:
    """One test's outer transaction on its connection, the sessionmaker that joins it, and its ``db_session``."""

    __test__ = False  # not a test class, whatever pytest's python_classes says

    connection: AsyncConnection
    maker: async_sessionmaker[AsyncSession]
    sessions: list[AsyncSession] = dataclasses.field(default_factory=list)

    def open_session(self) -> AsyncSession:
        """A session in the test's transaction, recorded here: the ``db_session`` helpers find.

        Its queries refresh the objects they return (``populate_existing``): the app commits through sessions of
        its own, and a re-query in the test must show what the app wrote, not the identity map's older copy.
        Attributes stay loaded, so objects the test holds never need a lazy load (no ``MissingGreenlet``).
        """
        session = self.maker(execution_options={"populate_existing": True})
        self.sessions.append(session)
        return session

    async def close_sessions(self) -> None:
        for session in self.sessions:
            await session.close()


_running: list[TestTransaction] = []


@contextlib.contextmanager
def registered(transaction: TestTransaction) -> Iterator[TestTransaction]:
    """Make ``transaction`` the running test's for the duration of the block."""
    _running.append(transaction)
    try:
        yield transaction
    finally:
        _running.remove(transaction)


def has_db_session() -> bool:
    """Whether the running test has set up ``db_session``."""
    return any(transaction.sessions for transaction in _running)


def current_db_session(what: str) -> AsyncSession:
    """The ``db_session`` of the running test; fails naming ``what`` needed it when the test has none."""
    for transaction in reversed(_running):
        if transaction.sessions:
            return transaction.sessions[-1]
    raise RuntimeError(NO_SESSION_MESSAGE.format(what=what))


def current_sync_session(what: str, owner: str) -> Session:
    """The synchronous face of ``db_session``, for code that ``db_session.run_sync()`` runs (factory-boy).

    Fails naming ``what`` when called outside ``run_sync``, where the session cannot do I/O synchronously.
    """
    session = current_db_session(what)
    if not in_greenlet():
        raise RuntimeError(NOT_IN_GREENLET_MESSAGE.format(what=what, owner=owner))
    return session.sync_session
