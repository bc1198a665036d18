"""Configuration read from the environment (``APP_*``, nested with ``__``)."""

from __future__ import annotations

import secrets
from functools import lru_cache

from pydantic import BaseModel, Field, SecretStr
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
    default_ttl: int = 300


class RateLimitSettings(BaseModel):
    """Rate limiting (``APP_RATE_LIMIT__REQUESTS=100``...); ``reference_app.rate_limit`` reads it."""

    enabled: bool = True
    requests: int = 100
    window_seconds: int = 60
    fail_open: bool = True


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


@lru_cache
def get_settings() -> AppSettings:
    """Return the settings, read from the environment once per process."""
    return AppSettings()
