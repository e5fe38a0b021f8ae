"""Service health at a glance: the store, its durability, traffic and errors, schemas, access.

Traffic comes from the service's own request counters, summed over every
gunicorn worker as ``/metrics`` sums them. A rate needs two readings: the
page keeps its previous reading in the browser's (signed) session, so each
view shows the rates since the one before; the page reloads itself every
``REFRESH_SECONDS`` to keep them current.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from flask import session

from app.access.grants import current_caller
from app.api.probes import store_durability
from app.console.guard import TRAFFIC
from app.errors import StoreUnavailable
from app.metrics import RequestTotals
from app.services import current_services
from app.store.durability import Durability

REFRESH_SECONDS = 10
MIN_WINDOW_SECONDS = 1.0  # a shorter window says little about a rate


@dataclass(frozen=True)
class Rates:
    """Traffic over the window between two readings."""

    seconds: float
    per_second: float  # requests answered per second
    failed: float  # share of answers that were 5xx, 0 to 1
    refused: float  # share that were 4xx, 0 to 1


@dataclass(frozen=True)
class Health:
    """What the health page shows."""

    store_ok: bool
    durability: Durability | None  # None: the store did not answer
    totals: RequestTotals
    rates: Rates | None  # None: no earlier reading to compare with
    schemas_in_force: int
    schemas_not_in_force: list[str] = field(default_factory=list)
    schemas_stale: list[str] = field(default_factory=list)
    access_mode: str = "open"
    tenants_problem: str | None = None


def read_health() -> Health:
    """Look at the store, the counters and the schemas now (the schemas the caller may read)."""
    services = current_services()
    store_ok = _store_answers()
    tenant = current_caller().tenant
    entries = [e for e in services.schemas.registry.entries() if tenant.may_read(e.name)]
    return Health(
        store_ok,
        store_durability() if store_ok else None,
        *_traffic(),
        schemas_in_force=sum(1 for entry in entries if entry.schema is not None),
        schemas_not_in_force=[entry.name for entry in entries if entry.schema is None],
        schemas_stale=[entry.name for entry in entries if entry.status == "stale"],
        access_mode="open" if services.tenants is None else "tenants",
        tenants_problem=None if services.tenants is None else services.tenants.problem,
    )


def _store_answers() -> bool:
    try:
        return current_services().repository.ping()
    except StoreUnavailable:
        return False


def _traffic() -> tuple[RequestTotals, Rates | None]:
    """The totals now, and the rates since the reading kept in the browser's session."""
    totals, now = current_services().metrics.request_totals(), time.time()
    previous = session.get(TRAFFIC)
    session[TRAFFIC] = [now, totals.answered, totals.refused, totals.failed]
    return totals, rates_between(previous, now, totals)


def rates_between(previous: object, now: float, totals: RequestTotals) -> Rates | None:
    """The rates between an earlier reading ``[at, answered, refused, failed]`` and now."""
    if not (isinstance(previous, list) and len(previous) == 4):
        return None
    at, answered, refused, failed = (float(value) for value in previous)
    seconds, count = now - at, totals.answered - answered
    if seconds < MIN_WINDOW_SECONDS or count < 0:  # too soon, or the service restarted
        return None
    share = 1 / count if count else 0.0
    return Rates(
        seconds,
        count / seconds,
        (totals.failed - failed) * share,
        (totals.refused - refused) * share,
    )
