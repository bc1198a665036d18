"""Migrations as the schema source: ``alembic upgrade head`` from ``svc_alembic_ini``, on the plugin's connection.

Alembic's Python API runs the project's own ``env.py``, handed the test database's connection through
``config.attributes["connection"]`` (Alembic's connection-sharing recipe) and, for an ``env.py`` that builds
its own engine from the config, ``sqlalchemy.url`` set to the test database: never the database the project's
settings name. Afterwards the test database must be at the scripts' heads, or the build fails: an ``env.py``
that migrated some other database is caught, not trusted.

The revision a database is at is Alembic's own ``alembic_version`` table; ``--svc-reuse-db`` compares it with
the scripts' heads (:meth:`Migrations.is_current`) and rebuilds the database when they differ.
"""

from __future__ import annotations

import dataclasses
import inspect
import traceback
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Connection

from pytest_svc.db.lifecycle import DatabaseError
from pytest_svc.settings import setting_problem

UPGRADE_FAILED = "({ini}): `alembic upgrade head` failed on the test database {database}:\n  {error}{where}"
SCRIPTS_UNREADABLE = "({ini}): Alembic cannot read its migration scripts: {error}"
NOT_MIGRATED = (
    "({ini}): `alembic upgrade head` ran, but the test database {database} is at {current}, not at {heads}: "
    "env.py migrated another database."
)
ENV_PY_HINT = (
    "\n  env.py must run the migrations on config.attributes['connection'] when it is set (Alembic's "
    "connection-sharing recipe):\n"
    '      connection = config.attributes.get("connection")\n'
    "      if connection is not None: do_run_migrations(connection)\n"
    "      else: asyncio.run(run_async_migrations())"
)
OWN_LOOP_ERROR = "cannot be called from a running event loop"


class MigrationError(DatabaseError):
    """The migrations could not build the test database; the message names ``svc_alembic_ini`` and the error."""


def _where(exc: BaseException, scripts: Path) -> str:
    # The deepest frame in the project's migration scripts: the line of the revision that failed.
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).is_relative_to(scripts)]
    if not frames:
        return ""
    frame = frames[-1]
    return f"\n  at {frame.filename}:{frame.lineno}: {frame.line}"


def _close_unstarted_coroutines(exc: BaseException) -> None:
    # env.py made the coroutine for its own asyncio.run(), which refused to start it: closed here, it cannot
    # warn "never awaited" later, in whichever test the garbage collector happens to run.
    for frame, _line in traceback.walk_tb(exc.__traceback__):
        for value in frame.f_locals.values():
            if inspect.iscoroutine(value) and inspect.getcoroutinestate(value) == inspect.CORO_CREATED:
                value.close()


@dataclasses.dataclass(frozen=True)
class Migrations:
    """The project's Alembic migrations, named by the ``alembic.ini`` at ``ini``."""

    ini: Path

    def _config(self, connection: Connection | None = None, url: URL | None = None) -> Config:
        config = Config(str(self.ini))
        # The Alembic cookbook's switch: an env.py that honours it keeps pytest's logging setup.
        config.attributes["configure_logger"] = False
        if connection is not None:
            config.attributes["connection"] = connection
        if url is not None:
            # ConfigParser interpolation: a literal % in a password must be doubled.
            config.set_main_option("sqlalchemy.url", url.render_as_string(hide_password=False).replace("%", "%%"))
        return config

    def _scripts(self) -> ScriptDirectory:
        try:
            return ScriptDirectory.from_config(self._config())
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            problem = SCRIPTS_UNREADABLE.format(ini=self.ini, error=error)
            raise MigrationError(setting_problem("alembic_ini", problem, show_example=False)) from None

    def heads(self) -> frozenset[str]:
        """The scripts' head revisions (one, unless the history has unmerged branches)."""
        return frozenset(self._scripts().get_heads())

    def is_current(self, connection: Connection) -> bool:
        """Whether the database behind ``connection`` is at the scripts' heads (False: none recorded)."""
        return frozenset(MigrationContext.configure(connection).get_current_heads()) == self.heads()

    def upgrade(self, connection: Connection, url: URL) -> None:
        """Run ``alembic upgrade head`` on ``connection`` (the test database at ``url``), inside its transaction."""
        heads = self.heads()
        database = url.database or "(in memory)"
        try:
            command.upgrade(self._config(connection, url), "head")
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            hint = ""
            if OWN_LOOP_ERROR in str(exc):
                _close_unstarted_coroutines(exc)
                hint = ENV_PY_HINT
            where = _where(exc, Path(self._scripts().dir).resolve())
            problem = UPGRADE_FAILED.format(ini=self.ini, database=database, error=error, where=where) + hint
            raise MigrationError(setting_problem("alembic_ini", problem, show_example=False)) from None
        current = frozenset(MigrationContext.configure(connection).get_current_heads())
        if current != heads:
            shown = ", ".join(sorted(current)) or "no revision"
            problem = NOT_MIGRATED.format(
                ini=self.ini, database=database, current=shown, heads=", ".join(sorted(heads))
            )
            raise MigrationError(setting_problem("alembic_ini", problem + ENV_PY_HINT, show_example=False))
