"""Where the app keeps a resource: a module attribute (``"module:attr"``) or an attribute of the app itself
(``"app.state.NAME"``, ``"app.NAME"``), read and replaced for a while.

``svc_db_bind`` and ``svc_redis_client`` name such places. Light on purpose (the session start parses them) and
pytest-free (the live server's child resolves them too).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import inspect
from collections.abc import Iterator
from typing import Any

from pytest_svc.settings import SettingError, check_object_spec, import_object, setting_problem

APP_PREFIX = "app."
NOT_A_PLACE = 'is {spec!r}; it must be "module:attribute" or an attribute of the app such as "app.state.NAME".'
NOT_ON_APP = "is {spec!r}, but the app has no {path} once its lifespan has started (the lifespan sets it, or the app)."


def is_factory(target: Any) -> bool:
    """Whether a setting names a factory to call (a function callable without arguments) rather than the object."""
    if not (inspect.isfunction(target) or inspect.ismethod(target)):
        return False
    parameters = inspect.signature(target).parameters.values()
    return not any(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters)


@dataclasses.dataclass(frozen=True)
class Place:
    """Where the app keeps a resource, as setting ``setting`` names it: ``"module:attr"`` or ``"app.state.NAME"``.

    A module attribute can be resolved as soon as a test needs it; an attribute of the app only once the app's
    lifespan has started, since the lifespan is what usually makes it.
    """

    setting: str
    spec: str

    @classmethod
    def parse(cls, setting: str, spec: str) -> Place:
        """Check the value, running none of the app's code: a malformed one is a usage error at session start."""
        if spec.startswith(APP_PREFIX):
            names = spec.split(".")[1:]
        else:
            module, sep, attr = spec.partition(":")
            names = [*module.split("."), *attr.split(".")] if sep and module and attr else []
        if not names or not all(name.isidentifier() for name in names):
            raise SettingError(setting_problem(setting, NOT_A_PLACE.format(spec=spec)))
        if not spec.startswith(APP_PREFIX):
            check_object_spec(setting, spec)  # as every "module:attr" setting: its package must be findable
        return cls(setting, spec)

    @property
    def on_app(self) -> bool:
        """Whether the place is an attribute of the app (resolved after its lifespan started)."""
        return self.spec.startswith(APP_PREFIX)

    def _owner_and_name(self, app: Any) -> tuple[Any, str]:
        if self.on_app:
            *path, name = self.spec.split(".")[1:]
            owner: Any = app
            for part in path:
                owner = getattr(owner, part, None)
            if owner is None or not hasattr(owner, name):
                missing = self.spec.removeprefix(APP_PREFIX)
                raise SettingError(setting_problem(self.setting, NOT_ON_APP.format(spec=self.spec, path=missing)))
            return owner, name
        import_object(self.setting, self.spec)  # imports it; a missing module or attribute names the setting
        module, _, attr = self.spec.partition(":")
        *path, name = attr.split(".")
        owner = importlib.import_module(module)
        for part in path:
            owner = getattr(owner, part)
        return owner, name

    def read(self, app: Any = None) -> Any:
        """The object at the place."""
        owner, name = self._owner_and_name(app)
        return getattr(owner, name)

    @contextlib.contextmanager
    def replaced(self, value: Any, app: Any = None) -> Iterator[Any]:
        """Put ``value`` at the place for the block (yielding what was there); the original comes back after it."""
        owner, name = self._owner_and_name(app)
        original = getattr(owner, name)
        setattr(owner, name, value)
        try:
            yield original
        finally:
            setattr(owner, name, original)
