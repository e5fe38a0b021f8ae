"""The one place that turns exceptions into HTTP responses: the contract's JSON error body.

Every ``ServiceError`` becomes its status and code; Werkzeug's own errors
(routing, body limits) get contract codes; anything else is a 500 that is
logged, never shown. A 503 from the store notes its cause for the request's
log line (``app.logs``), so an operator can tell a full store from a
failover without reading a trace.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from app.errors import (
    HTTP_CODES,
    HTTP_MESSAGES,
    ServiceError,
    StoreUnavailable,
    ValidationFailed,
    error_body,
)
from app.logs import log_unexpected
from schema_registry import ValidationFailed as SchemaValidationFailed

log = logging.getLogger(__name__)


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Build the contract's JSON error response."""
    response = Response(error_body(code, message, details), status, mimetype="application/json")
    response.headers.update(headers or {})
    return response


def _from_service_error(error: ServiceError) -> Response:
    if isinstance(error, StoreUnavailable) and error.reason:
        g.error_reason = error.reason
    return error_response(error.status, error.code, error.message, error.details, error.headers)


def _from_schema_error(error: SchemaValidationFailed) -> Response:
    failing = ", ".join(sorted(error.details))
    return _from_service_error(
        ValidationFailed(f"The document breaks the schema at: {failing}.", error.details)
    )


def _from_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    code = HTTP_CODES.get(status) or (error.name or "error").lower().replace(" ", "_")
    message = HTTP_MESSAGES.get(status) or _first_sentence(error.description)
    headers = {k: v for k, v in error.get_headers() if k.lower() not in ("content-type",)}
    if status == 413:
        message = "The request body is larger than this service accepts."
    return error_response(status, code, message, headers=headers)


def _from_unexpected(error: Exception) -> Response:
    log_unexpected(log, error)
    return error_response(500, "internal_error", "The service failed; this is a bug.")


def _first_sentence(text: str | None) -> str:
    return (text or "The request could not be served.").split("  ")[0].strip()


def register_error_handlers(app: Flask) -> None:
    """Route every exception to the JSON error body; nothing else answers errors."""
    app.register_error_handler(ServiceError, _from_service_error)
    app.register_error_handler(SchemaValidationFailed, _from_schema_error)
    app.register_error_handler(HTTPException, _from_http_exception)
    app.register_error_handler(Exception, _from_unexpected)
