"""The mismatch report every assertion helper fails with: one line per wrong field, expected vs actual, and the fix.

Private to :mod:`pytest_svc.assertions`: the helpers in its modules share these pieces; users see only the
messages they build.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Final, Literal


class _Unchecked(enum.Enum):
    UNCHECKED = "UNCHECKED"

    def __repr__(self) -> str:
        return "<unchecked>"


# The default of an expectation the caller did not give: None is a value some fields are expected to have.
UNCHECKED: Final = _Unchecked.UNCHECKED
Unchecked = Literal[_Unchecked.UNCHECKED]

# A field the object does not have (shown as "(missing)").
MISSING: Final = object()

NOT_JSON_MESSAGE = "{helper}: the response body is not JSON: {text!r}"


def field_of(obj: Any, name: str) -> Any:
    """``obj[name]`` for a mapping, ``obj.name`` otherwise; :data:`MISSING` when it has none."""
    if isinstance(obj, Mapping):
        return obj.get(name, MISSING)
    return getattr(obj, name, MISSING)


def describe(obj: Any) -> str:
    return "the mapping" if isinstance(obj, Mapping) else type(obj).__name__


class Text(str):
    """An expectation described in words: shown without quotes."""

    def __repr__(self) -> str:
        return str(self)


def mismatch(name: str, expected: Any, actual: Any, fix: str) -> str:
    """One entry of the report: the field, what was expected, what was found, and how to fix it."""
    shown = "(missing)" if actual is MISSING else repr(actual)
    return f"{name}\n    expected: {expected!r}\n    actual:   {shown}\n    fix: {fix}"


def fail(helper: str, obj: Any, problems: list[str], context: str = "") -> None:
    """Raise the helper's ``AssertionError`` listing ``problems``; nothing when there are none."""
    __tracebackhide__ = True
    if problems:
        lines = "".join(f"\n- {problem}" for problem in problems)
        raise AssertionError(f"{helper}: {describe(obj)} does not match{lines}{context}")


def json_body(helper: str, response_or_body: Any) -> Any:
    """A response's decoded JSON (a mapping or other value is returned as it is)."""
    __tracebackhide__ = True
    if isinstance(response_or_body, Mapping) or not callable(getattr(response_or_body, "json", None)):
        return response_or_body
    try:
        return response_or_body.json()
    except ValueError:
        text = str(getattr(response_or_body, "text", ""))[:300]
        raise AssertionError(NOT_JSON_MESSAGE.format(helper=helper, text=text)) from None
