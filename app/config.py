"""Configuration: defaults here, then the environment, then explicit overrides.

Validated once when the app is created; a bad value stops the process with a
sentence that names the variable. Nothing changes the configuration later.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit

from app.access.tenants import rate_limit_problem
from app.store.client import CLUSTER_SCHEME, SENTINEL_SCHEME, parse_seeds
from schema_registry.modes import COMPATIBILITY_MODES

REDIS_SCHEMES = ("redis", "rediss", "unix", CLUSTER_SCHEME, SENTINEL_SCHEME)


class ConfigError(Exception):
    """A configuration value is missing or out of range."""


@dataclass(frozen=True)
class Config:
    """Every setting the service reads, with its default."""

    REDIS_URL: str = ""
    SCHEMA_DIR: str = "schemas"
    SCHEMA_POLL_MS: int = 1000
    SCHEMA_COMPATIBILITY: str = "backward"  # "none": reloads apply breaking edits too
    SESSION_TTL: int = 86_400
    SESSION_MAX_AGE: int = 0
    MAX_BODY_BYTES: int = 64 * 1024
    MAX_JSON_DEPTH: int = 32
    REDIS_TIMEOUT_MS: int = 200
    KEY_PREFIX: str = "sessionator"
    TENANTS_FILE: str = ""
    TENANTS_POLL_MS: int = 1000
    SESSIONATOR_ENV: str = "development"
    MAX_NAMESPACES_PER_SESSION: int = 100
    RATE_LIMIT: str = "1000/second"
    RATE_SYNC_MS: int = 100  # how often each worker shares its rate counts through Redis
    LOG_LEVEL: str = "INFO"
    WRITE_REPLICAS: int = 0  # replicas each write waits for (WAIT); 0: none
    WRITE_REPLICAS_TIMEOUT_MS: int = 50
    EMBEDDED_STORE_FSYNC: str = "everysec"  # the embedded store's appendfsync: or "always"
    REQUEST_READ_TIMEOUT_MS: int = 10_000  # a request must arrive whole within this (the worker)
    CONSOLE: str = ""  # "on" or "off"; empty: on in development, off in production
    CONSOLE_SECRET: str = dataclasses.field(default="", repr=False)  # signs console cookies

    @property
    def console_on(self) -> bool:
        """Whether ``/console`` is served: as CONSOLE says, else only in development."""
        if self.CONSOLE:
            return self.CONSOLE == "on"
        return self.SESSIONATOR_ENV == "development"


_LIMITS: dict[str, tuple[int, int]] = {
    "MAX_BODY_BYTES": (2, 16 * 1024 * 1024),
    "MAX_JSON_DEPTH": (1, 512),
    "REDIS_TIMEOUT_MS": (10, 60_000),
    "SCHEMA_POLL_MS": (0, 3_600_000),
    "SESSION_TTL": (0, 10 * 365 * 86_400),
    "SESSION_MAX_AGE": (0, 10 * 365 * 86_400),
    "TENANTS_POLL_MS": (0, 3_600_000),
    "MAX_NAMESPACES_PER_SESSION": (0, 100_000),
    "WRITE_REPLICAS": (0, 100),
    "WRITE_REPLICAS_TIMEOUT_MS": (1, 60_000),
    "REQUEST_READ_TIMEOUT_MS": (100, 600_000),
    "RATE_SYNC_MS": (10, 10_000),
}
# How late a server may notice that a WAIT timed out: one tick at its default `hz 10`.
WAIT_LATENESS_MS = 100
ENVIRONMENTS = ("development", "production")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FSYNC_POLICIES = ("everysec", "always")
MIN_SECRET_LENGTH = 32


def load_config(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Config:
    """Build the configuration from defaults, the environment, then ``overrides``."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for field in fields(Config):
        if field.name in environ:
            values[field.name] = environ[field.name]
    unknown = set(overrides or {}) - {f.name for f in fields(Config)}
    if unknown:
        raise ConfigError(f"Unknown configuration keys: {', '.join(sorted(unknown))}.")
    values.update(overrides or {})
    return _validated(values)


