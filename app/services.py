"""What one app instance holds: its configuration, store and schemas."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from app.config import Config
from app.repository import SessionRepository
from app.schemas import SchemaHolder


@dataclass(frozen=True)
class Services:
    """Built once by create_app; views reach it through ``current_app.extensions``."""

    config: Config
    repository: SessionRepository
    schemas: SchemaHolder


def current_services() -> Services:
    """The services of the app handling the current request."""
    services: Services = current_app.extensions["sessionator"]
    return services
