"""``assert_no_pii``: no personal data or secret in log output (a string, log records, or ``app_logs``).

The patterns are the test's own oracle, written apart from any app's masking code: emails, bearer tokens and
JWTs, card numbers (Luhn-checked), phone numbers in international form, and values of fields named like
secrets (``password``, ``secret``, ``token``, ``api_key``, ``authorization``). Regular expressions by hand:
no well-kept library detects these in free text without a language model (Presidio needs spaCy), and a test
wants the same answer every run. The surest check is the values the test itself put in a request: pass them as
``values=``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

from pytest_svc.assertions._report import Text, fail, mismatch

# Every character RFC 5322 allows in an unquoted local part.
_EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_BEARER = re.compile(r"(?i)\bbearer\s+(?!\*)[A-Za-z0-9._~+/=-]{8,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
# Not inside a longer token: a UUID's or a hash's digit runs are no card number.
_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
_PHONE = re.compile(r"(?<![\w+])\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){1,4}(?!\d)")
_SECRET_FIELD = re.compile(
    r"""(?ix)
    ["']?(?P<name>[a-z0-9_-]*(?:password|passwd|passphrase|secret|token|api[_-]?key|authorization)[a-z0-9_-]*)["']?
    \s*[:=]\s*
    ["']?(?:(?:bearer|basic|token)\s+)?(?P<value>[^\s"',}\]]{3,})"""
)
# What masking leaves: asterisks, [masked], <redacted>, ... A secret field showing one of these is fine.
_MASKED_VALUE = re.compile(r"(?i)^(?:\*+|\[?(?:masked|redacted|filtered|hidden)\]?|<(?:masked|redacted)>|null|none)$")
_STANDARD_RECORD_FIELDS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}

FIX = "mask it before it is logged (the app's log filter or formatter), or log an ID instead of the value"


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields a record carries beyond the standard ones (what ``extra=`` gave it)."""
    return {key: value for key, value in record.__dict__.items() if key not in _STANDARD_RECORD_FIELDS}


def record_text(record: logging.LogRecord) -> str:
    """One line for a record: level, logger, message, and its structured fields as JSON."""
    fields = record_fields(record)
    text = f"{record.levelname} {record.name}: {record.getMessage()}"
    return f"{text} {json.dumps(fields, default=str, sort_keys=True)}" if fields else text


def _texts(logs: Any) -> list[tuple[str, str]]:
    """(where, text) pairs from a string, records, or an object with ``records`` (``app_logs``, ``caplog``)."""
    if isinstance(logs, str):
        return [("the text", logs)]
    if isinstance(logs, logging.LogRecord):
        logs = [logs]
    records = getattr(logs, "records", logs)
    if not isinstance(records, Iterable):
        raise TypeError(f"assert_no_pii: expected a string, log records or app_logs, got {type(logs).__name__}")
    out = []
    for record in records:
        if isinstance(record, logging.LogRecord):
            out.append((f"record {record.name}:{record.lineno}", record_text(record)))
        else:
            out.append(("a line", str(record)))
    return out


def _findings(text: str, values: Sequence[str]) -> list[tuple[str, str]]:
    found = [("a value the test sent", value) for value in values if value and value in text]
    found += [("an email address", match.group()) for match in _EMAIL.finditer(text)]
    found += [("a bearer token", match.group()) for match in _BEARER.finditer(text)]
    found += [("a JWT", match.group()) for match in _JWT.finditer(text)]
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if _luhn(digits):
            found.append(("a card number", match.group()))
    found += [("a phone number", match.group()) for match in _PHONE.finditer(text)]
    for match in _SECRET_FIELD.finditer(text):
        if not _MASKED_VALUE.match(match.group("value")):
            found.append((f"a secret ({match.group('name')})", match.group()))
    return found


def assert_no_pii(logs: Any, *, values: Sequence[str] = ()) -> None:
    """Assert no personal data or secret shows in ``logs``: ``assert_no_pii(app_logs, values=[email, password])``.

    ``logs`` is a string, log records, or anything with ``records`` (the ``app_logs`` fixture, ``caplog``);
    records are read with their structured fields (``extra=``). Finds emails, bearer tokens and JWTs, card
    numbers, international phone numbers, values of fields named like secrets (``password=...``,
    ``"api_key": "..."``) unless masked (``***``, ``[masked]``), and each of ``values`` (what the test sent).
    Fails listing each finding and where it is.
    """
    __tracebackhide__ = True
    problems = []
    for where, text in _texts(logs):
        for kind, shown in _findings(text, values):
            problems.append(mismatch(f"{kind}, in {where}", Text("nothing personal or secret"), shown, FIX))
    fail("assert_no_pii", logs, problems)
