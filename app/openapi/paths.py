"""What the URL map cannot say about each view: its answers, parameters, body and access.

One `Endpoint` per Flask endpoint name. `app.openapi.document` walks the URL map and
asks this table for each route it finds; a route missing here stops the
document from being built (and the tests from passing), so no endpoint goes
undocumented.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any

from app.openapi.components import JsonSchema, NamespaceComponent
from app.services import Services


def schema_ref(name: str) -> JsonSchema:
    """A reference to one of ``components.schemas``."""
    return {"$ref": f"#/components/schemas/{name}"}


def response_name(status: int) -> str:
    """The key of an error status under ``components.responses``: ``NotFound`` for 404."""
    return re.sub(r"[^A-Za-z]", "", HTTPStatus(status).phrase.title())


def _json(schema: JsonSchema, description: str, *headers: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {name: name for name in ("X-Request-ID", *headers)},
        "content": {"application/json": {"schema": schema}},
    }


def _body(description: str, content: dict[str, JsonSchema]) -> dict[str, Any]:
    media = {media_type: {"schema": schema} for media_type, schema in content.items()}
    return {"required": True, "description": description, "content": media}


@dataclass(frozen=True)
class Access:
    """What the document says about keys: needed or not, and whether rates are limited."""

    keys: bool
    rate_limited: bool

    @classmethod
    def of(cls, services: Services) -> Access:
        """The access mode of this instance."""
        return cls(services.tenants is not None, services.rate_limiter is not None)


@dataclass(frozen=True)
class Endpoint:
    """One view's documentation, less what the URL map and its docstring say."""

    tag: str
    success: dict[int, dict[str, Any]]
    errors: tuple[int, ...] = ()
    parameters: tuple[str, ...] = ()  # names under components.parameters
    body: dict[str, Any] | None = None
    guarded: str = ""  # "key": a valid key is needed; "grants": and the tenant's grants
    writes: bool = False  # the 200 is the document just written, which its schema accepted

    def statuses(self, access: Access) -> tuple[int, ...]:
        """Every error status: its own, and 401, 403, 429 and 503 (the rate counter) by access."""
        added: tuple[int, ...] = ()
        if access.keys and self.guarded:
            added = (401, *((403,) if self.guarded == "grants" else ()))
            added += (429, 503) if access.rate_limited else ()
        return tuple(sorted({*self.errors, *added}))

    def operation(
        self, view: Callable[..., Any], access: Access, namespace: str | None = None
    ) -> dict[str, Any]:
        """The OpenAPI operation of ``view`` under this instance's ``access``.

        ``namespace`` names the namespace of a path of its own, if this is one.
        """
        # Docstrings are reStructuredText; the document's texts are Markdown.
        doc = (inspect.getdoc(view) or "").replace("``", "`")
        summary, _, description = doc.partition("\n")
        success = dict(self.success)
        if self.writes:
            success[200] = {**success[200], "links": _follow_ups(namespace)}
        operation: dict[str, Any] = {
            "operationId": view.__name__ + (f":{namespace}" if namespace else ""),
            "tags": [self.tag],
            "summary": summary,
            "parameters": [*self.parameters, "RequestId"],
            "responses": {
                **success,
                **{status: response_name(status) for status in self.statuses(access)},
            },
        }
        if description.strip():
            operation["description"] = description.strip()
        if self.body is not None:
            operation["requestBody"] = self.body
        if access.keys and self.guarded:
            operation["security"] = [{"bearer": []}]
        return operation

    def for_namespace(
        self,
        name: str,
        component: NamespaceComponent | None,
        view: Callable[..., Any],
        access: Access,
    ) -> dict[str, Any]:
        """The operation on the path of namespace ``name`` alone, whose schema is ``component``."""
        endpoint = self if component is None else self._with_schema(component)
        operation = endpoint.operation(view, access, name)
        operation["parameters"].remove("Namespace")
        if component is not None:
            operation["tags"] = [f"namespace {name}"]
        return operation

    def _with_schema(self, component: NamespaceComponent) -> Endpoint:
        ref = {"$ref": component.ref}
        success = dict(self.success)
        body = self.body
        if self.writes:  # validated by the schema in force just now
            ok = dict(success[200])
            written = {"allOf": [schema_ref("StoredDocument"), ref]}
            ok["content"] = {"application/json": {"schema": written}}
            success[200] = ok
        if body is not None and "application/json" in body["content"]:
            body = {**body, "content": {"application/json": {"schema": ref}}}
        return replace(self, success=success, body=body)


