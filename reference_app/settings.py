"""Configuration read from the environment (``APP_*``, nested with ``__``)."""

from __future__ import annotations

import secrets
from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, Field, PositiveInt, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class DatabaseSettings(BaseModel):
    """Where the database lives; ``url`` is any SQLAlchemy async URL."""

    url: str = "sqlite+aiosqlite:///./reference_app.db"
    echo: bool = False


class RedisSettings(BaseModel):
    """Where Redis lives."""

    url: str = "redis://127.0.0.1:6379/0"


class CacheSettings(BaseModel):
    """The Redis cache (``APP_CACHE__DEFAULT_TTL=60``...); ``reference_app.cache`` reads it."""

    enabled: bool = True
    default_ttl: Annotated[int, Field(gt=0)] = 300
    # Entries live at "<namespace>:<key>", tag bookkeeping beside them; the namespace keeps pattern invalidation
    # away from everything else in the same Redis database.
    namespace: Annotated[str, Field(min_length=1, pattern=r"^[^*?\[\]]+$")] = "cache"
    # get_with_refresh reloads an entry in the background once this fraction of its TTL has passed.
    refresh_ahead: Annotated[float, Field(gt=0, lt=1)] = 0.8
    write_behind_interval: Annotated[float, Field(gt=0)] = 1.0
    # A Redis command slower than this counts as an outage: the request goes on without the cache.
    command_timeout: Annotated[float, Field(gt=0)] = 1.0


class RateLimitSettings(BaseModel):
    """Rate limiting (``APP_RATE_LIMIT__REQUESTS=100``...); ``reference_app.rate_limit`` reads it.

    Each caller (API key, credentials, else client IP) has a token bucket of ``requests`` tokens, refilled evenly
    over ``window_seconds``. When Redis is down, ``fail_open`` lets requests through; false refuses them with 503
    (both logged and counted). Paths in ``exempt_paths``, and below them, are not limited: health probes and the
    metrics scrape must answer even when their caller's address is busy. ``enabled=false`` also switches off
    ``rate_limit()`` routes.
    """

    enabled: bool = True
    requests: PositiveInt = 100
    window_seconds: PositiveInt = 60
    fail_open: bool = True
    exempt_paths: list[str] = ["/health", "/metrics"]


class RequestIdSettings(BaseModel):
    """Request and correlation IDs (``APP_REQUEST_ID__HEADER=X-Request-ID``...); ``reference_app.middleware`` reads it.

    An incoming ``header`` that matches ``pattern`` is kept (a proxy's or the caller's own ID), anything else
    replaced by a new UUIDv7; ``accept_incoming=false`` always makes a new one. The correlation ID, kept across
    the services one call passes through, is the incoming ``correlation_header`` when it matches ``pattern``, else
    the request ID. Both are echoed on every response and handed to outbound calls.
    """

    header: str = "X-Request-ID"
    correlation_header: str = "X-Correlation-ID"
    accept_incoming: bool = True
    # UUIDs, nginx's $request_id, W3C trace IDs: 8 to 128 characters, none that could forge a log line.
    pattern: str = r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$"


# The OWASP Secure Headers Project's recommended Permissions-Policy (ci/headers_add.json): every feature off,
# but synchronous XHR from the page itself.
OWASP_PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), cross-origin-isolated=(), display-capture=(), encrypted-media=(), "
    "fullscreen=(), geolocation=(), gyroscope=(), keyboard-map=(), magnetometer=(), microphone=(), midi=(), "
    "payment=(), picture-in-picture=(), publickey-credentials-get=(), screen-wake-lock=(), sync-xhr=(self), "
    "usb=(), web-share=(), xr-spatial-tracking=(), clipboard-read=(), clipboard-write=(), gamepad=(), hid=(), "
    "idle-detection=(), interest-cohort=(), serial=(), unload=()"
)


class SecurityHeadersSettings(BaseModel):
    """Security headers on every response (``APP_SECURITY_HEADERS__HSTS_MAX_AGE=...``), OWASP's values for a JSON API.

    ``cache_control`` applies to responses that set none of their own. ``hsts_max_age=0`` leaves HSTS out (a
    service reached over plain HTTP only).
    """

    enabled: bool = True
    hsts_max_age: Annotated[int, Field(ge=0)] = 31_536_000
    hsts_include_subdomains: bool = True
    content_security_policy: str = "default-src 'none'; frame-ancestors 'none'"
    referrer_policy: str = "no-referrer"
    permissions_policy: str = OWASP_PERMISSIONS_POLICY
    cross_origin_opener_policy: str = "same-origin"
    cross_origin_resource_policy: str = "same-origin"
    cache_control: str = "no-store, max-age=0"


class CorsSettings(BaseModel):
    """Cross-origin requests from browsers (``APP_CORS__ALLOW_ORIGINS='["https://app.example.com"]'``...).

    No origin is allowed until ``allow_origins`` names some (Starlette's ``CORSMiddleware`` is then added). The
    exposed headers let a page read the request ID, the rate limit and ``Retry-After``.
    """

    allow_origins: list[str] = []
    allow_methods: list[str] = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    allow_headers: list[str] = ["Authorization", "Content-Type", "X-API-Key", "X-Request-ID", "X-Correlation-ID"]
    expose_headers: list[str] = [
        "X-Request-ID",
        "X-Correlation-ID",
        "RateLimit",
        "RateLimit-Policy",
        "Retry-After",
        "ETag",
    ]
    allow_credentials: bool = False
    max_age: Annotated[int, Field(ge=0)] = 600


class TrustedHostSettings(BaseModel):
    """The ``Host`` names the service answers to (``APP_TRUSTED_HOSTS__ALLOWED_HOSTS='["api.example.com"]'``).

    ``["*"]`` (the default) answers any; otherwise Starlette's ``TrustedHostMiddleware`` refuses others with 400.
    """

    allowed_hosts: list[str] = ["*"]


class LoggingSettings(BaseModel):
    """The request log (``APP_LOGGING__MAX_BODY_BYTES=...``): one record per request at INFO, and at DEBUG its
    headers and the first ``max_body_bytes`` of its body, masked (``reference_app.observability``)."""

    max_body_bytes: Annotated[int, Field(ge=0)] = 4096


class AppSettings(BaseSettings):
    """All settings of the service, e.g. ``APP_DATABASE__URL`` sets ``database.url``."""

    model_config = SettingsConfigDict(env_prefix="APP_", env_nested_delimiter="__")

    title: str = "reference-app"
    max_body_bytes: int = 1_048_576
    # Signs pagination cursors. The per-process default suits one process; set APP_CURSOR_SECRET when several
    # workers serve the same clients, or their cursors will not be accepted by each other.
    cursor_secret: SecretStr = Field(default_factory=lambda: SecretStr(secrets.token_urlsafe(32)))
    database: DatabaseSettings = DatabaseSettings()
    redis: RedisSettings = RedisSettings()
    cache: CacheSettings = CacheSettings()
    rate_limit: RateLimitSettings = RateLimitSettings()
    request_id: RequestIdSettings = RequestIdSettings()
    security_headers: SecurityHeadersSettings = SecurityHeadersSettings()
    cors: CorsSettings = CorsSettings()
    trusted_hosts: TrustedHostSettings = TrustedHostSettings()
    logging: LoggingSettings = LoggingSettings()


@lru_cache
def get_settings() -> AppSettings:
    """Return the settings, read from the environment once per process."""
    return AppSettings()
