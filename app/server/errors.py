"""JSON instead of HTML for the requests gunicorn refuses before the app sees them.

Gunicorn answers a request it cannot parse (a malformed request line or
header, headers over its limits) itself, with a small HTML page written by
``gunicorn.util.write_error``. The contract says no request gets an HTML
page, and gunicorn offers no hook for this answer, so ``gunicorn.conf.py``
replaces that one function; gunicorn still chooses the status.
"""

from __future__ import annotations

import socket

import gunicorn.util

from app.errors import error_body

_CODES = {
    400: "bad_request",
    403: "forbidden",
    408: "request_timeout",
    414: "uri_too_long",
    417: "expectation_failed",
    431: "request_header_fields_too_large",
    501: "not_implemented",
}


def write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """Write gunicorn's error answer as the contract's JSON error body."""
    code = _CODES.get(status_int, "internal_error")
    body = error_body(code, f"The request is not acceptable HTTP ({reason}).")
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    gunicorn.util.write_nonblock(sock, head.encode("latin-1") + body)


def install() -> None:
    """Make gunicorn's own error answers JSON (call from the gunicorn config)."""
    gunicorn.util.write_error = write_json_error
