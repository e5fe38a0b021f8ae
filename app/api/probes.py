"""The probes: ``/healthz`` (liveness) and ``/readyz`` (readiness).

``/healthz`` says the worker answers, and asks nothing of Redis, so a store
outage never gets healthy workers restarted. ``/readyz`` says whether the
worker can serve (Redis answers; the schemas loaded, which ``create_app``
does before serving), and a 503 says which check failed, in generic terms.
Probes need no key, so what they say to anyone is only that; the details
(the store's eviction policy and persistence, schema problems, the access
mode) are shown to a caller with a valid key, or to anyone when the service
runs open. A broken tenants edit is never quoted, not even to key holders:
its text can hold digest fragments; the log has it whole.
"""

from __future__ import annotations

from flask import Blueprint, Response

from app.access.grants import optional_caller
from app.access.tenants import TenantsHolder
from app.api.http import json_response
from app.documents import dumps
from app.errors import StoreUnavailable
from app.services import Services, current_services
from app.store.durability import Durability

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def alive() -> Response:
    """200 whenever the worker answers; asks nothing of Redis."""
    return json_response(b'{"status":"alive"}')


@bp.get("/readyz")
def ready() -> Response:
    """200 when Redis answers, else 503 saying the store does not; details need a key.

    A broken schema file does not make the service unready: every other
    namespace is served, and that namespace fails closed on its own. Nor does
    a broken edit of the tenants file: the previous version stays in force.
    """
    services = current_services()
    try:
        services.repository.ping()
    except StoreUnavailable as error:
        raise _not_ready() from error
    body: dict[str, object] = {"status": "ready"}
    if services.tenants is None or optional_caller() is not None:
        body |= _details(services)
    return json_response(dumps(body))


def _details(services: Services) -> dict[str, object]:
    """What a caller with a key learns: the store's durability, the schemas, the access mode."""
    registry = services.schemas.registry
    return {
        "store": {"status": "ok", **store_durability().as_json()},
        "schemas": {
            "loaded": True,  # create_app loads them before the worker serves anything
            "inForce": sum(1 for entry in registry.entries() if entry.schema is not None),
            "notInForce": [e.name for e in registry.entries() if e.schema is None],
            "stale": [e.name for e in registry.entries() if e.status == "stale"],
            "problems": [str(problem) for problem in registry.problems],
        },
        "access": _access(services.tenants),
    }


def store_durability() -> Durability:
    """What this app's store does when full and across a restart (``/readyz``, the console)."""
    try:
        return current_services().repository.durability()
    except StoreUnavailable as error:
        return Durability(unreadable=error.reason or error.message)


def _not_ready() -> StoreUnavailable:
    """The 503 of ``/readyz``, naming each check and its state."""
    error = StoreUnavailable(
        "Not ready: the store (Redis) does not answer; the schemas are loaded."
    )
    error.details = {"checks": {"store": "unavailable", "schemas": "loaded"}}
    return error


def _access(tenants: TenantsHolder | None) -> dict[str, object]:
    """Whether API keys are required, and whether the tenants file has a problem (not which)."""
    if tenants is None:
        return {"mode": "open", "warning": "no TENANTS_FILE: anyone may read and write anything"}
    problem = None
    if tenants.problem is not None:
        problem = (
            "The last edit of the tenants file does not load, so the previous version stays "
            "in force; the service log says why (logger app.access.tenants)."
        )
    return {"mode": "tenants", "tenants": len(tenants.tenants.names), "problem": problem}
