"""Fast acceptance checks: one plain-Python predicate per schema node.

Most documents a service receives are valid, and marshmallow spends most of
its time building the machinery that explains failures. So the compiler
builds two things from the same checked definition: a predicate that only
answers "valid or not", run on every write, and the marshmallow schema that
says which fields fail and why, run only when the predicate says no. The
rules here mirror `schema_registry.fields` and marshmallow's `Length`,
`Range` and `OneOf`; a property test holds the two to the same answer on
generated valid and broken documents.

A reference node (``type: <schema name>``) becomes the referenced schema's
own predicate, given ready-made in ``references``: the loader compiles
schemas in dependency order, so it always exists.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from schema_registry.fields import is_json_integer, is_json_number

Predicate = Callable[[Any], bool]
Definition = Mapping[str, Any]
References = Mapping[str, Predicate]


def build_predicate(
    node: Definition, references: References | None = None, *, always_known: Collection[str] = ()
) -> Predicate:
    """The predicate for one schema node; ``always_known`` names fields any object may hold.

    ``references`` maps each schema name the node refers to to that schema's predicate.
    """
    refs = references or {}
    kind = node["type"]
    if kind == "object":
        return _object(node, refs, always_known)
    if kind not in PREDICATE_BUILDERS:
        return refs[kind]
    return PREDICATE_BUILDERS[kind](node, refs)


def _within(node: Definition) -> Predicate:
    """Inclusive ``min``/``max`` on a measure (a length, a count or a value)."""
    low, high = node.get("min"), node.get("max")
    if low is None and high is None:
        return lambda measure: True
    low = float("-inf") if low is None else low
    high = float("inf") if high is None else high
    return lambda measure: low <= measure <= high


def _in_enum(node: Definition) -> Predicate:
    choices = node.get("enum")
    return (lambda value: True) if choices is None else (lambda value: value in choices)


def _scalar(node: Definition, is_type: Predicate, measure: Callable[[Any], Any]) -> Predicate:
    within, in_enum = _within(node), _in_enum(node)
    return lambda value: is_type(value) and within(measure(value)) and in_enum(value)


def _string(node: Definition, refs: References) -> Predicate:
    return _scalar(node, lambda value: isinstance(value, str), len)


def _integer(node: Definition, refs: References) -> Predicate:
    return _scalar(node, is_json_integer, lambda value: value)


def _number(node: Definition, refs: References) -> Predicate:
    return _scalar(node, is_json_number, lambda value: value)


def _boolean(node: Definition, refs: References) -> Predicate:
    return lambda value: isinstance(value, bool)


def _array(node: Definition, refs: References) -> Predicate:
    within = _within(node)
    if "items" not in node:
        return lambda value: isinstance(value, list) and within(len(value))
    item = build_predicate(node["items"], refs)
    return lambda value: (
        isinstance(value, list) and within(len(value)) and all(item(x) for x in value)
    )


def _object(node: Definition, refs: References, always_known: Collection[str] = ()) -> Predicate:
    properties: Mapping[str, Definition] = node.get("properties") or {}
    checks = [
        (name, build_predicate(sub, refs), not sub.get("optional", False))
        for name, sub in properties.items()
    ]
    known = frozenset(properties) | frozenset(always_known)
    allow_unknown = bool(node.get("allowUnknown", False))

    def accepts(value: Any) -> bool:
        if not isinstance(value, dict):
            return False
        for name, check, required in checks:
            if name in value:
                if not check(value[name]):
                    return False
            elif required:
                return False
        return allow_unknown or known.issuperset(value)

    return accepts


#: One predicate builder per ``type`` of the schema language.
PREDICATE_BUILDERS: dict[str, Callable[[Definition, References], Predicate]] = {
    "string": _string,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "array": _array,
    "object": lambda node, refs: _object(node, refs),
}
