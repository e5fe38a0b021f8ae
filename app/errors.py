"""The one exception hierarchy of the service: each error's status and code.

``app.api.errors`` turns them into HTTP responses, in one place.

Every error body is ``{"error": CODE, "message": SENTENCE}`` plus ``details``
where there is more to say; a refusal by a quota or limit names it in
``details`` as ``{"limit": NAME, "value": VALUE}``. The codes, and the only statuses the service
chooses:

====  ========================  ==============================================
400   invalid_json              body is not JSON (RFC 8259), or not UTF-8
400   root_must_be_object       body is JSON but not an object
400   invalid_session_id        session id out of contract
400   invalid_namespace         namespace name out of contract
400   invalid_query             query parameters out of contract
400   too_deep                  JSON nested deeper than MAX_JSON_DEPTH
400   bad_request               a request HTTP itself cannot parse (a malformed
                                request line or header, a broken chunked body,
                                a body that ends early)
400   invalid_patch             a PATCH body that is not a valid patch document
401   unauthorized              no API key, or not one the tenants file lists;
                                with ``WWW-Authenticate: Bearer``
403   forbidden                 the key's tenant has no grant for this; ``details``
                                name what was refused
404   not_found                 no such namespace, or no such route
405   method_not_allowed        with an ``Allow`` header
408   request_timeout           the request did not arrive whole within
                                REQUEST_READ_TIMEOUT_MS
409   patch_conflict            a valid patch that cannot apply to the document
                                (a missing path, a failed ``test``)
409   write_conflict            a PATCH lost the race to concurrent writes too often
409   too_many_namespaces       a new namespace would take the session over
                                MAX_NAMESPACES_PER_SESSION
412   precondition_failed       If-Match or If-None-Match does not hold
413   payload_too_large         body (or patched document) over the namespace's
                                size limit: its schema's maxBytes, else
                                MAX_BODY_BYTES
415   unsupported_media_type    a write whose Content-Type is not JSON
422   validation_failed         body breaks the namespace's schema; ``details``
                                maps each failing field path to its messages
429   rate_limited              the key is over its rate limit; with ``Retry-After``
500   internal_error            a bug; logged, never shown as a stack trace
503   schema_unavailable        the namespace's schema file does not load and
                                never has: writes are refused until it is fixed
503   store_unavailable         Redis cannot be reached; with ``Retry-After``
====  ========================  ==============================================
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

RETRY_AFTER_SECONDS = 1


class ServiceError(Exception):
    """Base of every error the service answers with; carries status and code."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(
        self,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class InvalidJson(ServiceError):
    """The body is not valid JSON."""

    status, code = 400, "invalid_json"


class RootMustBeObject(ServiceError):
    """The body is valid JSON but not an object."""

    status, code = 400, "root_must_be_object"


class InvalidSessionId(ServiceError):
    """A session id outside the contract's alphabet or length."""

    status, code = 400, "invalid_session_id"


class InvalidNamespace(ServiceError):
    """A namespace name outside the contract's grammar or length."""

    status, code = 400, "invalid_namespace"


class InvalidQuery(ServiceError):
    """Query parameters that the endpoint does not take, or too many names."""

    status, code = 400, "invalid_query"


class TooDeep(ServiceError):
    """JSON nested deeper than the configured limit."""

    status, code = 400, "too_deep"


class Unauthorized(ServiceError):
    """No API key, or one that no tenant holds."""

    status, code = 401, "unauthorized"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="sessionator"'})


class Forbidden(ServiceError):
    """The key's tenant has no grant for what the request asks."""

    status, code = 403, "forbidden"


class NotFound(ServiceError):
    """No such namespace."""

    status, code = 404, "not_found"


class BadRequest(ServiceError):
    """A request HTTP itself cannot parse, such as a body whose chunked framing is broken."""

    status, code = 400, "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"Connection": "close"})


class RequestTimeout(ServiceError):
    """The request did not arrive whole in time (REQUEST_READ_TIMEOUT_MS)."""

    status, code = 408, "request_timeout"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"Connection": "close"})


class InvalidPatch(ServiceError):
    """A PATCH body that is not a valid merge patch or JSON Patch document."""

    status, code = 400, "invalid_patch"


