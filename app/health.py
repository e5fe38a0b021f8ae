"""``/readyz``: whether this worker can serve, and what is wrong with the schemas."""

from __future__ import annotations

from flask import Blueprint, Response

from app.documents import dumps
from app.http import json_response
from app.services import current_services
from app.tenancy import TenantsHolder

bp = Blueprint("health", __name__)


@bp.get("/readyz")
def ready() -> Response:
    """200 when Redis answers (503 ``store_unavailable`` otherwise); lists schema problems.

    A broken schema file does not make the service unready: every other
    namespace is served, and that namespace fails closed on its own. Nor does
    a broken edit of the tenants file: the previous version stays in force.
    """
    services = current_services()
    services.repository.ping()
    registry = services.schemas.registry
    body = {
        "status": "ready",
        "store": "ok",
        "schemas": {
            "inForce": sum(1 for entry in registry.entries() if entry.schema is not None),
            "notInForce": [e.name for e in registry.entries() if e.schema is None],
            "stale": [e.name for e in registry.entries() if e.status == "stale"],
            "problems": [str(problem) for problem in registry.problems],
        },
        "access": _access(services.tenants),
    }
    return json_response(dumps(body))


def _access(tenants: TenantsHolder | None) -> dict[str, object]:
    """Whether API keys are required, and any problem with the tenants file."""
    if tenants is None:
        return {"mode": "open", "warning": "no TENANTS_FILE: anyone may read and write anything"}
    return {
        "mode": "tenants",
        "tenants": tenants.tenants.names,
        "problem": tenants.problem,
    }
