"""``settings_override``: fields of the app's settings changed in place for one test, validated, restored after.

The settings object is the one ``svc_settings`` names, or the one its function returns (an ``lru_cache``d
``get_settings()``, as FastAPI's docs recommend). Fields are changed on that object, never on a copy, so every
holder sees the new value: ``app.state.settings``, ``Depends(get_settings)``, a middleware that kept
``settings.rate_limit``. Each value is validated as pydantic validates an assignment (the field's type, its
constraints and validators); the originals are written back as they were, unvalidated. pydantic is imported on
first use, as the plugin's other heavy dependencies are.
"""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from pytest_svc.config import missing_setting, svc_config
from pytest_svc.settings import SettingError, a_or_an, setting_problem

if TYPE_CHECKING:
    from pydantic import BaseModel

PREFIX = "pytest-svc: settings_override: "
UNKNOWN_FIELD = "{path}: {model} has no field {name!r}{hint}. Its fields: {fields}."
NESTED_HINT = " (a nested field? {nested}__{rest}=... or {{{dotted!r}: ...}})"
CLOSE_HINT = " (did you mean {close!r}?)"
NOT_A_MODEL = (
    "{path}: {parent} is {kind}, not a settings model, so it has no fields of its own; "
    "give {parent} a whole new value instead."
)
INVALID_VALUE = "{path}={value} is not valid for {model}.{name}:\n{errors}"
FROZEN_MODEL = (
    "cannot change {path}: {model} is frozen (model_config frozen=True), and settings_override changes the settings "
    "object in place, so that every holder sees it. Drop frozen=True from {model}, or build the app for the test "
    "from settings made for it (create_app(AppSettings(...)))."
)
FROZEN_FIELD = (
    "cannot change {path}: {model}.{name} is frozen (Field(frozen=True)), and settings_override changes the "
    "settings object in place. Drop frozen=True from the field, or build the app for the test from settings made "
    "for it (create_app(AppSettings(...)))."
)
NOT_SETTINGS = "is {spec!r}, {kind}; it must name the settings object (a pydantic model) or a function returning it."
RETURNS_NOT_SETTINGS = "is {spec!r}, whose call returned {kind}, not the settings object (a pydantic model)."
CALL_FAILED = "is {spec!r}; calling it failed: {error}"
NOT_CACHED = (
    "is {spec!r}, which returns a new settings object on every call, so an override would reach nobody. Cache it "
    "as FastAPI's docs do (@functools.lru_cache on get_settings), or name the object itself."
)


def _fail(message: str) -> NoReturn:
    __tracebackhide__ = True
    pytest.fail(PREFIX + message, pytrace=False)


class SettingsOverride:
    """Changes fields of one pydantic settings object in place, validated, until :meth:`undo`.

    ``override(rate_limit__requests=1)`` (nested fields joined by ``__``, as pydantic-settings' environment
    names) or ``override({"rate_limit.requests": 1})`` (joined by dots); a dict given for a nested model sets
    its fields one by one. Calls stack: :meth:`undo` brings back the values from before the first call.
    """

    def __init__(self, settings: BaseModel) -> None:
        self._settings = settings
        # (id(owner), field) -> (owner, field, original value); id(owner) -> (owner, original fields set).
        self._originals: dict[tuple[int, str], tuple[BaseModel, str, Any]] = {}
        self._fields_set: dict[int, tuple[BaseModel, set[str]]] = {}

    @property
    def settings(self) -> BaseModel:
        """The settings object the overrides change."""
        return self._settings

    def __call__(self, values: Mapping[str, Any] | None = None, /, **fields: Any) -> Any:
        """Set each field to its value (validated) on the settings object, and return the settings object."""
        __tracebackhide__ = True
        pending = [(tuple(key.split(".")), value) for key, value in (values or {}).items()]
        pending += [(tuple(key.split("__")), value) for key, value in fields.items()]
        while pending:
            path, value = pending.pop(0)
            owner, name = self._locate(path)
            if isinstance(value, Mapping) and _is_model(getattr(owner, name)):
                pending[:0] = [((*path, *key.split(".")), item) for key, item in value.items()]
            else:
                self._set(owner, name, value, path)
        return self._settings

    def undo(self) -> None:
        """Put back every field changed since the first call, as it was; the overrides start afresh after it."""
        for owner, name, value in reversed(self._originals.values()):
            owner.__dict__[name] = value
        for owner, fields_set in self._fields_set.values():
            object.__setattr__(owner, "__pydantic_fields_set__", fields_set)
        self._originals.clear()
        self._fields_set.clear()

    def _locate(self, path: tuple[str, ...]) -> tuple[BaseModel, str]:
        __tracebackhide__ = True
        owner: Any = self._settings
        dotted = ".".join(path)
        for depth, name in enumerate(path):
            if not _is_model(owner):
                parent, kind = ".".join(path[:depth]), a_or_an(type(owner).__name__)
                _fail(NOT_A_MODEL.format(path=dotted, parent=parent, kind=kind))
            fields = list(type(owner).model_fields)
            if name not in fields:
                model = type(owner).__name__
                hint = _hint(name, fields, path[:depth])
                _fail(UNKNOWN_FIELD.format(path=dotted, model=model, name=name, hint=hint, fields=", ".join(fields)))
            if depth == len(path) - 1:
                return owner, name
            owner = getattr(owner, name)
        raise AssertionError("unreachable: a path has at least one part")

    def _set(self, owner: BaseModel, name: str, value: Any, path: tuple[str, ...]) -> None:
        __tracebackhide__ = True
        from pydantic import ValidationError

        model = type(owner)
        dotted = ".".join(path)
        if model.model_config.get("frozen"):
            _fail(FROZEN_MODEL.format(path=dotted, model=model.__name__))
        if model.model_fields[name].frozen:
            _fail(FROZEN_FIELD.format(path=dotted, model=model.__name__, name=name))
        self._originals.setdefault((id(owner), name), (owner, name, owner.__dict__[name]))
        self._fields_set.setdefault(id(owner), (owner, set(owner.model_fields_set)))
        try:
            # What `validate_assignment=True` runs: the field's type and constraints, then the model's validators.
            model.__pydantic_validator__.validate_assignment(owner, name, value)
            return
        except ValidationError as exc:
            errors = "\n".join(
                f"  {'.'.join(map(str, (*path[:-1], *error['loc'])))}: {error['msg']}" for error in exc.errors()
            )
        # Outside the handler: the failure shows this message alone, not pydantic's error chained before it.
        shown = reprlib.repr(value)
        _fail(INVALID_VALUE.format(path=dotted, value=shown, model=model.__name__, name=name, errors=errors))


