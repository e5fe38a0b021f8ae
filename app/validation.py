"""Which schema a namespace obeys, and failing closed when it cannot be known."""

from __future__ import annotations

from typing import Any

from app.errors import SchemaUnavailable
from schema_registry import CompiledSchema, Registry


def validate_for_namespace(
    registry: Registry, namespace: str, data: dict[str, Any]
) -> CompiledSchema | None:
    """Validate ``data`` by the namespace's schema; that schema, or None if it has none.

    A namespace whose schema file exists but has never loaded refuses writes,
    rather than accepting anything as a namespace without a schema would.
    """
    entry = registry.entry(namespace)
    if entry is None:
        return None
    if entry.schema is None:
        problems = "; ".join(str(problem) for problem in entry.problems[:3])
        raise SchemaUnavailable(
            f"Namespace {namespace!r} has a schema that does not load, so writes to it are "
            f"refused until {entry.source} is fixed: {problems}",
            headers={"Retry-After": "60"},
        )
    entry.schema.validate(data)
    return entry.schema
