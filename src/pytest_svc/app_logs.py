"""``app_logs``: the log records the app writes during a test, with their structured fields.

Built on pytest's ``caplog`` (its handler, its level handling, restored after the test), read the way a
service's logs are: each record's ``extra=`` fields beside its message (``app_logs.fields``), and the whole as
text (``app_logs.text``) for :func:`~pytest_svc.assertions.pii.assert_no_pii`.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pytest

from pytest_svc.assertions.pii import record_fields, record_text


@dataclasses.dataclass
class AppLogs:
    """The records of one test, from every logger (DEBUG and up unless :meth:`set_level` says otherwise)."""

    _caplog: pytest.LogCaptureFixture

    @property
    def records(self) -> list[logging.LogRecord]:
        """Every record so far (all phases of the test's call)."""
        return list(self._caplog.records)

    @property
    def text(self) -> str:
        """The records, one line each: level, logger, message and the structured fields as JSON."""
        return "\n".join(record_text(record) for record in self._caplog.records)

    def fields(self, logger: str | None = None, **match: Any) -> list[dict[str, Any]]:
        """The structured fields of each record (of ``logger`` and below, when given) whose fields include ``match``.

        ``app_logs.fields("myservice.requests", route="/documents/{id}")``.
        """
        out = []
        for record in self._caplog.records:
            if logger is not None and record.name != logger and not record.name.startswith(logger + "."):
                continue
            fields = record_fields(record)
            if all(fields.get(key) == value for key, value in match.items()):
                out.append(fields)
        return out

    def set_level(self, level: int | str, logger: str | None = None) -> None:
        """Capture from ``level`` up (of ``logger``, else every logger); restored after the test."""
        self._caplog.set_level(level, logger=logger)

    def clear(self) -> None:
        """Forget the records so far."""
        self._caplog.clear()


@pytest.fixture
def app_logs(caplog: pytest.LogCaptureFixture) -> AppLogs:
    """The log records written during the test, DEBUG and up, with their structured (``extra=``) fields.

    ``app_logs.records``, ``app_logs.text`` (one line per record, fields as JSON), ``app_logs.fields(logger,
    **match)``; ``assert_no_pii(app_logs)`` checks no personal data or secret was logged. Loggers that do not
    propagate to the root logger are not seen (as with ``caplog``).
    """
    caplog.set_level(logging.DEBUG)
    return AppLogs(caplog)
