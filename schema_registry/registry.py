"""Immutable snapshots of the compiled schemas the service validates against."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from schema_registry.compiler import CompiledSchema


class Registry:
    """A read-only set of compiled schemas, looked up by name.

    A registry never changes after it is built. Reloading builds a new one,
    and the service swaps it in with one assignment, so a request sees either
    the old set of schemas or the new one, never a mix.
    """

    __slots__ = ("_schemas",)

    _schemas: Mapping[str, CompiledSchema]

    def __init__(self, schemas: Iterable[CompiledSchema] = ()) -> None:
        """Snapshot ``schemas``; two schemas of one name are a `ValueError`."""
        by_name: dict[str, CompiledSchema] = {}
        for schema in schemas:
            if schema.name in by_name:
                raise ValueError(f"two schemas are named {schema.name!r}")
            by_name[schema.name] = schema
        object.__setattr__(self, "_schemas", MappingProxyType(by_name))

    @classmethod
    def empty(cls) -> Registry:
        """Return a registry with no schemas (every namespace is free-form)."""
        return cls()

    def get(self, name: str) -> CompiledSchema | None:
        """Return the schema called ``name``, or None when there is none."""
        return self._schemas.get(name)

    def names(self) -> list[str]:
        """Return the names of all schemas, sorted."""
        return sorted(self._schemas)

    def __contains__(self, name: object) -> bool:
        """Tell whether a schema called ``name`` is in this registry."""
        return name in self._schemas

    def __len__(self) -> int:
        """Return the number of schemas."""
        return len(self._schemas)

    def __setattr__(self, name: str, value: object) -> None:
        """Refuse changes: a registry is a snapshot."""
        raise AttributeError("a Registry is immutable; build a new one instead")

    def __delattr__(self, name: str) -> None:
        """Refuse changes: a registry is a snapshot."""
        raise AttributeError("a Registry is immutable; build a new one instead")

    def __repr__(self) -> str:
        """Show the schema names."""
        return f"Registry({self.names()!r})"
