"""Logging: one JSON object per line on stderr, at LOG_LEVEL; request ids; a line per request.

Records from this service's packages (``app``, ``schema_registry``) go to one
handler; a record's ``fields`` extra (a dict) is merged into its line, which
is how the audit trail and the request lines carry structured data.
Messages never include a document body or an API key: the code that logs
passes identifiers and outcomes only (``tests/app/test_tenancy_http.py``
checks the whole log of a run for both).

Under gunicorn, gunicorn's own records and any other library's warnings are
JSON lines too (``app.server.logger``), so every line of the process's
output parses as JSON.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Request, Response, g, request

PACKAGES = ("app", "schema_registry")
# Probes and scrapes arrive every few seconds: their successes are logged at DEBUG.
QUIET_ROUTES = frozenset(("/healthz", "/readyz", "/metrics"))
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")  # an X-Request-ID taken as given
_CONVERTER = re.compile(r"<[a-z_]+:")  # the converter's name in a URL rule's variable

requests_log = logging.getLogger("app.requests")


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", ...fields}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        line: dict[str, Any] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class _ServiceHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module installs, so a second app replaces it, not doubles it."""


def configure_logging(level: str) -> None:
    """Send the service's records to stderr as JSON lines, at ``level`` and above."""
    handler = _ServiceHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in PACKAGES:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if isinstance(h, _ServiceHandler)]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level)


def assign_request_id() -> None:
    """Take the caller's ``X-Request-ID`` if it is a sane token, else make one."""
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def echo_request_id(response: Response) -> Response:
    """Send the request id back, so a caller can quote it."""
    request_id = g.get("request_id")
    if request_id:
        response.headers["X-Request-ID"] = request_id
    return response


def start_clock() -> None:
    """Note when the request began (the app's first ``before_request`` hook)."""
    g.request_started = time.perf_counter()


def elapsed_seconds() -> float:
    """Seconds since ``start_clock``, for the request line and the latency metrics."""
    started: float | None = g.get("request_started")
    return 0.0 if started is None else time.perf_counter() - started


def route_of(served: Request) -> str | None:
    """The URL rule the request matched (``/v1/sessions/<sid>/<ns>``); None: no route.

    Without converter names (``<namespace:ns>`` is ``<ns>``): how a variable is
    matched is no part of the route's name in logs and metrics.
    """
    if served.url_rule is None:
        return None
    return _CONVERTER.sub("<", served.url_rule.rule)


def log_request(response: Response) -> Response:
    """Log the request's one line: id, method, route, status, duration, tenant (and, for a
    503 from the store, the reason: ``ConnectionError``, ``READONLY``, ``breaker_open``...).

    An ``after_request`` hook that runs after every other, errors included.
    Never the path (it holds the session id; the audit line has it for
    writes), the query, a header or a body.
    """
    route = route_of(request)
    caller = g.get("caller")
    fields = {
        "event": "request",
        "requestId": g.get("request_id"),
        "method": request.method[:20],
        "route": route,
        "status": response.status_code,
        "durationMs": round(elapsed_seconds() * 1000, 3),
        "tenant": caller.tenant.name if caller is not None else None,
    }
    reason = g.get("error_reason")
    if reason:
        fields["reason"] = reason  # why the store refused: an error class or Redis's code
    level = logging.INFO
    if response.status_code >= 500:
        level = logging.WARNING
    elif route in QUIET_ROUTES and response.status_code < 400:
        level = logging.DEBUG
    requests_log.log(
        level,
        "%s %s %d",
        fields["method"],
        route or "-",
        response.status_code,
        extra={"fields": fields},
    )
    return response
