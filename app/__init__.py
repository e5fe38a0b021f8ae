"""Sessionator: a multi-tenant session store served over HTTP."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from app import console, metrics
from app.access.ratelimit import RateLimiter
from app.access.tenants import TenantsHolder
from app.api import docs, lifecycle, probes, schemas, sessions
from app.api import metrics as metrics_view
from app.api.errors import register_error_handlers
from app.api.http import NamespaceSegment, report_replicas
from app.api.middleware import EncodedSlashGuard
from app.config import Config, load_config
from app.logs import configure_logging
from app.openapi.document import DocumentCache
from app.reloading import SchemaHolder, Watcher
from app.services import Services
from app.store.breaker import Breaker, StoreGuard
from app.store.client import Reconnect, StoreClient, redis_client
from app.store.keys import KeySpace
from app.store.policies import Lifetime, ReplicaWait
from app.store.repository import SessionRepository
from schema_registry import parse_schema_dirs

log = logging.getLogger(__name__)


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the service: config, Redis client, repository, schemas, routes, errors."""
    config = load_config(overrides)
    configure_logging(config.LOG_LEVEL)
    client = redis_client(config.REDIS_URL, config.REDIS_TIMEOUT_MS)
    counted = metrics.Metrics()
    app = Flask(__name__)
    app.url_map.merge_slashes = False  # `//` is a JSON 404, not Werkzeug's HTML redirect
    app.url_map.converters["namespace"] = NamespaceSegment  # before the routes that use it
    app.extensions["sessionator"] = _build_services(config, client, counted)
    app.before_request(lifecycle.begin)
    app.after_request(lifecycle.finish)  # runs after the blueprints' own hooks
    for blueprint in (sessions.bp, schemas.bp, probes.bp, metrics_view.bp, docs.bp):
        app.register_blueprint(blueprint)
    if config.console_on:  # off: /console is a JSON 404 like any unknown path
        app.config.update(console.cookie_settings(config))
        app.session_interface = console.ConsoleSessions()
        app.register_blueprint(console.bp)
    register_error_handlers(app)
    app.wsgi_app = EncodedSlashGuard(app.wsgi_app)  # type: ignore[method-assign]
    return app


def _build_services(config: Config, client: StoreClient, counted: metrics.Metrics) -> Services:
    schemas = SchemaHolder(
        parse_schema_dirs(config.SCHEMA_DIR),
        on_load=counted.observe_schemas,
        compatibility=config.SCHEMA_COMPATIBILITY,
    )
    if config.SCHEMA_POLL_MS:
        Watcher("schemas", schemas, config.SCHEMA_POLL_MS / 1000).start()
    lifetime = Lifetime(config.SESSION_TTL, config.SESSION_MAX_AGE)
    # One guard per worker: every Redis call goes through it (app/store/breaker.py).
    guard = StoreGuard(Breaker(), counted.observe_redis_call, Reconnect(client))
    repository = SessionRepository(
        client,
        KeySpace(config.KEY_PREFIX),
        lifetime,
        config.MAX_NAMESPACES_PER_SESSION,
        guard=guard,
        replica_wait=ReplicaWait(
            config.WRITE_REPLICAS, config.WRITE_REPLICAS_TIMEOUT_MS, report_replicas
        ),
    )
    tenants, rate_limiter = None, None
    if config.TENANTS_FILE:
        tenants = TenantsHolder(Path(config.TENANTS_FILE))
        if config.TENANTS_POLL_MS:
            Watcher("tenants", tenants, config.TENANTS_POLL_MS / 1000).start()
        rate_limiter = RateLimiter(
            client, config.RATE_LIMIT, config.KEY_PREFIX, guard, config.RATE_SYNC_MS / 1000
        )
    else:
        log.warning(
            "No TENANTS_FILE: running OPEN, without API keys; anyone who can reach the "
            "service may read and write every namespace. Development only."
        )
    return Services(config, repository, schemas, counted, DocumentCache(), tenants, rate_limiter)
