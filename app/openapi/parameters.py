"""The headers and parameters the operations of the document share, by name."""

from __future__ import annotations

from typing import Any

from app.identifiers import REQUEST_ID_PATTERN
from app.openapi.components import NAMESPACE, SESSION_ID, JsonSchema
from app.store.preconditions import ETAG_VALUE

HEADERS: dict[str, JsonSchema] = {
    "X-Request-ID": {
        "description": "The caller's X-Request-ID if it is a sane token, else a new one.",
        "required": True,
        "schema": {"type": "string", "pattern": f"^(?:{REQUEST_ID_PATTERN.pattern})$"},
    },
    "ETag": {
        "description": "The strong ETag of the namespace document: the SHA-1 of it as stored.",
        "required": True,
        "schema": {"type": "string", "pattern": f'^"{ETAG_VALUE.pattern}"$'},
    },
    "Cache-Control": {
        "description": "Session data is never cached.",
        "required": True,
        "schema": {"const": "no-store"},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    "Deprecation": {
        "description": "When this operation was deprecated (RFC 9745): `@` and Unix seconds.",
        "required": True,
        "schema": {"type": "string", "pattern": "^@[0-9]+$"},
    },
    "Link": {
        "description": 'The operation that replaces this one (`rel="successor-version"`).',
        "required": True,
        "schema": {"type": "string"},
    },
    "WWW-Authenticate": {
        "description": "The scheme to authenticate with.",
        "required": True,
        "schema": {"const": 'Bearer realm="sessionator"'},
    },
}
_NAMESPACE_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 128, "pattern": NAMESPACE}

PARAMETERS: dict[str, tuple[str, dict[str, Any]]] = {
    "SessionId": (
        "path",
        {
            "name": "sid",
            "description": "A session id (or user id), chosen by the client.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 256, "pattern": SESSION_ID},
        },
    ),
    "Namespace": (
        "path",
        {
            "name": "ns",
            "description": "A namespace name, like `restaurants.lastVisited.v1`. A namespace "
            "with a schema has paths of its own, which say its schema.",
            "schema": _NAMESPACE_SCHEMA,
        },
    ),
    "SchemaName": ("path", {"name": "name", "schema": _NAMESPACE_SCHEMA}),
    "Namespaces": (
        "query",
        {
            "name": "namespaces",
            "description": "Namespaces to read with the listing; those that do not exist are "
            "left out. A name asked twice counts once.",
            "schema": {"type": "array", "items": _NAMESPACE_SCHEMA, "maxItems": 100},
            "style": "form",
            "explode": True,
        },
    ),
    "IfMatch": (
        "header",
        {
            "name": "If-Match",
            "description": 'Write only if the stored document has one of these ETags (`"<etag>"`, '
            "a list, strong comparison), or, with `*`, exists. Else 412.",
            "schema": {"type": "string"},
        },
    ),
    "IfNoneMatch": (
        "header",
        {
            "name": "If-None-Match",
            "description": "GET: 304 if the document's ETag is listed (weak comparison) or `*`. "
            "PUT: with `*`, create only (412 if the namespace exists).",
            "schema": {"type": "string"},
        },
    ),
    "RequestId": (
        "header",
        {
            "name": "X-Request-ID",
            "description": "Sent back, and logged, if it is 1 to 128 of `A-Z a-z 0-9 . _ : -`; "
            "else the service makes one.",
            "schema": {"type": "string"},
        },
    ),
    "Asset": ("path", {"name": "asset", "schema": {"type": "string"}}),
}
