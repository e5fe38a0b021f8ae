"""The operations of the document: what the URL map cannot say about a view, made an operation.

`Endpoint` is one view's documentation (the table of them is
`app.openapi.endpoints`); `Endpoint.operation` makes the OpenAPI operation of
the view, on its own path or on the path of one namespace.
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
class NamespacePath:
    """A namespace with paths of its own: its name, the stem of its ids, its schema if any."""

    name: str
    stem: str
    component: NamespaceComponent | None = None


@dataclass(frozen=True)
class Endpoint:
    """One view's documentation, less what the URL map and its docstring say."""

    operation_id: str  # camelCase: generators make a function of it
    tag: str
    success: dict[int, dict[str, Any]]
    errors: tuple[int, ...] = ()
    parameters: tuple[str, ...] = ()  # names under components.parameters
    body: dict[str, Any] | None = None
    guarded: str = ""  # "key": a valid key is needed; "grants": and the tenant's grants
    writes: bool = False  # the 200 is the document just written, which its schema accepted
    verb: str = ""  # on a namespace path of its own, the id is this verb and the stem
    deprecated: bool = False

    def statuses(self, access: Access) -> tuple[int, ...]:
        """Every error status: its own, and 401, 403, 429 and 503 (the rate counter) by access."""
        added: tuple[int, ...] = ()
        if access.keys and self.guarded:
            added = (401, *((403,) if self.guarded == "grants" else ()))
            added += (429, 503) if access.rate_limited else ()
        return tuple(sorted({*self.errors, *added}))

    def operation(
        self, view: Callable[..., Any], access: Access, namespace: NamespacePath | None = None
    ) -> dict[str, Any]:
        """The OpenAPI operation of ``view`` under this instance's ``access``.

        ``namespace`` is the namespace of a path of its own, if this is one.
        """
        # Docstrings are reStructuredText; the document's texts are Markdown.
        doc = (inspect.getdoc(view) or "").replace("``", "`")
        summary, _, description = doc.partition("\n")
        success = dict(self.success)
        if self.writes:
            success[200] = {**success[200], "links": _follow_ups(namespace)}
        operation: dict[str, Any] = {
            "operationId": self.verb + namespace.stem if namespace else self.operation_id,
            "tags": [namespace.stem if namespace and namespace.component else self.tag],
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
        if self.deprecated:
            operation["deprecated"] = True
        return operation

    def for_namespace(
        self, namespace: NamespacePath, view: Callable[..., Any], access: Access
    ) -> dict[str, Any]:
        """The operation on the path of ``namespace`` alone, typed by its schema if it has one."""
        component = namespace.component
        endpoint = self if component is None else self._with_schema(component)
        operation = endpoint.operation(view, access, namespace)
        operation["parameters"].remove("Namespace")
        return operation

    def _with_schema(self, component: NamespaceComponent) -> Endpoint:
        success = dict(self.success)
        body = self.body
        if self.writes:  # validated by the schema in force just now
            ok = dict(success[200])
            ok["content"] = {"application/json": {"schema": {"$ref": component.stored_ref}}}
            success[200] = ok
        if body is not None and "application/json" in body["content"]:
            body = {**body, "content": {"application/json": {"schema": {"$ref": component.ref}}}}
        return replace(self, success=success, body=body)


def _follow_ups(namespace: NamespacePath | None) -> dict[str, Any]:
    """Links from a namespace just written to what may follow: read, patch, JSON Patch,
    delete, touch.

    ``namespace`` is that of a path of its own, where ``ns`` is no parameter.
    """
    ids = {"sid": "$request.path.sid", **({} if namespace else {"ns": "$request.path.ns"})}
    stem = namespace.stem if namespace else "Namespace"
    if_match = {"header.If-Match": "$response.header.ETag"}
    return {
        "read": {"operationId": f"get{stem}", "parameters": ids},
        "patch": {"operationId": f"patch{stem}", "parameters": {**ids, **if_match}},
        "jsonPatch": {"operationId": f"jsonPatch{stem}", "parameters": {**ids, **if_match}},
        "delete": {"operationId": f"delete{stem}", "parameters": {**ids, **if_match}},
        "touch": {"operationId": "touchSession", "parameters": {"sid": "$request.path.sid"}},
    }
