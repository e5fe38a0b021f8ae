"""Whether a new version of a schema still accepts every document the old version accepted.

An in-place edit is *compatible* (Confluent's BACKWARD) when every document
valid under the old version is valid under the new one, so the documents
already stored keep matching the schema that describes them. Anything else
is a *breaking change*. `breaking_changes` compares two checked definitions
node by node; like the compiler, the rule is a table, `RULES`, of one small
function per keyword, each comparing that keyword's old and new value on
one node. Where the exact answer is subtle (an ``enum`` added to a string
whose ``max`` is 0), a change is called breaking: a false alarm costs an
opt-out, a missed one costs stored data.

A reference (``type: <schema name>``) is compared through the versions of
the referenced schema on each side (``old_refs``, ``new_refs``), so an edit
of a referenced schema is judged for every schema that uses it. Such a
change is reported at the reference, naming the place in the referenced
file where the new version differs.

Each breaking change is a `SchemaProblem` at the line and key path of the
keyword in the new file (or of its nearest ancestor, for a key the new
version dropped), saying what changed, why it breaks stored documents, and
what to do instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from schema_registry.compiler import CompiledSchema
from schema_registry.definition import Place, is_reference
from schema_registry.errors import SchemaProblem
from schema_registry.predicates import build_predicate
from schema_registry.sizes import MAX_MAX_BYTES, parse_max_bytes
from schema_registry.yamlsource import KeyPath

Node = Mapping[str, Any]

#: Type changes that keep every old value valid: every integer is a number.
WIDER_TYPES = {("integer", "number")}
_LEAVES = ("string", "integer", "number", "boolean")
_VERSIONED = re.compile(r"(.*\.v)([0-9]+)")


@dataclass(frozen=True)
class Version:
    """One version of a schema as compared: its definition, and where its keys are written."""

    name: str
    definition: Node
    file: str = "<memory>"
    lines: Mapping[KeyPath, int] = field(default_factory=dict)


#: Finds the version of a referenced schema on one side of a comparison (None: unknown).
Resolve = Callable[[str], Version | None]


@dataclass(frozen=True)
class Change:
    """A breaking change at a key path of the new version: what changed, and why it breaks."""

    path: KeyPath
    what: str


def breaking_changes(
    old: Version, new: Version, *, old_refs: Resolve, new_refs: Resolve
) -> list[SchemaProblem]:
    """Every breaking change from ``old`` to ``new`` (empty: the edit is compatible)."""
    changes = _max_bytes(old.definition, new.definition)
    changes += _Comparison(old_refs, new_refs).node(old.definition, new.definition, ())
    advice = (
        f"publish it as {next_version(new.name)} instead, or opt out with 'compatibility: none'"
    )
    return [
        Place(new.file, change.path, new.lines).problem(f"breaking change: {change.what}; {advice}")
        for change in changes
    ]


def compiled_changes(
    old: CompiledSchema,
    new: CompiledSchema,
    locate: Callable[[CompiledSchema], Version],
) -> list[SchemaProblem]:
    """Breaking changes between two compiled schemas, each judged with what it was built against.

    ``locate`` gives a compiled schema of the new side its file and key lines.
    """
    return breaking_changes(
        Version(old.name, old.definition, old.source),
        locate(new),
        old_refs=_resolver(old, lambda ref: Version(ref.name, ref.definition, ref.source)),
        new_refs=_resolver(new, locate),
    )


def next_version(name: str) -> str:
    """The name to publish an incompatible version under: ``team.feature.v2`` after ``.v1``."""
    match = _VERSIONED.fullmatch(name)
    return f"{match[1]}{int(match[2]) + 1}" if match else f"{name}.v2"


def _resolver(schema: CompiledSchema, version: Callable[[CompiledSchema], Version]) -> Resolve:
    """Resolve names to the schemas ``schema`` was compiled against, transitively."""
    found: dict[str, CompiledSchema] = {}
    pending = list(schema.references.values())
    while pending:
        ref = pending.pop()
        if ref.name not in found:
            found[ref.name] = ref
            pending += ref.references.values()
    return lambda name: version(found[name]) if name in found else None


class _Comparison:
    """One comparison: the two sides' references, and the node-by-node walk."""

    def __init__(self, old_refs: Resolve, new_refs: Resolve) -> None:
        self.old_refs = old_refs
        self.new_refs = new_refs

    def node(self, old: Node, new: Node, path: KeyPath) -> list[Change]:
        """The breaking changes from node ``old`` to ``new`` (at ``path`` in the new file)."""
        if is_reference(new["type"]):
            return self._through_reference(old, new["type"], path)
        before = self._resolved(old)
        if before is None:
            name = old["type"]
            return [Change((*path, "type"), f"the version of {name} it was built with is unknown")]
        return self._resolved_node(before, new, path)

    def _resolved_node(self, old: Node, new: Node, path: KeyPath) -> list[Change]:
        """Compare two nodes that are not references: their types, then each keyword."""
        kinds = (old["type"], new["type"])
        if kinds[0] != kinds[1] and kinds not in WIDER_TYPES:
            what = f"type changed from {kinds[0]} to {kinds[1]}: stored {kinds[0]}s would fail"
            return [Change((*path, "type"), what)]
        if kinds[1] in _LEAVES and "enum" in old:
            return _values(old, new, path)
        return [change for rule in RULES[kinds[1]] for change in rule(old, new, path, self)]

    def _resolved(self, node: Node) -> Node | None:
        """``node`` itself, or for a reference the old version of the schema it names."""
        if not is_reference(node["type"]):
            return node
        version = self.old_refs(node["type"])
        return None if version is None else version.definition

    def _through_reference(self, old: Node, name: str, path: KeyPath) -> list[Change]:
        """Compare with the new version of the schema ``name``; report each change here."""
        target, before = self.new_refs(name), self._resolved(old)
        where = (*path, "type")
        if target is None or before is None:
            return [Change(where, f"the version of {name} to compare with is unknown")]
        inner = self.node(before, target.definition, ())
        return [
            Change(where, f"through {name} ({_located(target, change.path)}): {change.what}")
            for change in inner
        ]


