"""What the client raises: one ``SessionatorError``, one subclass per family of answers.

The service answers every error with ``{"error": CODE, "message": SENTENCE}``
and ``details`` where it has more to say; each exception carries them, with
the HTTP status, the ``Retry-After`` asked for and the request id. A request
that got no answer at all (connection refused, timeout) is ``ConnectionFailed``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx


class SessionatorError(Exception):
    """A request the service refused or could not serve, or that got no answer."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "",
        details: dict[str, Any] | None = None,
        retry_after: float | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}" if status else message)
        self.message = message
        self.status = status  # None: no answer came
        self.code = code  # the service's error code, like "precondition_failed"
        self.details = details or {}
        self.retry_after = retry_after  # seconds the service asked to wait, if it did
        self.request_id = request_id


class BadRequest(SessionatorError):
    """400: an identifier, query, JSON body or patch the service refuses."""


class Unauthorized(SessionatorError):
    """401: no API key, or one the service does not know."""


class Forbidden(SessionatorError):
    """403: the key's tenant has no grant for this; ``details`` say which."""


class NotFound(SessionatorError):
    """404: no such namespace (or session to touch, or schema)."""


class Conflict(SessionatorError):
    """409: a patch that cannot apply, too many namespaces, or a write that lost every race."""


class PreconditionFailed(SessionatorError):
    """412: the namespace is not in the state If-Match or If-None-Match asked for."""


class PayloadTooLarge(SessionatorError):
    """413: the document is over its namespace's size limit; ``details`` name it."""


class UnsupportedMediaType(SessionatorError):
    """415: the body was sent as a media type the endpoint does not take."""


class ValidationFailed(SessionatorError):
    """422: the document breaks its namespace's schema; ``details`` map paths to messages."""


class RateLimited(SessionatorError):
    """429: the key is over its rate limit; ``retry_after`` says for how long."""


class ServiceUnavailable(SessionatorError):
    """503: the store (or the namespace's schema) is unavailable for now; see ``retry_after``."""


class ServerError(SessionatorError):
    """500 or another 5xx: a bug or a proxy in the way."""


class ConnectionFailed(SessionatorError):
    """No answer: the connection failed or timed out."""


FAMILIES: dict[int, type[SessionatorError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: PreconditionFailed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: ValidationFailed,
    429: RateLimited,
    503: ServiceUnavailable,
}


def error_from(response: httpx.Response) -> SessionatorError:
    """The exception of an error answer: its family, with the service's code and message."""
    family = FAMILIES.get(response.status_code)
    if family is None:
        family = ServerError if response.status_code >= 500 else SessionatorError
    body = _error_body(response)
    return family(
        str(body.get("message") or response.reason_phrase),
        status=response.status_code,
        code=str(body.get("error") or f"http_{response.status_code}"),
        details=body.get("details") if isinstance(body.get("details"), dict) else None,
        retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        request_id=response.headers.get("X-Request-ID"),
    )


def _error_body(response: httpx.Response) -> dict[str, Any]:
    """The JSON error body, or nothing if something else answered (a proxy's HTML page)."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` in seconds from now: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
