"""What the console shows of a session: its readable namespaces, each with its metadata.

Only namespaces the caller may read are read at all: the session's names
are listed, filtered by the caller's read grants, and only those documents
fetched, so a namespace the tenant may not read appears in no list, count
or message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from app.access.grants import current_caller, readable
from app.console.pretty import pretty
from app.documents import client_data, with_expiry
from app.services import current_services
from app.store.preconditions import etag_of
from schema_registry import Registry, ValidationFailed


@dataclass(frozen=True)
class Verdict:
    """Whether a stored document still validates against the schema in force."""

    state: str  # "valid", "invalid", "free" (no schema) or "unchecked" (schema broken)
    message: str
    details: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class NamespaceView:
    """One namespace as the console shows it."""

    name: str
    text: str  # the client's fields, pretty-printed
    metadata: dict[str, Any]  # _modified, _expires, _schemaVersion
    etag: str
    verdict: Verdict
    writable: bool


def read_session(sid: str) -> list[NamespaceView]:
    """The namespaces of ``sid`` that the caller may read, sorted by name."""
    repository = current_services().repository
    names, _ = repository.read_session(sid, [])
    _, found = repository.read_session(sid, readable(names))
    registry = current_services().schemas.registry
    tenant = current_caller().tenant
    return [
        namespace_view(name, stored.document, stored.expires, registry, tenant.may_write(name))
        for name, stored in sorted(found.items())
    ]


def namespace_view(
    name: str, document: bytes, expires: int | None, registry: Registry, writable: bool
) -> NamespaceView:
    """One stored document, parsed and judged against the schema in force."""
    served = json.loads(with_expiry(document, expires))
    data = client_data(served)
    metadata = {key: served.get(key) for key in ("_modified", "_expires", "_schemaVersion")}
    return NamespaceView(
        name,
        pretty(data),
        metadata,
        etag_of(document),
        verdict(registry, name, data, served.get("_schemaVersion")),
        writable,
    )


def verdict(registry: Registry, name: str, data: dict[str, Any], version: str | None) -> Verdict:
    """Whether ``data`` validates against the schema in force for namespace ``name``."""
    entry = registry.entry(name)
    if entry is None:
        return Verdict("free", "No schema: any JSON object is accepted.")
    if entry.schema is None:
        return Verdict("unchecked", f"Not checked: its schema ({entry.source}) does not load.")
    try:
        entry.schema.validate(data)
    except ValidationFailed as failed:
        return Verdict("invalid", "Breaks the schema in force.", failed.details)
    if version != entry.schema.digest:
        return Verdict("valid", "Valid under the schema in force (written under another version).")
    return Verdict("valid", "Valid under the schema in force.")
