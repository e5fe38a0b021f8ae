"""What the URL map cannot say about each view: its answers, parameters, body and access.

One `Endpoint` per Flask endpoint name. `app.openapi.document` walks the URL map and
asks this table for each route it finds; a route missing here stops the
document from being built (and the tests from passing), so no endpoint goes
undocumented.
"""

from __future__ import annotations

from typing import Any

from app.openapi.components import JsonSchema
from app.openapi.paths import Endpoint, schema_ref


def _json(schema: JsonSchema, description: str, *headers: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {name: name for name in ("X-Request-ID", *headers)},
        "content": {"application/json": {"schema": schema}},
    }


def _text(description: str, *media_types: str) -> dict[str, Any]:
    """A 200 whose body is not JSON: a string in each of ``media_types``."""
    return {
        "description": description,
        "headers": {"X-Request-ID": "X-Request-ID"},
        "content": {media: {"schema": {"type": "string"}} for media in media_types},
    }


def _body(description: str, content: dict[str, JsonSchema]) -> dict[str, Any]:
    media = {media_type: {"schema": schema} for media_type, schema in content.items()}
    return {"required": True, "description": description, "content": media}


_DOCUMENT = _json(schema_ref("StoredDocument"), "The document.", "Cache-Control", "ETag")
_STORED = _json(schema_ref("StoredDocument"), "The document as stored.", "Cache-Control", "ETag")
_NOT_MODIFIED = {
    "description": "Not modified: If-None-Match names the document's ETag.",
    "headers": {"X-Request-ID": "X-Request-ID", "ETag": "ETag"},
}
_DEPRECATION = {name: name for name in ("Deprecation", "Link")}
_PATCH_ERRORS = (400, 404, 409, 412, 413, 415, 422, 503)
_IDS = ("SessionId",)
_NS = ("SessionId", "Namespace")

_TOUCHED = _json(schema_ref("Touched"), "The session lives on.", "Cache-Control")

ENDPOINTS: dict[str, Endpoint] = {
    "sessions.get_session": Endpoint(
        "getSession",
        "sessions",
        {200: _json(schema_ref("Session"), "Names, then documents asked for.", "Cache-Control")},
        (400, 503),
        (*_IDS, "Namespaces"),
        guarded="grants",
    ),
    "sessions.delete_session": Endpoint(
        "deleteSession",
        "sessions",
        {200: _json(schema_ref("Removed"), "1 if the session held a namespace.", "Cache-Control")},
        (400, 503),
        _IDS,
        guarded="grants",
    ),
    "sessions.touch_session": Endpoint(
        "touchSession", "sessions", {200: _TOUCHED}, (400, 404, 503), _IDS, guarded="grants"
    ),
    "sessions.touch_session_deprecated": Endpoint(
        "touchSessionDeprecated",
        "sessions",
        {200: {**_TOUCHED, "headers": {**_TOUCHED["headers"], **_DEPRECATION}}},
        (400, 404, 503),
        _IDS,
        guarded="grants",
        deprecated=True,
    ),
    "sessions.get_namespace": Endpoint(
        "getNamespace",
        "namespaces",
        {200: _DOCUMENT, 304: _NOT_MODIFIED},
        (400, 404, 503),
        (*_NS, "IfNoneMatch"),
        guarded="grants",
        verb="get",
    ),
    "sessions.put_namespace": Endpoint(
        "putNamespace",
        "namespaces",
        {200: _STORED},
        (400, 409, 412, 413, 415, 422, 503),
        (*_NS, "IfMatch", "IfNoneMatch"),
        _body(
            "The whole document: a JSON object. Metadata members sent back are ignored.",
            {"application/json": schema_ref("Document")},
        ),
        guarded="grants",
        writes=True,
        verb="put",
    ),
    "sessions.patch_namespace": Endpoint(
        "patchNamespace",
        "namespaces",
        {200: _STORED},
        _PATCH_ERRORS,
        (*_NS, "IfMatch"),
        _body(
            "A merge patch (RFC 7396). This path also takes a JSON Patch sent as "
            "`application/json-patch+json`; its typed operation is on `.../_json-patch`.",
            {"application/merge-patch+json": schema_ref("MergePatch")},
        ),
        guarded="grants",
        writes=True,
        verb="patch",
    ),
    "sessions.json_patch_namespace": Endpoint(
        "jsonPatchNamespace",
        "namespaces",
        {200: _STORED},
        _PATCH_ERRORS,
        (*_NS, "IfMatch"),
        _body(
            "A JSON Patch (RFC 6902): operations applied in order, all or none.",
            {"application/json-patch+json": schema_ref("JsonPatch")},
        ),
        guarded="grants",
        writes=True,
        verb="jsonPatch",
    ),
    "sessions.delete_namespace": Endpoint(
        "deleteNamespace",
        "namespaces",
        {200: _json(schema_ref("Deleted"), "The namespace is gone.", "Cache-Control")},
        (400, 404, 412, 503),
        (*_NS, "IfMatch"),
        guarded="grants",
        verb="delete",
    ),
    "schemas.list_schemas": Endpoint(
        "listSchemas",
        "schemas",
        {200: _json(schema_ref("SchemaList"), "Every schema.", "Cache-Control")},
        (400,),
        guarded="key",
    ),
    "schemas.get_schema": Endpoint(
        "getSchema",
        "schemas",
        {200: _json(schema_ref("SchemaDetail"), "The schema.", "Cache-Control")},
        (400, 404),
        ("SchemaName",),
        guarded="key",
    ),
    "health.ready": Endpoint(
        "getReadiness",
        "probes",
        {200: _json(schema_ref("Readiness"), "Ready to serve.", "Cache-Control")},
        (503,),
    ),
    "health.alive": Endpoint(
        "getLiveness",
        "probes",
        {200: _json(schema_ref("Alive"), "The worker answers.", "Cache-Control")},
    ),
    "metrics.scrape": Endpoint(
        "getMetrics",
        "probes",
        {200: _text("Prometheus metrics of every worker, in the text format.", "text/plain")},
    ),
    "apidocs.openapi_document": Endpoint(
        "getOpenapiDocument",
        "documentation",
        {200: _json({"type": "object"}, "This document.", "Cache-Control")},
    ),
    "apidocs.docs_page": Endpoint(
        "getDocsPage",
        "documentation",
        {200: _text("Swagger UI on this document, with its assets served from here.", "text/html")},
    ),
    "apidocs.docs_asset": Endpoint(
        "getDocsAsset",
        "documentation",
        {
            200: _text(
                "A file of Swagger UI, as its package ships it.",
                "text/css",
                "text/javascript",
                "image/png",
            )
        },
        (404,),
        ("Asset",),
    ),
}

UNDOCUMENTED = frozenset({"static"})  # Flask's own static route: the service has no static folder
# Blueprints of pages for people, not API: the operator console (docs/console.md).
UNDOCUMENTED_BLUEPRINTS = frozenset({"console"})


def is_documented(endpoint: str) -> bool:
    """Whether the route of ``endpoint`` belongs in the OpenAPI document."""
    blueprint, _, _ = endpoint.rpartition(".")
    return endpoint not in UNDOCUMENTED and blueprint not in UNDOCUMENTED_BLUEPRINTS
