"""WSGI middleware that keeps percent-encoded slashes inside one path segment.

WSGI servers decode ``%2F`` into ``/`` before routing, so
``/v1/sessions/a%2Fb`` would reach namespace ``b`` of session ``a``. When the
server passes the raw URI (gunicorn and Werkzeug do, as ``RAW_URI`` or
``REQUEST_URI``), this rebuilds the path so that an encoded slash stays in its
segment as a character no identifier may contain, and the request is refused
as an invalid identifier instead of reaching another resource.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import unquote_to_bytes, urlsplit

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# Stands in for a decoded slash inside a segment; never valid in an identifier.
_SLASH_STAND_IN = b"\x00"


class EncodedSlashGuard:
    """Wraps a WSGI app; rewrites PATH_INFO only when the raw path has ``%2F``."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
        path = urlsplit(raw).path if raw.startswith(("http://", "https://")) else raw.split("?")[0]
        if "%2f" in path.lower():
            environ["PATH_INFO"] = _segment_preserving_path(path, environ.get("SCRIPT_NAME", ""))
        return self.app(environ, start_response)


def _segment_preserving_path(raw_path: str, script_name: str) -> str:
    """Decode each segment on its own, the way WSGI would, but keep slashes apart."""
    segments = [
        unquote_to_bytes(segment).replace(b"/", _SLASH_STAND_IN).decode("latin-1")
        for segment in raw_path.split("/")
    ]
    path = "/".join(segments)
    return path[len(script_name) :] if script_name and path.startswith(script_name) else path
