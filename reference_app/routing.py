"""A request's route template, for logs, metrics and a 405's ``Allow``: ``/documents/{document_id}``, never the path."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from starlette.routing import compile_path
from starlette.types import Scope

NO_ROUTE = "(no route)"


class RouteTemplates:
    """Name a request's route: the one the router matched, else (an answer middleware gave before routing, a 429
    or a 413) the first of the app's path templates that matches the path.

    ``templates`` gives the app's path templates (its OpenAPI paths): FastAPI's included routers do not list
    their routes on the app (0.165 includes them lazily). Compiled on first need, static paths first.
    """

    def __init__(self, templates: Callable[[], Iterable[str]] = tuple) -> None:
        self._templates = templates
        self._compiled: list[tuple[re.Pattern[str], str]] | None = None

    def of(self, scope: Scope) -> str:
        """The request's route template, or ``(no route)``."""
        path = getattr(scope.get("route"), "path", None)
        if path is not None:
            return str(path)
        return self.template_for(scope["path"]) or NO_ROUTE

    def template_for(self, path: str) -> str | None:
        """The first template (static ones first, as routing tries them) that ``path`` matches, or None."""
        if self._compiled is None:
            ordered = sorted(self._templates(), key=lambda template: (template.count("{"), template))
            self._compiled = [(compile_path(template)[0], template) for template in ordered]
        return next((template for regex, template in self._compiled if regex.match(path)), None)
