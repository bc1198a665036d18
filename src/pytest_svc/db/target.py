"""Which database a run tests against: the ``db_url`` setting checked, and the test database derived from it.

The plugin never writes to the database named in ``--svc-db-url``: it derives ``test_<name>`` (and
``test_<name>_gwN`` under pytest-xdist) from it; :mod:`pytest_svc.db.lifecycle` creates and drops that. In memory,
the test database is a named shared-cache memory database, new for every run and worker
(``file:test_memory_gw0_<random>?mode=memory&cache=shared``): every connection the plugin opens reaches the same
one, and :mod:`pytest_svc.db.engines` keeps it alive for the session whatever happens to any one connection.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pytest_svc.settings import SettingError, setting_problem

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

DatabaseKind = Literal["sqlite-memory", "sqlite-file", "postgresql"]

DEFAULT_DB_URL = "sqlite+aiosqlite://"
# What describe() says of DEFAULT_DB_URL, for the header of a run that never parses it (SQLAlchemy unimported).
DEFAULT_DB_DESCRIPTION = "sqlite+aiosqlite (memory)"
POSTGRES_NAME_LIMIT = 63
# A named memory database with SQLite's shared cache: connections opened with this name share one database.
SHARED_MEMORY_QUERY = {"mode": "memory", "cache": "shared", "uri": "true"}

NOT_A_URL = "is {raw!r}, which is not a database URL."
NO_ASYNCPG = "names asyncpg, which is not installed: pip install 'pytest-svc[postgres]'."
NO_DATABASE_NAME = "is {url!r}, with no database name; the plugin creates test_<name> from it."
NAME_TOO_LONG = "gives {name!r}{purpose}, longer than PostgreSQL's 63."
UNSUPPORTED_DRIVER = "uses driver {driver!r}; pytest-svc supports sqlite+aiosqlite and postgresql+asyncpg.{fix}"
DRIVER_HINTS = {
    "sqlite": "sqlite+aiosqlite://",
    "postgresql": "postgresql+asyncpg://",
    "postgres": "postgresql+asyncpg://",
    "postgresql+psycopg2": "postgresql+asyncpg://",
    "postgresql+psycopg": "postgresql+asyncpg://",
}


@dataclasses.dataclass(frozen=True)
class DatabaseTarget:
    """The database a run tests against: the user's URL and the test database derived from it."""

    url: URL
    kind: DatabaseKind
    test_url: URL

    @property
    def test_name(self) -> str:
        return self.test_url.database or ":memory:"

    def describe(self) -> str:
        """One line for the pytest header."""
        if self.kind == "sqlite-memory":
            return f"{self.url.drivername} (memory)"
        return self.test_url.render_as_string(hide_password=True)

    def for_live_server(self, directory: Path) -> DatabaseTarget:
        """The live server's own database: the test database's name plus ``_live``, in a file for SQLite.

        A server in another process cannot share an in-memory database, and its commits must not reach the
        tests' rolled-back transactions, so it gets a database of its own, made and dropped the same way.
        """
        if self.kind == "sqlite-memory":
            return DatabaseTarget(self.url, "sqlite-file", self.url.set(database=str(directory / "test_live.db")))
        if self.kind == "sqlite-file":
            path = Path(self.test_name)
            return dataclasses.replace(self, test_url=self.url.set(database=str(path.with_stem(f"{path.stem}_live"))))
        name = f"{self.test_name}_live"
        if len(name) > POSTGRES_NAME_LIMIT:
            raise SettingError(setting_problem("db_url", NAME_TOO_LONG.format(name=name, purpose=" for live_server")))
        return dataclasses.replace(self, test_url=self.url.set(database=name))

    @classmethod
    def parse(cls, raw: str | None, worker: str | None) -> DatabaseTarget:
        """Check a ``db_url`` setting value and derive the test database from it."""
        from sqlalchemy import make_url  # here: a run that needs no database never imports SQLAlchemy
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(raw or DEFAULT_DB_URL)
        except (ArgumentError, ValueError):  # ValueError: a port that is not a number
            raise SettingError(setting_problem("db_url", NOT_A_URL.format(raw=raw))) from None
        suffix = f"_{worker}" if worker else ""
        if url.drivername == "sqlite+aiosqlite":
            database = url.database or ""
            if database in ("", ":memory:") or url.query.get("mode") == "memory":
                return cls(url, "sqlite-memory", _shared_memory_url(url, worker))
            path = Path(database)
            test_path = path.with_name(f"test_{path.stem}{suffix}{path.suffix}")
            return cls(url, "sqlite-file", url.set(database=str(test_path)))
        if url.drivername == "postgresql+asyncpg":
            if importlib.util.find_spec("asyncpg") is None:
                raise SettingError(setting_problem("db_url", NO_ASYNCPG, show_example=False))
            if not url.database:
                shown = url.render_as_string(hide_password=True)
                raise SettingError(setting_problem("db_url", NO_DATABASE_NAME.format(url=shown)))
            test_name = f"test_{url.database}{suffix}"
            if len(test_name) > POSTGRES_NAME_LIMIT:
                raise SettingError(setting_problem("db_url", NAME_TOO_LONG.format(name=test_name, purpose="")))
            return cls(url, "postgresql", url.set(database=test_name))
        hint = DRIVER_HINTS.get(url.drivername)
        fix = f" Use {hint}..." if hint else ""
        raise SettingError(setting_problem("db_url", UNSUPPORTED_DRIVER.format(driver=url.drivername, fix=fix)))


def _shared_memory_url(url: URL, worker: str | None) -> URL:
    # Random, not the process id: pytester runs many inner sessions in one process, and each needs its own.
    name = f"test_memory_{worker}_" if worker else "test_memory_"
    return url.set(database=f"file:{name}{uuid.uuid4().hex[:12]}").update_query_dict(SHARED_MEMORY_QUERY)
