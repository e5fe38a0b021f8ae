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
import sys
import traceback
from typing import Any

from app.documents import utc_milliseconds

PACKAGES = ("app", "schema_registry")
# Probes and scrapes arrive every few seconds: their successes are logged at DEBUG.
QUIET_ROUTES = frozenset(("/healthz", "/readyz", "/metrics"))

requests_log = logging.getLogger("app.requests")


# One encoder, made once: json.dumps with arguments builds a new one for every call.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "), default=str).encode


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", ...fields}`` on one line.

    Every request writes one, so this is written for speed: the time through
    ``utc_milliseconds`` (formatting once a second), the line through one
    encoder made once.
    """

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": utc_milliseconds(int(record.created * 1000)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if fields:
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return _ENCODE(line)


class _ServiceHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module installs, so a second app replaces it, not doubles it."""


def configure_logging(level: str) -> None:
    """Send the service's records to stderr as JSON lines, at ``level`` and above.

    Records skip what no line shows, which Python's logging gathers by default
    at a cost on every call (the logging HOWTO's "Optimization"): the calling
    frame, the thread and the process.
    """
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = _ServiceHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in PACKAGES:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if isinstance(h, _ServiceHandler)]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level)


def log_unexpected(logger: logging.Logger, error: BaseException) -> None:
    """Log a bug: the error's class and the traceback's frames, never its message.

    The message may quote a request's data (a session id, a body, a
    server's parse error with the bytes read), which no log line may hold.
    """
    logger.error(
        "Unhandled %s (a bug); its message is not logged",
        type(error).__name__,
        extra={"fields": {"traceback": "".join(traceback.format_tb(error.__traceback__))}},
    )


def log_request_line(
    *,
    request_id: str | None,
    method: str,
    route: str | None,
    status: int,
    seconds: float,
    tenant: str | None,
    reason: str | None = None,
) -> None:
    """Log a request's one line: id, method, route, status, duration, tenant (and, for a 503
    from the store, the reason: ``ConnectionError``, ``READONLY``, ``breaker_open``...).

    Never the path (it holds the session id; the audit line has it for
    writes), the query, a header or a body. A 5xx is a warning; a successful
    probe or scrape is debug (they come every few seconds); the rest info.
    """
    level = logging.INFO
    if status >= 500:
        level = logging.WARNING
    elif route in QUIET_ROUTES and status < 400:
        level = logging.DEBUG
    if not requests_log.isEnabledFor(level):
        return
    fields = {
        "event": "request",
        "requestId": request_id,
        "method": method,
        "route": route,
        "status": status,
        "durationMs": round(seconds * 1000, 3),
        "tenant": tenant,
    }
    if reason:
        fields["reason"] = reason  # why the store refused: an error class or Redis's code
    requests_log.log(level, "%s %s %d", method, route or "-", status, extra={"fields": fields})