class PatchConflict(ServiceError):
    """A well-formed patch that cannot be applied to the stored document."""

    status, code = 409, "patch_conflict"


class WriteConflict(ServiceError):
    """A read-modify-write lost to concurrent writes more times than it may retry."""

    status, code = 409, "write_conflict"


class TooManyNamespaces(ServiceError):
    """A new namespace would take the session over its namespace quota."""

    status, code = 409, "too_many_namespaces"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The session already holds {limit} namespaces, the most one session may hold "
            "(MAX_NAMESPACES_PER_SESSION); delete one first.",
            details={"limit": "MAX_NAMESPACES_PER_SESSION", "value": limit},
        )


class PreconditionFailed(ServiceError):
    """An If-Match or If-None-Match precondition of a write does not hold."""

    status, code = 412, "precondition_failed"


def namespace_not_found(session_id: str, namespace: str) -> NotFound:
    """The 404 for a namespace the session does not hold."""
    return NotFound(f"Session {session_id!r} has no namespace {namespace!r}.")


def namespace_precondition_failed(session_id: str, namespace: str) -> PreconditionFailed:
    """The 412 for a write whose If-Match or If-None-Match does not hold."""
    return PreconditionFailed(
        f"Namespace {namespace!r} of session {session_id!r} is not in the state If-Match or "
        "If-None-Match asks for; read it again (its ETag) and retry."
    )


class PayloadTooLarge(ServiceError):
    """The body, or the document it would make, is over the namespace's size limit."""

    status, code = 413, "payload_too_large"

    def __init__(self, message: str, limit: str, value: int) -> None:
        super().__init__(message, details={"limit": limit, "value": value})


class UnsupportedMediaType(ServiceError):
    """A write whose Content-Type is not JSON."""

    status, code = 415, "unsupported_media_type"


class ValidationFailed(ServiceError):
    """The body breaks the namespace's schema."""

    status, code = 422, "validation_failed"


class RateLimited(ServiceError):
    """The key has sent more requests than its rate limit allows."""

    status, code = 429, "rate_limited"

    def __init__(self, tenant: str, limit: str, retry_after: int) -> None:
        super().__init__(
            f"Tenant {tenant!r} is over its rate limit of {limit} per key; "
            f"retry after {retry_after} s.",
            details={"limit": "rate_limit", "value": limit},
            headers={"Retry-After": str(retry_after)},
        )


class SchemaUnavailable(ServiceError):
    """The namespace has a schema file that has never loaded: fail closed."""

    status, code = 503, "schema_unavailable"


class StoreUnavailable(ServiceError):
    """Redis cannot be reached or refused the command."""

    status, code = 503, "store_unavailable"

    def __init__(
        self,
        message: str = "The session store is unavailable; retry shortly.",
        reason: str | None = None,
    ) -> None:
        super().__init__(message, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        self.reason = reason  # why, for the logs: an error class or Redis's error code


# Werkzeug raises these itself (routing, body limits); they get contract codes.
HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}
HTTP_MESSAGES = {
    404: "No such resource.",
    405: "This method is not allowed on this resource.",
}


def error_codes() -> dict[int, dict[str, str]]:
    """Every code the service answers with, by status, each with when (for the API document)."""
    found: dict[int, dict[str, str]] = {500: {"internal_error": "A bug; logged, never shown."}}
    pending = ServiceError.__subclasses__()
    while pending:
        kind = pending.pop()
        found.setdefault(kind.status, {})[kind.code] = (kind.__doc__ or "").strip()
        pending += kind.__subclasses__()
    for status, code in HTTP_CODES.items():
        meaning = HTTP_MESSAGES.get(status) or "A request HTTP itself cannot parse."
        found.setdefault(status, {}).setdefault(code, meaning)
    return {status: dict(sorted(codes.items())) for status, codes in sorted(found.items())}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> bytes:
    """The contract's error body: ``{"error": code, "message": ...}`` plus ``details``."""
    body: dict[str, Any] = {"error": code, "message": message}
    if details:
        body["details"] = details
    # ASCII with escapes: a message may quote a client's text, lone surrogates included.
    return json.dumps(body, separators=(",", ":")).encode()
