"""What one app instance holds: its configuration, store, schemas and tenants."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from app.access.ratelimit import RateLimiter
from app.access.tenants import TenantsHolder
from app.config import Config
from app.reloading import SchemaHolder
from app.store.repository import SessionRepository


@dataclass(frozen=True)
class Services:
    """Built once by create_app; views reach it through ``current_app.extensions``."""

    config: Config
    repository: SessionRepository
    schemas: SchemaHolder
    tenants: TenantsHolder | None = None  # None: no tenants file, the service is open
    rate_limiter: RateLimiter | None = None


def current_services() -> Services:
    """The services of the app handling the current request."""
    services: Services = current_app.extensions["sessionator"]
    return services
