"""Sessionator: a multi-tenant session store served over HTTP."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from app.config import Config, load_config
from app.errors import register_error_handlers
from app.keys import KeySpace
from app.middleware import EncodedSlashGuard
from app.repository import SessionRepository
from app.services import Services
from app.sessions import bp as sessions_bp
from app.store import redis_client
from schema_registry import load_directory

log = logging.getLogger(__name__)


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the service: config, Redis client, repository, schemas, routes, errors."""
    config = load_config(overrides)
    app = Flask(__name__)
    app.extensions["sessionator"] = _build_services(config)
    app.register_blueprint(sessions_bp)
    register_error_handlers(app)
    app.wsgi_app = EncodedSlashGuard(app.wsgi_app)  # type: ignore[method-assign]
    return app


def _build_services(config: Config) -> Services:
    client = redis_client(config.REDIS_URL, config.REDIS_TIMEOUT_MS)
    registry = load_directory(config.SCHEMA_DIR)
    log.info("Loaded %d schemas from %s", len(registry), config.SCHEMA_DIR)
    repository = SessionRepository(client, KeySpace(config.KEY_PREFIX))
    return Services(config=config, repository=repository, registry=registry)
