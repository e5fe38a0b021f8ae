"""What one app instance holds: its configuration, store, schemas and tenants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app

from app.access.ratelimit import RateLimiter
from app.access.tenants import TenantsHolder
from app.config import Config
from app.metrics import Metrics
from app.reloading import SchemaHolder
from app.store.repository import SessionRepository

if TYPE_CHECKING:  # the builder of the OpenAPI document is a layer above: it is only held here
    from app.openapi.document import DocumentCache


@dataclass(frozen=True)
class Services:
    """Everything one app holds, built once by create_app; reached one way, current_services().

    The configuration, the repository (and through it the Redis client and
    its guard), the schemas in force, the tenants and the rate counts, the
    metrics, and the OpenAPI document built for the schemas in force.
    """

    config: Config
    repository: SessionRepository
    schemas: SchemaHolder
    metrics: Metrics
    openapi: DocumentCache
    tenants: TenantsHolder | None = None  # None: no tenants file, the service is open
    rate_limiter: RateLimiter | None = None


def current_services() -> Services:
    """The services of the app handling the current request."""
    services: Services = current_app.extensions["sessionator"]
    return services
