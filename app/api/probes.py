"""The probes, and whether the store keeps what it is given.

``/healthz`` says the worker answers, and asks nothing of Redis, so a store
outage never gets healthy workers restarted. ``/readyz`` says whether the
worker can serve (Redis answers; the schemas loaded, which ``create_app``
does before serving) and a 503 names what is wrong. Both list what they
found, including whether Redis may drop sessions: a store that evicts keys
when memory is full, or keeps nothing across a restart, loses users' data
silently, which is worse than refusing writes. Gunicorn logs that warning
once per start (``warn_if_store_may_lose_data``, from ``gunicorn.conf.py``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis
from flask import Blueprint, Flask, Response, current_app

from app.access.tenants import TenantsHolder
from app.api.http import json_response
from app.config import ConfigError, load_config
from app.documents import dumps
from app.errors import StoreUnavailable
from app.logs import configure_logging
from app.services import current_services
from app.store.client import StoreClient, redis_client

log = logging.getLogger(__name__)

STORE_EXTENSION = "sessionator.store"

bp = Blueprint("health", __name__)


@dataclass(frozen=True)
class Durability:
    """What the store does when its memory is full and when it restarts, as CONFIG says."""

    eviction_policy: str | None = None  # maxmemory-policy; None: could not be read
    persistence: str | None = None  # "aof", "rdb", "aof+rdb" or "none"; None: could not be read
    unreadable: str | None = None  # why CONFIG GET failed

    def warnings(self) -> list[str]:
        """Sentences for the operator; empty when the store keeps what it is given."""
        if self.unreadable is not None:
            return [
                "Could not check whether Redis evicts keys or persists them (CONFIG GET: "
                f"{self.unreadable}); managed services often disable CONFIG: make sure "
                "maxmemory-policy is noeviction and persistence is on in its settings."
            ]
        found = []
        if self.eviction_policy != "noeviction":
            found.append(
                f"Redis maxmemory-policy is {self.eviction_policy}: when its memory is full it "
                "deletes keys, and sessions vanish silently. Set maxmemory-policy noeviction, "
                "so that writes are refused (503) instead."
            )
        if self.persistence == "none":
            found.append(
                "Redis does not persist (appendonly no, no save points): a restart of Redis "
                "loses every session. Set appendonly yes (or RDB save points)."
            )
        return found

    def as_json(self) -> dict[str, object]:
        """The findings as ``/readyz`` shows them."""
        return {
            "evictionPolicy": self.eviction_policy,
            "persistence": self.persistence,
            "warnings": self.warnings(),
        }


def read_durability(client: StoreClient) -> Durability:
    """Ask Redis for its eviction policy and persistence settings; never raises.

    On a cluster, CONFIG GET goes to one node: the nodes are assumed alike.
    """
    try:
        settings = {}
        for name in ("maxmemory-policy", "appendonly", "save"):
            settings.update(client.config_get(name))
    except redis.RedisError as error:
        return Durability(unreadable=str(error).strip() or type(error).__name__)
    aof = settings.get("appendonly") == "yes"
    rdb = bool(settings.get("save"))
    kinds = [kind for kind, on in (("aof", aof), ("rdb", rdb)) if on]
    return Durability(settings.get("maxmemory-policy"), "+".join(kinds) or "none")


def warn_if_store_may_lose_data() -> None:
    """Log, once per start of gunicorn, any way the configured store may lose sessions.

    Runs in gunicorn's master before the workers start; a configuration the
    workers will refuse is left to them, since they name the variable.
    """
    try:
        config = load_config()
    except ConfigError:
        return
    configure_logging(config.LOG_LEVEL)
    try:  # a cluster client reads the slot map as it is made: the store may be down now
        client = redis_client(config.REDIS_URL, config.REDIS_TIMEOUT_MS)
    except Exception as error:  # a best-effort check must never stop gunicorn's master
        durability = Durability(unreadable=str(error).strip() or type(error).__name__)
    else:
        try:
            durability = read_durability(client)
        finally:
            client.close()
    for warning in durability.warnings():
        log.warning("%s", warning, extra={"fields": {"event": "store_check"}})


def install(app: Flask, client: StoreClient) -> None:
    """Serve the probes; ``/readyz`` reads the store's settings through ``client``."""
    app.extensions[STORE_EXTENSION] = client
    app.register_blueprint(bp)


@bp.get("/healthz")
def alive() -> Response:
    """200 whenever the worker answers; asks nothing of Redis."""
    return json_response(b'{"status":"alive"}')


@bp.get("/readyz")
def ready() -> Response:
    """200 when Redis answers, else 503 naming the store; lists schema problems.

    A broken schema file does not make the service unready: every other
    namespace is served, and that namespace fails closed on its own. Nor does
    a broken edit of the tenants file: the previous version stays in force.
    """
    services = current_services()
    try:
        services.repository.ping()
    except StoreUnavailable as error:
        raise _not_ready() from error
    registry = services.schemas.registry
    store = {"status": "ok", **store_durability().as_json()}
    body = {
        "status": "ready",
        "store": store,
        "schemas": {
            "loaded": True,  # create_app loads them before the worker serves anything
            "inForce": sum(1 for entry in registry.entries() if entry.schema is not None),
            "notInForce": [e.name for e in registry.entries() if e.schema is None],
            "stale": [e.name for e in registry.entries() if e.status == "stale"],
            "problems": [str(problem) for problem in registry.problems],
        },
        "access": _access(services.tenants),
    }
    return json_response(dumps(body))


def store_durability() -> Durability:
    """What this app's store does when full and across a restart (``/readyz``, the console)."""
    return read_durability(current_app.extensions[STORE_EXTENSION])


def _not_ready() -> StoreUnavailable:
    """The 503 of ``/readyz``, naming each check and its state."""
    error = StoreUnavailable(
        "Not ready: the store (Redis) does not answer; the schemas are loaded."
    )
    error.details = {"checks": {"store": "unavailable", "schemas": "loaded"}}
    return error


def _access(tenants: TenantsHolder | None) -> dict[str, object]:
    """Whether API keys are required, and any problem with the tenants file."""
    if tenants is None:
        return {"mode": "open", "warning": "no TENANTS_FILE: anyone may read and write anything"}
    return {
        "mode": "tenants",
        "tenants": tenants.tenants.names,
        "problem": tenants.problem,
    }