def _located(version: Version, path: KeyPath) -> str:
    """``file:line: key`` of a key path in a version's file."""
    problem = Place(version.file, path, version.lines).problem("")
    return f"{problem.file}:{problem.line}: {problem.key}"


# -- rules per keyword -----------------------------------------------------------

Rule = Callable[[Node, Node, KeyPath, _Comparison], list[Change]]


def _properties(old: Node, new: Node, path: KeyPath, compare: _Comparison) -> list[Change]:
    """Properties kept, added and removed: see `_kept`, `_added` and `_removed`."""
    before: Mapping[str, Node] = old.get("properties") or {}
    after: Mapping[str, Node] = new.get("properties") or {}
    changes: list[Change] = []
    for name, child in after.items():
        where = (*path, "properties", name)
        if name in before:
            changes += _kept(name, before[name], child, where, compare)
        else:
            changes += _added(name, child, _open(old), where)
    if not _open(new):
        changes += [
            Change(
                (*path, "properties", name),
                f"property '{name}' removed while allowUnknown is false: "
                f"documents stored with '{name}' would fail",
            )
            for name in before
            if name not in after
        ]
    return changes


def _kept(name: str, old: Node, new: Node, path: KeyPath, compare: _Comparison) -> list[Change]:
    """A property in both versions: it may not become required, and its schema is compared."""
    changes = compare.node(old, new, path)
    if old.get("optional", False) and not new.get("optional", False):
        what = (
            f"'{name}' made required (optional: true removed): "
            "documents stored without it would fail"
        )
        changes.insert(0, Change((*path, "optional"), what))
    return changes


def _added(name: str, new: Node, was_open: bool, path: KeyPath) -> list[Change]:
    """A new property: only an optional one, where unknown fields were refused, is compatible."""
    if not new.get("optional", False):
        what = f"new required property '{name}': documents stored without it would fail"
        return [Change(path, what)]
    if was_open:
        what = (
            f"new property '{name}' where allowUnknown was true: stored documents may already "
            f"hold '{name}' with any value"
        )
        return [Change(path, what)]
    return []


def _allow_unknown(old: Node, new: Node, path: KeyPath, compare: _Comparison) -> list[Change]:
    """allowUnknown may go from false to true, not back."""
    if _open(old) and not _open(new):
        what = (
            "allowUnknown changed from true to false: "
            "documents stored with fields not in properties would fail"
        )
        return [Change((*path, "allowUnknown"), what)]
    return []


def _min(old: Node, new: Node, path: KeyPath, compare: _Comparison) -> list[Change]:
    """The least value, length or item count may stay or go down, not up."""
    low, high = _lower_bound(old), _lower_bound(new)
    if high is None or (low is not None and high <= low):
        return []
    what = f"min {high} added" if low is None else f"min raised from {low} to {high}"
    return [Change((*path, "min"), f"{what}: stored {_measures(new)} below {high} would fail")]