def _validated(values: dict[str, Any]) -> Config:
    """Coerce and check each value, naming the variable on failure."""
    for name, (low, high) in _LIMITS.items():
        if name in values:
            values[name] = _bounded_int(name, values[name], low, high)
    config = Config(**values)
    _check_redis_url(config.REDIS_URL)
    _check_write_replicas(config)
    if not config.KEY_PREFIX or any(c in config.KEY_PREFIX for c in "{}"):
        raise ConfigError("KEY_PREFIX must be non-empty and contain no braces.")
    _check_access(config)
    if config.EMBEDDED_STORE_FSYNC not in FSYNC_POLICIES:
        raise ConfigError(
            f"EMBEDDED_STORE_FSYNC must be everysec or always, got {config.EMBEDDED_STORE_FSYNC!r}."
        )
    if config.SCHEMA_COMPATIBILITY not in COMPATIBILITY_MODES:
        raise ConfigError(
            f"SCHEMA_COMPATIBILITY must be {' or '.join(COMPATIBILITY_MODES)}, "
            f"got {config.SCHEMA_COMPATIBILITY!r}."
        )
    _check_console(config)
    if config.LOG_LEVEL not in LOG_LEVELS:
        raise ConfigError(
            f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {config.LOG_LEVEL!r}."
        )
    return config


def _check_access(config: Config) -> None:
    """Production must name a tenants file; a rate limit must parse."""
    if config.SESSIONATOR_ENV not in ENVIRONMENTS:
        raise ConfigError(
            f"SESSIONATOR_ENV must be development or production, got {config.SESSIONATOR_ENV!r}."
        )
    if config.SESSIONATOR_ENV == "production" and not config.TENANTS_FILE:
        raise ConfigError(
            "SESSIONATOR_ENV=production refuses to run open: set TENANTS_FILE to the tenants "
            "file (see the README's security section)."
        )
    if config.RATE_LIMIT and (problem := rate_limit_problem(config.RATE_LIMIT)):
        raise ConfigError(f"RATE_LIMIT {problem} (or empty for no limit).")


def _check_console(config: Config) -> None:
    """CONSOLE is on or off; a CONSOLE_SECRET given is long enough to sign cookies."""
    if config.CONSOLE not in ("", "on", "off"):
        raise ConfigError(f"CONSOLE must be on or off, got {config.CONSOLE[:40]!r}.")
    if config.CONSOLE_SECRET and len(config.CONSOLE_SECRET) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"CONSOLE_SECRET must be at least {MIN_SECRET_LENGTH} characters (random, shared by "
            "every process of the service); leave it unset to have one made at each start."
        )


def _bounded_int(name: str, raw: Any, low: int, high: int) -> int:
    """Parse ``raw`` as an integer within ``[low, high]``."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a whole number, got {raw!r}.") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}.")
    return value


def _check_redis_url(url: str) -> None:
    """Refuse an empty or unsupported ``REDIS_URL``."""
    if not url:
        raise ConfigError(
            "REDIS_URL is not set: point it at a Redis or Valkey server, "
            "or start the service with `make run` to use the embedded store."
        )
    scheme = urlsplit(url).scheme
    if scheme not in REDIS_SCHEMES:
        raise ConfigError(
            f"REDIS_URL must start with one of {', '.join(s + '://' for s in REDIS_SCHEMES)}; "
            f"got {scheme or 'no scheme'}."
        )
    if scheme in (CLUSTER_SCHEME, SENTINEL_SCHEME):
        try:
            parse_seeds(url)
        except ValueError as problem:
            raise ConfigError(f"REDIS_URL {problem}.") from None


def _check_write_replicas(config: Config) -> None:
    """WAIT's answer must come back within the command timeout, or a done write would be 503.

    A server notices a WAIT's timeout on its next tick, up to WAIT_LATENESS_MS late.
    """
    latest_end = config.WRITE_REPLICAS_TIMEOUT_MS + WAIT_LATENESS_MS
    if config.WRITE_REPLICAS and latest_end >= config.REDIS_TIMEOUT_MS:
        longest = config.REDIS_TIMEOUT_MS - WAIT_LATENESS_MS - 1
        raise ConfigError(
            f"WRITE_REPLICAS_TIMEOUT_MS must be more than {WAIT_LATENESS_MS} ms below "
            f"REDIS_TIMEOUT_MS ({config.REDIS_TIMEOUT_MS}), so at most {longest}: Redis may end "
            f"a write's wait for replicas up to {WAIT_LATENESS_MS} ms late, and it must be over "
            f"before the command times out; got {config.WRITE_REPLICAS_TIMEOUT_MS}."
        )
