"""Sessionator: a multi-tenant session store served over HTTP."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from app.config import Config, load_config
from app.errors import register_error_handlers
from app.health import bp as health_bp
from app.introspection import bp as schemas_bp
from app.keys import KeySpace
from app.middleware import EncodedSlashGuard
from app.repository import Lifetime, SessionRepository
from app.schemas import SchemaHolder, SchemaWatcher
from app.services import Services
from app.sessions import bp as sessions_bp
from app.store import redis_client
from schema_registry import parse_schema_dirs

log = logging.getLogger(__name__)


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the service: config, Redis client, repository, schemas, routes, errors."""
    config = load_config(overrides)
    app = Flask(__name__)
    app.extensions["sessionator"] = _build_services(config)
    app.register_blueprint(sessions_bp)
    app.register_blueprint(schemas_bp)
    app.register_blueprint(health_bp)
    register_error_handlers(app)
    app.wsgi_app = EncodedSlashGuard(app.wsgi_app)  # type: ignore[method-assign]
    return app


def _build_services(config: Config) -> Services:
    client = redis_client(config.REDIS_URL, config.REDIS_TIMEOUT_MS)
    schemas = SchemaHolder(parse_schema_dirs(config.SCHEMA_DIR))
    if config.SCHEMA_POLL_MS:
        SchemaWatcher(schemas, config.SCHEMA_POLL_MS / 1000).start()
    lifetime = Lifetime(config.SESSION_TTL, config.SESSION_MAX_AGE)
    repository = SessionRepository(client, KeySpace(config.KEY_PREFIX), lifetime)
    return Services(config=config, repository=repository, schemas=schemas)