def _is_model(value: Any) -> bool:
    from pydantic import BaseModel

    return isinstance(value, BaseModel)


def _hint(name: str, fields: list[str], parents: tuple[str, ...]) -> str:
    """Why ``name`` may not be a field: a nested field spelled with one underscore, or a typo of one."""
    for field in fields:
        if name.startswith(field + "_"):
            rest = name.removeprefix(field + "_")
            nested = "__".join((*parents, field))
            return NESTED_HINT.format(nested=nested, rest=rest, dotted=".".join((*parents, field, rest)))
    close = difflib.get_close_matches(name, fields, n=1)
    return CLOSE_HINT.format(close=close[0]) if close else ""


def _settings_object(config: pytest.Config) -> BaseModel:
    """The object ``svc_settings`` names, or the one its function returns; raises :class:`SettingError`.

    The plugin's report hook shows a :class:`SettingError` as its message alone, as for every setting.
    """
    svc = svc_config(config)
    target = svc.settings_target
    if target is None:
        raise SettingError(missing_setting("settings", "settings_override"))
    spec = svc.raw.get("settings")
    if _is_model(target):
        return target  # type: ignore[no-any-return]
    if not callable(target):
        kind = a_or_an(type(target).__name__)
        raise SettingError(setting_problem("settings", NOT_SETTINGS.format(spec=spec, kind=kind)))
    try:
        # Called twice: a function that builds new settings on every call leaves nothing for an override to change.
        first, second = target(), target()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise SettingError(setting_problem("settings", CALL_FAILED.format(spec=spec, error=error))) from None
    if not _is_model(first):
        kind = a_or_an(type(first).__name__)
        raise SettingError(setting_problem("settings", RETURNS_NOT_SETTINGS.format(spec=spec, kind=kind)))
    if first is not second:
        raise SettingError(setting_problem("settings", NOT_CACHED.format(spec=spec), show_example=False))
    return first  # type: ignore[no-any-return]


@pytest.fixture
def settings_override(pytestconfig: pytest.Config) -> Iterator[SettingsOverride]:
    """Override fields of the app's settings for this test: ``settings_override(rate_limit__requests=1)``.

    Changes the fields in place on the settings object ``svc_settings`` names (or its ``get_settings()``
    returns), so the app sees them wherever it reads them: ``app.state.settings``, ``Depends(get_settings)``, a
    cached ``get_settings()``. Nested fields are joined by ``__``, or by dots in a dict:
    ``settings_override({"rate_limit.requests": 1})``. Each value is validated against its field; an unknown
    field, a bad value or a frozen model fails the test naming the field. Calls stack; every field is restored
    after the test, passed or failed. Values the app copied out of its settings before the call keep the copy.
    """
    override = SettingsOverride(_settings_object(pytestconfig))
    try:
        yield override
    finally:
        override.undo()
