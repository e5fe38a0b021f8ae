"""``GET /metrics``, and what each request adds to the metrics (see app/metrics.py).

``/metrics`` asks for no API key: it says how much traffic there is, never
whose. Keep it off the public internet all the same (see docs/operations.md).
"""

from __future__ import annotations

from flask import Blueprint, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from app.metrics import OTHER, Metrics, stored_size
from app.services import Services, current_services

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def scrape() -> Response:
    """Every metric, in Prometheus's text format; no API key (keep it off the internet)."""
    response = Response(current_services().metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def observe_document(
    metrics: Metrics, services: Services, served: Request, response: Response, stores: bool
) -> None:
    """For a write, the refusal by its schema (422) or the size of the document it stored."""
    if response.status_code == 422:  # validation_failed is the only 422
        metrics.validation_failures.labels(_namespace_label(served, services)).inc()
    elif response.status_code == 200 and stores:
        namespace = _namespace_label(served, services)
        metrics.document_bytes.labels(namespace).observe(stored_size(response.data))


def _namespace_label(served: Request, services: Services) -> str:
    """The request's namespace if a schema defines it, else ``other``: a bounded set."""
    namespace = (served.view_args or {}).get("ns")
    if isinstance(namespace, str) and namespace in services.schemas.registry:
        return namespace
    return OTHER
