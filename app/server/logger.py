"""Gunicorn's logging: JSON lines like the service's, no access log, nothing private.

The service writes one line per request itself (``app.logs.log_request``),
which never holds the path: the path holds the session id, often a user id.
Gunicorn's access log would write the path, the query string and a Basic
auth user name (a key, if a client sent one there) for every request, and
cost a tenth of a request's CPU to format, so ``ServiceLogger`` turns it off.
Gunicorn also logs the requests it refuses, quoting the offending line
(a header line without a colon may be ``Authorization Bearer <key>``; a
request line holds the path), and at DEBUG the bytes a client sent before it
left: those lines keep only gunicorn's own words for the error, never the
client's bytes.
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.glogging import Logger

from app.logs import PACKAGES, JsonFormatter

# Gunicorn's refusals: "Invalid request from ip=<ip>: <error, quoting the client's bytes>".
_REFUSAL = "Invalid request from ip="


class ServiceLogger(Logger):  # type: ignore[misc]
    """Gunicorn's logger, without the access log, quoting no client bytes."""

    @property
    def access_log_enabled(self) -> bool:
        """Never: the service logs each request itself, without its path."""
        return False

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """No access line (see the module's docstring)."""

    def info(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log at INFO; gunicorn's start-up line names the addresses even with reuse_port.

        With ``reuse_port`` each worker binds its own socket, so the master has
        none to name and gunicorn says ``Listening at:  (pid)``.
        """
        if msg == "Listening at: %s (%s)" and args and not args[0]:
            args = (",".join(_url(address) for address in self.cfg.address), *args[1:])
        super().info(msg, *args, **kwargs)

    def warning(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log a warning; a refused request's line keeps the kind of error, not its text."""
        if isinstance(msg, str) and msg.startswith(_REFUSAL):
            msg, args = "Refused a request that is not valid HTTP: %s", (refusal_kind(msg),)
        super().warning(msg, *args, **kwargs)

    def debug(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log at DEBUG; of gunicorn's arguments only an error's class is kept.

        Its debug lines format a client's disconnection or parse error, which
        quotes the bytes read so far (``No more data after: b'Authorization:
        Bearer <key>'``), or a request's path.
        """
        if args:
            args = tuple(
                type(arg).__name__ if isinstance(arg, BaseException) else "-" for arg in args
            )
        super().debug(msg, *args, **kwargs)

    def exception(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log an error with its traceback, never the request's method and path."""
        if isinstance(msg, str) and msg.startswith("Error handling request"):
            msg, args = "Error handling request", ()
        super().exception(msg, *args, **kwargs)


def _url(address: Any) -> str:
    """``http://host:port`` for a TCP address, ``unix:path`` for a socket."""
    if isinstance(address, tuple):
        host = f"[{address[0]}]" if ":" in address[0] else address[0]
        return f"http://{host}:{address[1]}"
    return f"unix:{address}"


def refusal_kind(line: str) -> str:
    """Gunicorn's name for what was wrong, cut before any quoted client text."""
    error = line.split(": ", 1)[1] if ": " in line else ""
    kind = error.split("'", 1)[0].split(":", 1)[0].strip()
    return kind[:80] or "unknown"


class OtherPackages(logging.Filter):
    """Passes records from outside the service's packages, which have a handler of their own."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.partition(".")[0] not in PACKAGES


def log_config(level: str) -> dict[str, Any]:
    """Gunicorn's ``logconfig_dict``: its records, and other libraries' warnings, as JSON.

    The service's own records keep the handler ``configure_logging`` gives
    them, so the root handler filters them out rather than print them twice.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "filters": {"others": {"()": OtherPackages}},
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["others"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "WARNING", "handlers": ["json"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["json"], "propagate": False},
        },
    }