def _max(old: Node, new: Node, path: KeyPath, compare: _Comparison) -> list[Change]:
    """The greatest value, length or item count may stay or go up, not down."""
    before, after = old.get("max"), new.get("max")
    if after is None or (before is not None and after >= before):
        return []
    what = f"max {after} added" if before is None else f"max lowered from {before} to {after}"
    return [Change((*path, "max"), f"{what}: stored {_measures(new)} above {after} would fail")]


def _enum(old: Node, new: Node, path: KeyPath, compare: _Comparison) -> list[Change]:
    """An enum added where there was none (`_values` compares one enum with another)."""
    if "enum" in new:
        return [Change((*path, "enum"), "enum added: stored values outside it would fail")]
    return []


def _items(old: Node, new: Node, path: KeyPath, compare: _Comparison) -> list[Change]:
    """Items may lose their schema, not gain one; a kept one is compared (optional ignored)."""
    if "items" not in new or old.get("max") == 0:  # max 0: only [] was allowed
        return []
    if "items" not in old:
        what = "items added: stored items of any other shape, null included, would fail"
        return [Change((*path, "items"), what)]
    return compare.node(old["items"], new["items"], (*path, "items"))


#: For each type of the new node, the rules that compare its keywords with the old node's.
RULES: dict[str, list[Rule]] = {
    "object": [_allow_unknown, _properties],
    "string": [_min, _max, _enum],
    "integer": [_min, _max, _enum],
    "number": [_min, _max, _enum],
    "boolean": [],
    "array": [_min, _max, _items],
}


# -- helpers ---------------------------------------------------------------------


def _open(node: Node) -> bool:
    """Whether an object node accepts fields not in its properties."""
    return bool(node.get("allowUnknown", False))


def _measures(node: Node) -> str:
    """What ``min`` and ``max`` bound on a node of this type, for a message."""
    return {"string": "lengths", "array": "item counts"}.get(node["type"], "values")


def _lower_bound(node: Node) -> Any:
    """A node's ``min``; for a length or count, 0 when absent (a length is never below 0)."""
    if "min" in node:
        return node["min"]
    return 0 if node["type"] in ("string", "array") else None


def _values(old: Node, new: Node, path: KeyPath) -> list[Change]:
    """Old allowed a finite set (its enum): each of those values must still pass, exactly.

    2 and 2.0 are one value to every rule, so checking one spelling suffices.
    """
    accepted_before = build_predicate(old)
    accepted_now = build_predicate(new)
    changes: list[Change] = []
    for value in old["enum"]:
        if accepted_before(value) and not accepted_now(value):
            keyword, why = _refused_by(new, value)
            changes.append(Change((*path, keyword), f"the value {value!r} is {why}"))
    return changes


def _refused_by(new: Node, value: Any) -> tuple[str, str]:
    """Which keyword of ``new`` refuses a value the old version allowed, and how to say so."""
    if "enum" in new and value not in new["enum"]:
        return "enum", "no longer in the enum"
    measure = len(value) if isinstance(value, str) else value
    if "min" in new and measure < new["min"]:
        return "min", f"below the new min ({new['min']})"
    if "max" in new and measure > new["max"]:
        return "max", f"above the new max ({new['max']})"
    return "type", f"not a valid {new['type']}"


def _max_bytes(old: Node, new: Node) -> list[Change]:
    """A top-level maxBytes may grow, not shrink, appear (below 16 MiB) or go.

    Without maxBytes the service's MAX_BODY_BYTES applies, which a schema
    cannot know: adding a limit may make it smaller, removing one may too.
    """
    before, after = parse_max_bytes(old.get("maxBytes")), parse_max_bytes(new.get("maxBytes"))
    where = ("maxBytes",)
    if after is None and before is not None:
        what = (
            f"maxBytes ({before} bytes) removed: MAX_BODY_BYTES applies instead, and may be smaller"
        )
        return [Change(where, what)]
    if after is not None and before is None and after < MAX_MAX_BYTES:
        what = f"maxBytes ({after} bytes) added: MAX_BODY_BYTES applied, and may have been larger"
        return [Change(where, what)]
    if after is not None and before is not None and after < before:
        return [Change(where, f"maxBytes lowered from {before} to {after} bytes")]
    return []
