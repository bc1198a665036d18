"""Security headers on every response, errors and middleware answers included: the OWASP values for a JSON API.

Hand-written rather than the ``secure`` package's ASGI middleware: that one rebuilds its header mapping on every
response, and its presets are a web page's (``default-src 'self'``); this one encodes the headers once, from
:class:`~reference_app.settings.SecurityHeadersSettings`, and adds them in one pass over the response's headers.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reference_app.settings import SecurityHeadersSettings

# Headers that tell an attacker what runs the service (OWASP Secure Headers Project, headers_remove.json).
REMOVED = frozenset({b"server", b"x-powered-by", b"x-aspnet-version", b"x-aspnetmvc-version"})


def security_headers(settings: SecurityHeadersSettings) -> list[tuple[str, str]]:
    """The headers ``settings`` asks for, ``Cache-Control`` last (it only applies when the response sets none)."""
    headers = []
    if settings.hsts_max_age:
        hsts = f"max-age={settings.hsts_max_age}" + ("; includeSubDomains" if settings.hsts_include_subdomains else "")
        headers.append(("Strict-Transport-Security", hsts))
    headers += [
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", settings.content_security_policy),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", settings.referrer_policy),
        ("Permissions-Policy", settings.permissions_policy),
        ("Cross-Origin-Opener-Policy", settings.cross_origin_opener_policy),
        ("Cross-Origin-Resource-Policy", settings.cross_origin_resource_policy),
        ("X-Permitted-Cross-Domain-Policies", "none"),
        ("Cache-Control", settings.cache_control),
    ]
    return headers


class SecurityHeadersMiddleware:
    """Add the security headers to every HTTP response; drop what the app set under the same names, and ``Server``."""

    def __init__(self, app: ASGIApp, settings: SecurityHeadersSettings) -> None:
        self.app = app
        encoded = [
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in security_headers(settings)
        ]
        self._always = [(name, value) for name, value in encoded if name != b"cache-control"]
        self._cache_control = next((value for name, value in encoded if name == b"cache-control"), None)
        self._replaced = REMOVED | {name for name, _ in self._always}
        self.enabled = settings.enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.enabled:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (name, value) for name, value in message.get("headers", ()) if name.lower() not in self._replaced
                ]
                if self._cache_control is not None and not any(name.lower() == b"cache-control" for name, _ in kept):
                    kept.append((b"cache-control", self._cache_control))
                message["headers"] = kept + self._always
            await send(message)

        await self.app(scope, receive, send_with_headers)
