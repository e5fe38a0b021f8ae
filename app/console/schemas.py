"""The schemas in force, as the console shows them to one caller.

The console lists only the schemas of namespaces the caller may read (the
API's ``/v1/schemas`` lists every one: schemas are not data, but the console
promises that a namespace the tenant may not read appears nowhere in it).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.access.grants import current_caller
from app.console.pretty import pretty
from app.documents import iso_milliseconds
from app.services import current_services
from schema_registry import Registry, SchemaEntry, SchemaProblem, to_json_schema


@dataclass(frozen=True)
class SchemaView:
    """One schema: its state, where it comes from, its problems, its text and JSON Schema."""

    name: str
    status: str  # ok, stale or broken
    source: str
    digest: str  # of the file on disk now
    in_force: str | None  # digest of the version in force
    loaded_at: str
    problems: tuple[SchemaProblem, ...]
    text: str | None  # the version in force, as written
    json_schema: str | None


def schema_views() -> tuple[list[SchemaView], list[str]]:
    """The schemas the caller may read, and load problems that name no schema hidden from it."""
    registry = current_services().schemas.registry
    tenant = current_caller().tenant
    shown = [entry for entry in registry.entries() if tenant.may_read(entry.name)]
    hidden = [entry for entry in registry.entries() if not tenant.may_read(entry.name)]
    return [schema_view(entry, registry) for entry in shown], other_problems(registry, hidden)


def schema_view(entry: SchemaEntry, registry: Registry) -> SchemaView:
    """What the page says about one schema."""
    schema = entry.schema
    exported = None if schema is None else to_json_schema(entry.name, registry)
    return SchemaView(
        entry.name,
        entry.status,
        entry.source,
        entry.digest,
        None if schema is None else schema.digest,
        iso_milliseconds(entry.loaded_at),
        entry.problems,
        None if schema is None else schema.text,
        None if exported is None else pretty(exported),
    )


def other_problems(registry: Registry, hidden: list[SchemaEntry]) -> list[str]:
    """Problems of no schema entry (a missing directory...), unless they name a hidden one."""
    attached = {problem for entry in registry.entries() for problem in entry.problems}
    names = [entry.name for entry in hidden]
    return [
        str(problem)
        for problem in registry.problems
        if problem not in attached and not any(name in str(problem) for name in names)
    ]
