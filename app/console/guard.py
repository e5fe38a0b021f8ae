"""Who is signed in to the console, and what every console request must pass.

The API key a person signs in with is kept in Flask's session: a cookie
signed with CONSOLE_SECRET (so it cannot be forged or altered), HttpOnly (no
script reads it), SameSite=Strict and scoped to ``/console`` (no other site's
page makes the browser send it), and never in a URL or a log line. Each
request checks the key again exactly as the API checks a Bearer key
(``identify``: the tenants file in force, the key's rate), so a revoked key
stops working on the next page. Every POST carries the CSRF token of the
browser's session, compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import timedelta
from typing import Any

from flask import Flask, Request, Response, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException

from app.access.grants import identify
from app.access.tenants import OPEN, Caller
from app.api.http import broken_body
from app.config import Config
from app.errors import Unauthorized
from app.services import current_services

SIGN_IN_LIFETIME = timedelta(hours=8)
# The largest console form: a document of up to about 1 MiB; larger ones go through the API.
FORM_LIMIT = 1024 * 1024
COOKIE_NAME = "sessionator_console"
# What the browser's session holds: the key, when it signed in, the CSRF token, the session
# id looked up last, and the previous traffic reading of the health page.
KEY, SINCE, CSRF, SID, TRAFFIC = "key", "since", "csrf", "sid", "traffic"
# Pages that need no sign-in: the sign-in page itself and the style sheet.
PUBLIC = frozenset(("console.sign_in", "console.sign_in_with_key", "console.static"))


class ConsoleRefusal(Exception):
    """A console request refused before its view ran; shown as a page, not as the API's JSON."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class NotSignedIn(Exception):
    """The browser holds no valid sign-in; the console sends it to the sign-in page."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message)
        self.message = message  # why, when there was a sign-in that is no longer valid


def cookie_settings(config: Config) -> dict[str, Any]:
    """Flask settings for the console's session cookie.

    Without CONSOLE_SECRET a random secret is made here; gunicorn.conf.py makes
    one per start in the master instead, so that every worker shares it.
    """
    return {
        "SECRET_KEY": config.CONSOLE_SECRET or secrets.token_urlsafe(32),
        "SESSION_COOKIE_NAME": COOKIE_NAME,
        "SESSION_COOKIE_PATH": "/console",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Strict",
        # Production sits behind TLS (see the README); development is plain http://localhost.
        "SESSION_COOKIE_SECURE": config.SESSIONATOR_ENV == "production",
        "PERMANENT_SESSION_LIFETIME": SIGN_IN_LIFETIME,
    }


class ConsoleSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, for the console's pages only.

    With a secret set, Flask opens (and saves) a signed session for every
    request; the API never uses one, and that cost 4 % of an API request's
    CPU. Everywhere but under ``/console`` the session is a null one.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """The console's signed session; a null session for any other path."""
        if request.path.startswith("/console"):
            return super().open_session(app, request)
        return None  # Flask then makes a null session, and saves nothing


def bound_forms() -> None:
    """Read at most FORM_LIMIT bytes of any console request's body (before_request, first).

    A larger body is refused (413) before it is read, signed in or not.
    """
    request.max_content_length = FORM_LIMIT
    request.max_form_memory_size = FORM_LIMIT


def csrf_token() -> str:
    """The CSRF token of this browser's session, made on first use."""
    token = session.get(CSRF)
    if not isinstance(token, str):
        token = session[CSRF] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    """Refuse a POST whose form does not carry this browser's CSRF token (before_request).

    The first to read the form: a body the server's HTTP parser cannot read
    (broken chunks, cut short) is a 400 here, as in the API.
    """
    if request.method != "POST":
        return
    expected = session.get(CSRF)
    try:
        sent = request.form.get("csrf", "")
    except HTTPException:
        raise
    except Exception:  # gunicorn's parse errors: not OSError, not Werkzeug's
        raise broken_body() from None
    if not isinstance(expected, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise ConsoleRefusal(
            403,
            "This form is out of date or did not come from this console (its security token "
            "does not match). Reload the page and try again.",
        )


def authenticate() -> None:
    """Find the signed-in caller, checking the key as the API does (before_request)."""
    if request.endpoint in PUBLIC:
        return
    if current_services().tenants is None:
        g.caller = Caller(OPEN)
        return
    key, since = session.get(KEY), session.get(SINCE)
    if not isinstance(key, str) or not isinstance(since, int):
        raise NotSignedIn()
    if time.time() - since > SIGN_IN_LIFETIME.total_seconds():
        session.clear()
        raise NotSignedIn("Your sign-in is over 8 hours old; sign in again.")
    try:
        g.caller = identify(key)
    except Unauthorized:
        session.clear()
        raise NotSignedIn("Your API key is no longer valid (revoked?); sign in again.") from None


def sign_in(key: str) -> None:
    """Check ``key`` as the API would, then start a fresh session holding it."""
    g.caller = identify(key)  # raises Unauthorized
    session.clear()  # nothing from before the sign-in survives it, the CSRF token included
    session[KEY] = key
    session[SINCE] = int(time.time())
    session[CSRF] = secrets.token_urlsafe(32)


def sign_out() -> None:
    """Forget the key and everything else of this browser's session."""
    session.clear()


def security_headers(response: Response) -> Response:
    """No caching, no framing, no script, nothing loaded from elsewhere (after_request)."""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
