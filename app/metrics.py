"""Prometheus metrics: what each worker counts (``GET /metrics``, in app/api/metrics.py, adds
up every worker).

Under gunicorn each worker is a process with counters of its own, and a scrape
reaches one worker. So prometheus-client runs in its multiprocess mode: every
process writes its values to files in ``PROMETHEUS_MULTIPROC_DIR``, and a
scrape of any worker reads them all. The mode is chosen when prometheus_client
is first imported, so ``gunicorn.conf.py`` sets that directory up before it
imports anything of the service, empties it at start and tells
prometheus-client when a worker exits. Without the variable (the Flask test
client, one process) the app's own registry is served.

Labels are bounded, because each combination of label values is a time series
kept for ever: routes are URL rule templates (``/v1/sessions/<sid>/<ns>``),
never paths, which hold session ids; a namespace is named only when a schema
defines it, since clients may invent any number of other names, which are all
counted as ``other``; a method outside HTTP's usual seven is ``other``.

``/metrics`` asks for no API key: it says how much traffic there is, never
whose. Keep it off the public internet all the same (see docs/operations.md).
"""

from __future__ import annotations

import glob
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import Metric

from app.documents import without_expiry
from schema_registry import Registry

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
# Set by gunicorn.conf.py when it made the directory itself, so that it removes it at exit.
TEMPORARY_DIR = "SESSIONATOR_TEMPORARY_METRICS_DIR"

OTHER = "other"  # a namespace without a schema, or an unusual HTTP method
UNMATCHED = "unmatched"  # the route of a request no URL rule matched (404, 405)
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
REQUESTS = "sessionator_http_requests"  # the counter of requests answered

REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REDIS_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
SIZE_BUCKETS = tuple(float(4**power) for power in range(3, 13))  # 64 B to 16 MiB


@dataclass(frozen=True)
class RequestTotals:
    """Requests answered since the service started: all, refused (4xx) and failed (5xx)."""

    answered: float
    refused: float
    failed: float


class Metrics:
    """Every metric of one app, in a registry of its own (so tests may build many apps)."""

    def __init__(self) -> None:
        # Multiprocess mode has no ``_created`` series; the same output without it.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry(auto_describe=True)
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        by_request = ("method", "route", "status")
        self.requests = Counter(
            REQUESTS,
            "Requests answered, by method, route template and status.",
            by_request,
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "sessionator_http_request_duration_seconds",
            "Time from routing to the response being ready, by method, route and status.",
            by_request,
            buckets=REQUEST_BUCKETS,
            registry=self.registry,
        )
        self.redis_seconds = Histogram(
            "sessionator_redis_call_duration_seconds",
            "Time of each repository call to Redis (one round trip), by repository method.",
            ("method",),
            buckets=REDIS_BUCKETS,
            registry=self.registry,
        )
        self.redis_errors = Counter(
            "sessionator_redis_call_errors",
            "Repository calls to Redis that failed (answered 503), by repository method.",
            ("method",),
            registry=self.registry,
        )
        self._add_document_metrics()
        self._add_schema_metrics()

    def _add_document_metrics(self) -> None:
        self.validation_failures = Counter(
            "sessionator_validation_failures",
            "Writes refused by their namespace's schema (422), by namespace.",
            ("namespace",),
            registry=self.registry,
        )
        self.document_bytes = Histogram(
            "sessionator_document_bytes",
            "Size of each document stored by PUT or PATCH (compact JSON, metadata included).",
            ("namespace",),
            buckets=SIZE_BUCKETS,
            registry=self.registry,
        )

    def _add_schema_metrics(self) -> None:
        self.schema_reloads = Counter(
            "sessionator_schema_reloads",
            "Reloads of the schema directories after a file changed, in each worker.",
            registry=self.registry,
        )
        self.schema_reload_errors = Counter(
            "sessionator_schema_reload_errors",
            "Problems found by those reloads: one per schema file that did not load.",
            registry=self.registry,
        )
        self.schema_problems = Gauge(
            "sessionator_schema_problems",
            "Schema files that do not load now (the highest count among live workers).",
            registry=self.registry,
            multiprocess_mode="livemax",
        )

    def observe_request(self, method: str, route: str | None, status: int, seconds: float) -> None:
        """Count one request answered, and its latency, by method, route template and status.

        The labelled children are kept, so a request costs two increments,
        not two look-ups by labels (every request pays for this).
        """
        method = method if method in METHODS else OTHER
        key = (method, route or UNMATCHED, status)
        children = self._request_children.get(key)
        if children is None:
            labels = (key[0], key[1], str(status))
            children = (self.requests.labels(*labels), self.request_seconds.labels(*labels))
            self._request_children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def observe_redis_call(self, method: str, seconds: float, failed: bool) -> None:
        """Record one repository call (the repository's ``call_observer``)."""
        self.redis_seconds.labels(method).observe(seconds)
        if failed:
            self.redis_errors.labels(method).inc()

    def observe_schemas(self, registry: Registry, reloaded: bool) -> None:
        """Record a load of the schema registry (the SchemaHolder's ``on_load``)."""
        if reloaded:
            self.schema_reloads.inc()
            self.schema_reload_errors.inc(len(registry.problems))
        self.schema_problems.set(len(registry.problems))

    def request_totals(self) -> RequestTotals:
        """Requests answered so far, by every worker (in multiprocess mode), by outcome."""
        totals = {"2": 0.0, "4": 0.0, "5": 0.0}
        for family in self._counters():
            if family.name != REQUESTS:
                continue
            for sample in family.samples:
                if sample.name == REQUESTS + "_total":
                    kind = sample.labels["status"][:1]
                    totals[kind] = totals.get(kind, 0.0) + sample.value
        return RequestTotals(sum(totals.values()), totals["4"], totals["5"])

    def _counters(self) -> Iterable[Metric]:
        """The request counter of this process, or every worker's counters in multiprocess mode."""
        folder = os.environ.get(MULTIPROC_DIR)
        if not folder:
            return self.requests.collect()
        files = glob.glob(os.path.join(folder, "counter_*.db"))
        merged: Iterable[Metric] = multiprocess.MultiProcessCollector.merge(files)  # type: ignore[no-untyped-call]
        return merged

    def exposition(self) -> bytes:
        """The text format of every metric: every worker's, in multiprocess mode."""
        if not os.environ.get(MULTIPROC_DIR):
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)


def stored_size(served: bytes) -> int:
    """The size of a document as written: less the ``_expires`` that serving adds."""
    return len(without_expiry(served))


def empty_multiprocess_dir() -> None:
    """Remove the files of a previous run, whose counts would add up with this one's."""
    for name in glob.glob(os.path.join(os.environ[MULTIPROC_DIR], "*.db")):
        os.remove(name)


def worker_exited(pid: int) -> None:
    """Drop the gauges of a worker that exited (its counters stay: they count the past)."""
    multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def remove_temporary_dir() -> None:
    """Remove the directory gunicorn.conf.py made for this run, if it made one."""
    made = os.environ.get(TEMPORARY_DIR)
    if made and made == os.environ.get(MULTIPROC_DIR):
        shutil.rmtree(made, ignore_errors=True)
