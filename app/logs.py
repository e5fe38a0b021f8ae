"""Logging: one JSON object per line on stderr, at LOG_LEVEL.

Records from this service's packages (``app``, ``schema_registry``) go to one
handler; a record's ``fields`` extra (a dict) is merged into its line, which
is how the audit trail and, later, request logs carry structured data.
Messages never include a document body or an API key: the code that logs
passes identifiers and outcomes only (``tests/app/test_tenancy_http.py``
checks the whole log of a run for both).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

PACKAGES = ("app", "schema_registry")


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