def _follow_ups(namespace: str | None) -> dict[str, Any]:
    """Links from a namespace just written to what may follow: read, patch, delete, touch.

    ``namespace`` is the name of a path of its own, where ``ns`` is no parameter.
    """
    ids = {"sid": "$request.path.sid", **({} if namespace else {"ns": "$request.path.ns"})}
    suffix = f":{namespace}" if namespace else ""
    if_match = {"header.If-Match": "$response.header.ETag"}
    return {
        "read": {"operationId": f"get_namespace{suffix}", "parameters": ids},
        "patch": {"operationId": f"patch_namespace{suffix}", "parameters": {**ids, **if_match}},
        "delete": {"operationId": f"delete_namespace{suffix}", "parameters": {**ids, **if_match}},
        "touch": {"operationId": "touch_session", "parameters": {"sid": "$request.path.sid"}},
    }


_DOCUMENT = _json(schema_ref("StoredDocument"), "The document.", "Cache-Control", "ETag")
_STORED = _json(schema_ref("StoredDocument"), "The document as stored.", "Cache-Control", "ETag")
_NOT_MODIFIED = {
    "description": "Not modified: If-None-Match names the document's ETag.",
    "headers": {"X-Request-ID": "X-Request-ID", "ETag": "ETag"},
}
_IDS = ("SessionId",)
_NS = ("SessionId", "Namespace")

ENDPOINTS: dict[str, Endpoint] = {
    "sessions.get_session": Endpoint(
        "sessions",
        {200: _json(schema_ref("Session"), "Names, then documents asked for.", "Cache-Control")},
        (400, 503),
        (*_IDS, "Namespaces"),
        guarded="grants",
    ),
    "sessions.delete_session": Endpoint(
        "sessions",
        {200: _json(schema_ref("Removed"), "1 if the session held a namespace.", "Cache-Control")},
        (400, 503),
        _IDS,
        guarded="grants",
    ),
    "sessions.touch_session": Endpoint(
        "sessions",
        {200: _json(schema_ref("Touched"), "The session lives on.", "Cache-Control")},
        (400, 404, 503),
        _IDS,
        guarded="grants",
    ),
    "sessions.get_namespace": Endpoint(
        "namespaces",
        {200: _DOCUMENT, 304: _NOT_MODIFIED},
        (400, 404, 503),
        (*_NS, "IfNoneMatch"),
        guarded="grants",
    ),
    "sessions.put_namespace": Endpoint(
        "namespaces",
        {200: _STORED},
        (400, 409, 412, 413, 415, 422, 503),
        (*_NS, "IfMatch", "IfNoneMatch"),
        _body(
            "The whole document: a JSON object. Metadata members sent back are ignored.",
            {"application/json": {"type": "object"}},
        ),
        guarded="grants",
        writes=True,
    ),
    "sessions.patch_namespace": Endpoint(
        "namespaces",
        {200: _STORED},
        (400, 404, 409, 412, 413, 415, 422, 503),
        (*_NS, "IfMatch"),
        _body(
            "A merge patch (RFC 7396) or a JSON Patch (RFC 6902).",
            {
                "application/merge-patch+json": schema_ref("MergePatch"),
                "application/json-patch+json": schema_ref("JsonPatch"),
            },
        ),
        guarded="grants",
        writes=True,
    ),
    "sessions.delete_namespace": Endpoint(
        "namespaces",
        {200: _json(schema_ref("Deleted"), "The namespace is gone.", "Cache-Control")},
        (400, 404, 412, 503),
        (*_NS, "IfMatch"),
        guarded="grants",
    ),
    "schemas.list_schemas": Endpoint(
        "schemas",
        {200: _json(schema_ref("SchemaList"), "Every schema.", "Cache-Control")},
        (400,),
        guarded="key",
    ),
    "schemas.get_schema": Endpoint(
        "schemas",
        {200: _json(schema_ref("SchemaDetail"), "The schema.", "Cache-Control")},
        (400, 404),
        ("SchemaName",),
        guarded="key",
    ),
    "health.ready": Endpoint(
        "probes",
        {200: _json(schema_ref("Readiness"), "Ready to serve.", "Cache-Control")},
        (503,),
    ),
    "health.alive": Endpoint(
        "probes", {200: _json(schema_ref("Alive"), "The worker answers.", "Cache-Control")}
    ),
    "metrics.scrape": Endpoint(
        "probes",
        {
            200: {
                "description": "Prometheus metrics of every worker, in the text format.",
                "headers": {"X-Request-ID": "X-Request-ID"},
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        },
    ),
    "apidocs.openapi_document": Endpoint(
        "documentation", {200: _json({"type": "object"}, "This document.", "Cache-Control")}
    ),
    "apidocs.docs_page": Endpoint(
        "documentation",
        {
            200: {
                "description": "Swagger UI on this document, with its assets served from here.",
                "headers": {"X-Request-ID": "X-Request-ID"},
                "content": {"text/html": {"schema": {"type": "string"}}},
            }
        },
    ),
    "apidocs.docs_asset": Endpoint(
        "documentation",
        {
            200: {
                "description": "A file of Swagger UI, as its package ships it.",
                "headers": {"X-Request-ID": "X-Request-ID"},
                "content": {
                    media: {"schema": {"type": "string"}}
                    for media in ("text/css", "text/javascript", "image/png")
                },
            }
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
