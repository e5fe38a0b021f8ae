"""Immutable snapshots of the schemas the service validates against, with their state."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType

from schema_registry.compiler import CompiledSchema
from schema_registry.errors import SchemaProblem

#: The states of a registry entry.
OK, STALE, BROKEN = "ok", "stale", "broken"


@dataclass(frozen=True)
class SchemaEntry:
    """One schema name of a registry: where it comes from, its state, and the version in force.

    ``status`` is ``"ok"`` (the file loads), ``"stale"`` (the file is broken
    now; ``schema`` is the last good version, still in force) or
    ``"broken"`` (it never loaded; ``schema`` is None and writes to the
    namespace must be refused). ``digest`` is that of the file on disk now,
    which differs from ``schema.digest`` when stale.
    """

    name: str
    source: str
    digest: str
    loaded_at: datetime
    status: str
    problems: tuple[SchemaProblem, ...]
    schema: CompiledSchema | None

    @classmethod
    def of(cls, schema: CompiledSchema, loaded_at: datetime | None = None) -> SchemaEntry:
        """Return the entry of a schema that loaded cleanly."""
        when = loaded_at or datetime.now(UTC)
        return cls(schema.name, schema.source, schema.digest, when, OK, (), schema)


class Registry:
    """A read-only set of schema entries, looked up by name.

    A registry never changes after it is built. Reloading builds a new one,
    and the service swaps it in with one assignment, so a request sees either
    the old set of schemas or the new one, never a mix. Every name with a
    schema file has an entry, even one that does not load: such a namespace
    is not free-form.
    """

    __slots__ = ("_entries", "problems")

    _entries: Mapping[str, SchemaEntry]
    problems: tuple[SchemaProblem, ...]

    def __init__(
        self,
        entries: Iterable[SchemaEntry | CompiledSchema] = (),
        problems: Iterable[SchemaProblem] = (),
    ) -> None:
        """Snapshot ``entries`` (a compiled schema counts as an ``ok`` entry) and ``problems``.

        Two entries of one name are a `ValueError`: the loader reports such
        duplicates as problems instead of building them.
        """
        by_name: dict[str, SchemaEntry] = {}
        for item in entries:
            entry = SchemaEntry.of(item) if isinstance(item, CompiledSchema) else item
            if entry.name in by_name:
                raise ValueError(f"two schemas are named {entry.name!r}")
            by_name[entry.name] = entry
        object.__setattr__(self, "_entries", MappingProxyType(dict(sorted(by_name.items()))))
        object.__setattr__(self, "problems", tuple(problems))

    @classmethod
    def empty(cls) -> Registry:
        """Return a registry with no schemas (every namespace is free-form)."""
        return cls()

    def get(self, name: str) -> CompiledSchema | None:
        """Return the schema in force for ``name``: None when there is none or it is broken."""
        entry = self._entries.get(name)
        return None if entry is None else entry.schema

    def entry(self, name: str) -> SchemaEntry | None:
        """Return the entry of ``name``, whatever its status, or None when there is none."""
        return self._entries.get(name)

    def entries(self) -> list[SchemaEntry]:
        """Return every entry, sorted by name."""
        return list(self._entries.values())

    def names(self) -> list[str]:
        """Return the names of all entries (broken ones too), sorted."""
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        """Tell whether ``name`` has an entry (in force or not) in this registry."""
        return name in self._entries

    def __len__(self) -> int:
        """Return the number of entries."""
        return len(self._entries)

    def __setattr__(self, name: str, value: object) -> None:
        """Refuse changes: a registry is a snapshot."""
        raise AttributeError("a Registry is immutable; build a new one instead")

    def __delattr__(self, name: str) -> None:
        """Refuse changes: a registry is a snapshot."""
        raise AttributeError("a Registry is immutable; build a new one instead")

    def __repr__(self) -> str:
        """Show the schema names."""
        return f"Registry({self.names()!r})"
