"""The schema files read at one load, made into registry entries that fail closed.

Every load compiles everything again, in dependency order, so a change to a
referenced schema reaches every schema that uses it. A name is in force
only if exactly one file defines it, that file is valid, and everything it
refers to is in force. Otherwise the name's last good version (from the
previous registry) stays in force as ``stale``, or, if it never loaded, the
name is ``broken``: nothing is silently resolved or dropped.

A name that loaded before must also stay *compatible* with its version in
force (see `schema_registry.compatibility`): an in-place edit that would
refuse documents the previous version accepted is a problem too, and the
previous version stays in force, unless the new version says
``compatibility: none`` or the load is made with ``compatibility="none"``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from schema_registry.compatibility import Version, compiled_changes
from schema_registry.compiler import CompiledSchema, compile_schema, referenced_names
from schema_registry.definition import Place, unknown_reference
from schema_registry.errors import SchemaLoadError, SchemaProblem
from schema_registry.modes import BACKWARD, opted_out
from schema_registry.reading import ReadSchema
from schema_registry.registry import BROKEN, OK, STALE, Registry, SchemaEntry
from schema_registry.yamlsource import KeyPath


def build_registry(
    files: Iterable[ReadSchema],
    problems: Iterable[SchemaProblem],
    *,
    previous: Registry | None,
    now: datetime,
    compatibility: str = BACKWARD,
) -> Registry:
    """Build the registry of ``files``; ``problems`` are those found before (directories...).

    With ``compatibility`` ``"backward"``, a breaking edit of a schema in force in
    ``previous`` is refused; ``"none"`` applies every edit that loads.
    """
    groups: dict[str, list[ReadSchema]] = {}
    for file in files:
        groups.setdefault(file.name, []).append(file)
    resolution = _Resolution(groups, previous or Registry.empty(), compatibility == BACKWARD)
    entries = [resolution.entry(name, now) for name in sorted(groups)]
    found = [*problems, *(problem for entry in entries for problem in entry.problems)]
    return Registry(entries, sort_problems(found))


def sort_problems(problems: Iterable[SchemaProblem]) -> list[SchemaProblem]:
    """Sort problems by file, then line (stable: a file's problems keep their order)."""
    return sorted(problems, key=lambda problem: (problem.file, problem.line))


class _Resolution:
    """The state of one load: each name's problems, and its schema in force once decided."""

    def __init__(
        self, groups: Mapping[str, list[ReadSchema]], previous: Registry, checked: bool
    ) -> None:
        self.groups = groups
        self.previous = previous
        self.checked = checked  # whether edits must be compatible with the version in force
        self.problems: dict[str, list[SchemaProblem]] = {
            name: self._file_problems(name, group) for name, group in groups.items()
        }
        self.edges = {
            name: [(path, ref) for path, ref in referenced_names(group[0].definition)]
            for name, group in groups.items()
            if group[0].definition is not None and len(group) == 1
        }
        for name in self.edges:
            self.problems[name] += self._cycle_problems(name)
        self.in_force: dict[str, CompiledSchema | None] = {}

    def entry(self, name: str, now: datetime) -> SchemaEntry:
        """The entry of ``name``; its load time is kept if nothing about it changed."""
        first = self.groups[name][0]
        schema = self.schema_in_force(name)
        problems = tuple(sort_problems(self.problems[name]))
        status = OK if not problems else STALE if schema is not None else BROKEN
        entry = SchemaEntry(name, first.source, first.digest, now, status, problems, schema)
        before = self.previous.entry(name)
        if before is not None and _unchanged(before, entry):
            return replace(entry, loaded_at=before.loaded_at)
        return entry

    def schema_in_force(self, name: str) -> CompiledSchema | None:
        """Compile ``name`` (after what it refers to), or fall back to its last good version."""
        if name not in self.in_force:
            compiled = self._compile(name)
            if compiled is not None and not self._compatible(name, compiled):
                compiled = None
            if compiled is None:
                before = self.previous.entry(name)
                compiled = before.schema if before is not None else None
            self.in_force[name] = compiled
        return self.in_force[name]

    def _compile(self, name: str) -> CompiledSchema | None:
        """Compile the file of ``name`` now, or None (with problems recorded) if it cannot be."""
        if self.problems[name] or name not in self.edges:
            return None
        file = self.groups[name][0]
        references: dict[str, CompiledSchema] = {}
        for path, ref in self.edges[name]:
            target = self.schema_in_force(ref)
            if target is None:
                message = f"refers to {ref}, which does not load"
                self.problems[name].append(_place(file, path).problem(message))
            else:
                references[ref] = target
        if self.problems[name] or file.definition is None:
            return None
        try:
            return compile_schema(
                name,
                file.definition,
                source=file.source,
                digest=file.digest,
                text=file.text,
                references=references,
            )
        except SchemaLoadError as exc:  # not expected: the definition was checked
            self.problems[name] += exc.problems
            return None

    def _compatible(self, name: str, compiled: CompiledSchema) -> bool:
        """Whether ``compiled`` may replace the version in force; records its breaking changes."""
        before = self.previous.entry(name)
        old = before.schema if before is not None else None
        if old is None or not self.checked or opted_out(compiled.definition):
            return True  # a new name, or opted out
        if _built_from(old) == _built_from(compiled):
            return True
        problems = compiled_changes(old, compiled, self._version)
        self.problems[name] += problems
        return not problems

    def _version(self, schema: CompiledSchema) -> Version:
        """A compiled schema of this load with its file's key lines, for reporting changes."""
        group = self.groups.get(schema.name)
        if group and group[0].digest == schema.digest:
            return Version(schema.name, schema.definition, group[0].file, group[0].lines)
        return Version(schema.name, schema.definition, schema.source)  # a stale version

    def _file_problems(self, name: str, group: Sequence[ReadSchema]) -> list[SchemaProblem]:
        """The problems of a name's files: their own, unknown references, duplicates."""
        problems: list[SchemaProblem] = []
        for file in group:
            problems += file.problems
            for path, ref in referenced_names(file.tree):
                if ref not in self.groups:
                    problems.append(_place(file, path).problem(unknown_reference(ref)))
        for file in group[1:]:
            message = f"schema {name!r} is also defined by {group[0].source}; keep only one"
            problems.append(SchemaProblem(file.file, 1, "", message))
        return problems

    def _cycle_problems(self, name: str) -> list[SchemaProblem]:
        """Report each reference of ``name`` that leads back to ``name``."""
        problems: list[SchemaProblem] = []
        for path, ref in self.edges[name]:
            route = self._route(ref, name)
            if route is None:
                continue
            if ref == name:
                message = "refers to itself"
            else:
                message = "refers back to itself through " + ", ".join(route[:-1])
            problems.append(_place(self.groups[name][0], path).problem(message))
        return problems

    def _route(self, start: str, goal: str) -> list[str] | None:
        """The shortest chain of references from ``start`` to ``goal`` (both included)."""
        came_from: dict[str, str | None] = {start: None}
        queue = deque([start])
        while queue:
            current = queue.popleft()
            if current == goal:
                route = [current]
                while (step := came_from[route[-1]]) is not None:
                    route.append(step)
                return route[::-1]
            for _, ref in self.edges.get(current, []):
                if ref not in came_from:
                    came_from[ref] = current
                    queue.append(ref)
        return None


def _place(file: ReadSchema, path: KeyPath) -> Place:
    """The place of a key path in a read file, for a problem with its line."""
    return Place(file.file, path, file.lines)


def _unchanged(before: SchemaEntry, now: SchemaEntry) -> bool:
    """Tell whether an entry is as it was: same file, state, and schemas it is built from."""
    same = (before.digest, before.status, before.problems) == (now.digest, now.status, now.problems)
    return same and _built_from(before.schema) == _built_from(now.schema)


def _built_from(schema: CompiledSchema | None) -> frozenset[tuple[str, str]]:
    """The (name, digest) of a schema and of everything it refers to, transitively."""
    if schema is None:
        return frozenset()
    found = {(schema.name, schema.digest)}
    for ref in schema.references.values():
        found |= _built_from(ref)
    return frozenset(found)
