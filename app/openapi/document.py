"""The service's OpenAPI 3.1 document, generated from its code and rebuilt when schemas reload.

Where each part comes from:

- paths and methods: the Flask URL map; summaries and descriptions: the views' docstrings;
- statuses, error codes and their meanings: ``app.errors``;
- bodies: the marshmallow schemas of ``app.openapi.components``, through apispec;
- namespace schemas: the registry in force, one component each. A namespace
  with a schema also gets paths of its own (``/v1/sessions/{sid}/<name>``,
  which OpenAPI matches before the templated path) whose PUT body is that
  component, so clients and schemathesis see the real shape.

The document describes this instance: with a tenants file every ``/v1``
operation needs a Bearer key and may answer 401, 403 and 429; open, none of
those can happen and the document says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from app.documents import dumps
from app.errors import error_codes
from app.identifiers import is_namespace
from app.openapi.components import (
    BODY_COMPONENTS,
    EXTRA,
    MARSHMALLOW_COMPONENTS,
    NamespaceComponent,
    namespace_components,
)
from app.openapi.endpoints import ENDPOINTS, is_documented
from app.openapi.naming import namespace_stems
from app.openapi.parameters import HEADERS, PARAMETERS
from app.openapi.paths import Access, Endpoint, NamespacePath, response_name
from app.services import Services
from schema_registry import Registry

OPENAPI_VERSION = "3.1.0"
ERROR = "#/components/schemas/Error"
NAMESPACE_PATH = re.compile(r"/v1/sessions/\{sid\}/\{ns\}(?:/.*)?")

TAGS = {
    "sessions": "A session: its namespaces listed or read at once, deleted, kept alive.",
    "namespaces": "One namespace of a session: any JSON object, or one its schema accepts.",
    "schemas": "The namespace schemas in force.",
    "probes": "For the platform: is this instance ready?",
    "documentation": "This document, and a page to browse it.",
}
ERROR_HEADERS = {429: ("Retry-After",), 503: ("Retry-After",), 401: ("WWW-Authenticate",)}


def build_document(app: Flask, registry: Registry, access: Access) -> dict[str, Any]:
    """The OpenAPI document of ``app`` with the schemas of ``registry``."""
    spec = APISpec(
        # Generators name their package after the title: "sessionator-api-client",
        # which is not the official client's name (sessionator-client).
        title="Sessionator API",
        version=_package_version(),
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin()],
        info={"description": _description(access)},
    )
    components = _add_components(spec, registry, access)
    for name, description in TAGS.items():
        spec.tag({"name": name, "description": description})
    paths, namespaces = _operations(app, access, components)
    for namespace in namespaces:
        if namespace.component is not None:
            spec.tag(_namespace_tag(namespace, namespace.component))
    for path, methods in paths.items():
        spec.path(path=path, operations=methods)
    return spec.to_dict()


def _namespace_tag(namespace: NamespacePath, component: NamespaceComponent) -> dict[str, str]:
    return {
        "name": namespace.stem,
        "description": f"Namespace `{namespace.name}`, which has a schema: "
        f"`components.schemas['{component.key}']`. PUT and PATCH answer with documents "
        "it accepts; GET answers what was stored, which matches it when its "
        "`_schemaVersion` is the version in force.",
    }


def _add_components(spec: APISpec, registry: Registry, access: Access) -> list[NamespaceComponent]:
    for name, schema in MARSHMALLOW_COMPONENTS.items():
        described = {
            "description": (schema.__doc__ or "").replace("``", "`"),
            **EXTRA.get(name, {}),
        }
        spec.components.schema(name, described, schema=schema)
    for name, component in BODY_COMPONENTS.items():
        spec.components.schema(name, component)
    namespaces = namespace_components(registry, spec.components.schemas)
    for namespace in namespaces:
        spec.components.schema(namespace.key, namespace.schema)
    for namespace in namespaces:
        spec.components.schema(namespace.stored_key, namespace.stored_schema())
    for name, header in HEADERS.items():
        spec.components.header(name, header)
    for name, (location, parameter) in PARAMETERS.items():
        spec.components.parameter(name, location, parameter)
    for status, codes in error_codes().items():
        if status not in (405, 500):  # no documented operation answers either
            spec.components.response(response_name(status), _error_response(status, codes))
    if access.keys:
        spec.components.security_scheme(
            "bearer", {"type": "http", "scheme": "bearer", "description": "A tenant's API key."}
        )
    return namespaces


def _error_response(status: int, codes: dict[str, str]) -> dict[str, Any]:
    """The response of an error status: the one ``Error`` body, with this status's codes listed.

    Every status shares the one ``Error`` component (its ``error`` enum lists
    every code): a schema per status would make generators write a model per
    operation and status.
    """
    listed = "\n".join(f"- `{code}`: {meaning}" for code, meaning in codes.items())
    headers = ("X-Request-ID", *ERROR_HEADERS.get(status, ()))
    return {
        "description": f"{HTTPStatus(status).phrase}, with one of these codes:\n\n{listed}",
        "headers": {name: name for name in headers},
        "content": {"application/json": {"schema": {"$ref": ERROR}}},
    }


Methods = dict[str, dict[str, Any]]
# A path the URL map has where a namespace could be (`/v1/sessions/{sid}/touch`).
_SHADOWING = re.compile(r"/v1/sessions/\{sid\}/([^/{}]+)")


def _operations(
    app: Flask, access: Access, components: list[NamespaceComponent]
) -> tuple[dict[str, Methods], list[NamespacePath]]:
    """Every documented operation by path and method: the URL map's, then per namespace.

    A namespace gets paths of its own when it has a schema, and when the URL
    map has a route in its place: OpenAPI matches a concrete path before a
    templated one, so that path must document the namespace's methods too.
    """
    paths: dict[str, Methods] = {}
    per_namespace: list[tuple[str, str, Endpoint, Callable[..., Any]]] = []
    for rule in app.url_map.iter_rules():
        if not is_documented(rule.endpoint):
            continue
        endpoint = ENDPOINTS.get(rule.endpoint)
        if endpoint is None:
            raise LookupError(
                f"route {rule.rule} ({rule.endpoint}) is not in app.openapi.endpoints"
            )
        view = app.view_functions[rule.endpoint]
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = endpoint.operation(view, access)
            if NAMESPACE_PATH.fullmatch(path):
                per_namespace.append((path, method.lower(), endpoint, view))
    namespaces = _namespace_paths(paths, components)
    for namespace in namespaces:
        for path, method, endpoint, view in per_namespace:
            operation = endpoint.for_namespace(namespace, view, access)
            paths.setdefault(path.replace("{ns}", namespace.name), {})[method] = operation
    return paths, namespaces


def _namespace_paths(
    paths: dict[str, Methods], components: list[NamespaceComponent]
) -> list[NamespacePath]:
    """The namespaces with paths of their own: those with a schema, and those a route shadows."""
    by_name = {component.namespace: component for component in components}
    shadowed = {
        match[1]
        for path in paths
        if (match := _SHADOWING.fullmatch(path)) and is_namespace(match[1])
    }
    names = sorted({*shadowed, *by_name})
    taken = {
        operation["operationId"] for methods in paths.values() for operation in methods.values()
    }
    stems = namespace_stems(names, taken)
    return [NamespacePath(name, stems[name], by_name.get(name)) for name in names]


def _description(access: Access) -> str:
    mode = (
        "**Access**: this instance has a tenants file: every `/v1` operation needs "
        "`Authorization: Bearer <key>`; a key's tenant may only do what its grants say."
        if access.keys
        else "**Access**: this instance runs **open** (no tenants file, development only): "
        "no key is asked for and everything is allowed, so 401, 403 and 429 never happen."
    )
    return "\n\n".join(
        [
            "A multi-tenant session store: small JSON documents (namespaces) per session id. "
            "The contract in prose is `docs/api.md`.",
            mode,
            "The probes, `/openapi.json` and `/docs` need no key. `HEAD` works wherever `GET` "
            'does and `OPTIONS` everywhere (JSON: `{"allow": [...]}`); another method is '
            "`405 method_not_allowed` with `Allow`. A request gunicorn cannot parse or that is "
            "over its limits (a request line over 16 KiB, more than 50 header fields) is `400`, "
            "`414 uri_too_long` or `431` with the same JSON error body. A `500 internal_error` "
            "is a bug.",
            "Every namespace schema in force is a component named by its namespace, and the "
            "namespace has paths of its own that refer to it.",
        ]
    )


def _package_version() -> str:
    try:
        return version("sessionator")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0"


class DocumentCache:
    """The document as served, built again only when the registry in force is another snapshot.

    The SchemaHolder replaces its registry whole on reload, so identity tells
    whether a schema changed. Two threads may both build after a reload; they
    build the same bytes, and the last assignment wins.
    """

    def __init__(self) -> None:
        self._built: tuple[Registry, bytes] | None = None

    def document(self, app: Flask, services: Services) -> bytes:
        """The OpenAPI document of ``app`` as compact JSON."""
        registry = services.schemas.registry
        built = self._built
        if built is None or built[0] is not registry:
            built = (registry, dumps(build_document(app, registry, Access.of(services))))
            self._built = built
        return built[1]
