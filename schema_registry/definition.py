"""The rules of the schema language, checked before anything is compiled.

`check_definition` walks a plain-Python definition (as `yamlsource.parse_yaml`
returns it) and reports every rule it breaks, each with the file, line and
dotted key path. Like the compiler, the checks are a table: for each `type`,
the keys it allows and one small function per key.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from schema_registry.errors import SchemaProblem
from schema_registry.modes import compatibility_problem
from schema_registry.sizes import max_bytes_problem
from schema_registry.ttl import ttl_problem
from schema_registry.yamlsource import KeyPath, dotted

#: Top-level fields that the service sets on every stored document.
RESERVED_FIELDS = ("_expires", "_modified", "_namespace", "_schemaVersion", "_session")

_MAX_SHOWN = 40  # characters of a bad string value quoted in a message

#: A schema's name is a namespace name: the same rule as the HTTP contract's.
SCHEMA_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*")
MAX_NAME_LENGTH = 128

#: The keys only a schema's top level may have, each with the function that says what is
#: wrong with its value: they are about the namespace, not about the document's shape.
NAMESPACE_KEYS: dict[str, Callable[[Any], str | None]] = {
    "compatibility": compatibility_problem,
    "maxBytes": max_bytes_problem,
    "ttl": ttl_problem,
}

#: The keys a reference node (``type: <schema name>``) may have.
REFERENCE_KEYS = ("optional", "type")


def is_valid_schema_name(name: str) -> bool:
    """Tell whether ``name`` is a valid namespace name, and so a valid schema name."""
    return len(name) <= MAX_NAME_LENGTH and SCHEMA_NAME.fullmatch(name) is not None


def is_reference(kind: Any) -> bool:
    """Tell whether a ``type`` value names another schema rather than a built-in type."""
    return isinstance(kind, str) and kind not in KEY_RULES and is_valid_schema_name(kind)


@dataclass(frozen=True)
class Place:
    """Where a value sits in a schema file: its key path, and the file's key lines."""

    file: str
    path: KeyPath
    lines: Mapping[KeyPath, int]

    def child(self, key: Any) -> Place:
        """Return the place of ``key`` (a mapping key or list index) under this one."""
        return Place(self.file, (*self.path, key), self.lines)

    def problem(self, message: str) -> SchemaProblem:
        """Report ``message`` at this place's line and key path."""
        return SchemaProblem(self.file, self._line(), dotted(self.path), message)

    def _line(self) -> int:
        """Return this place's line, or its nearest ancestor's when it has none."""
        for end in range(len(self.path), -1, -1):
            line = self.lines.get(self.path[:end])
            if line:
                return line
        return 1


KeyCheck = Callable[[Any, Place], list[SchemaProblem]]


def check_definition(
    definition: Any, *, file: str = "<memory>", lines: Mapping[KeyPath, int] | None = None
) -> list[SchemaProblem]:
    """Return every way in which ``definition`` breaks the schema language (empty: valid)."""
    place = Place(file, (), lines or {})
    if definition is None:
        return [place.problem("the file is empty; a schema is a mapping with 'type: object'")]
    if not isinstance(definition, Mapping):
        got = describe(definition)
        return [place.problem(f"the top level must be a mapping with 'type: object', got {got}")]
    body = {key: value for key, value in definition.items() if key not in NAMESPACE_KEYS}
    return (
        _check_top_level(definition, place)
        + _check_namespace_keys(definition, place)
        + check_schema(body, place)
    )


def _check_namespace_keys(definition: Mapping[Any, Any], place: Place) -> list[SchemaProblem]:
    """The top-level ``ttl``, ``maxBytes`` and ``compatibility`` keys, if present (only there)."""
    problems: list[SchemaProblem] = []
    for key, problem_of in NAMESPACE_KEYS.items():
        problem = problem_of(definition[key]) if key in definition else None
        if problem:
            problems.append(place.child(key).problem(problem))
    return problems


def check_schema(node: Any, place: Place) -> list[SchemaProblem]:
    """Check one schema node (a mapping with a ``type``) and everything nested in it."""
    if not isinstance(node, Mapping):
        return [place.problem(_not_a_schema(node))]
    if "type" not in node:
        return [place.problem(f"'type' is missing; it must be one of: {_TYPE_LIST}")]
    kind = node["type"]
    if is_reference(kind):
        return _check_reference(node, place)
    if not isinstance(kind, str) or kind not in KEY_RULES:
        return [place.child("type").problem(_unknown_type(kind))]
    rules = KEY_RULES[kind]
    problems: list[SchemaProblem] = []
    for key, value in node.items():
        check = rules.get(key) if isinstance(key, str) else None
        if check is None:
            allowed = ", ".join(sorted(rules))
            message = f"unknown key for type '{kind}'; allowed keys: {allowed}"
            problems.append(place.child(key).problem(message))
        else:
            problems.extend(check(value, place.child(key)))
    return problems + _check_bounds_order(node, place, rules)


def _check_reference(node: Mapping[Any, Any], place: Place) -> list[SchemaProblem]:
    """Check a reference node: ``type: <schema name>`` and maybe ``optional``, nothing else.

    Whether the named schema exists (and loads) is decided by the loader,
    which sees the whole registry.
    """
    problems: list[SchemaProblem] = []
    for key, value in node.items():
        if key == "optional":
            problems.extend(_check_bool(value, place.child(key)))
        elif key != "type":
            allowed = ", ".join(REFERENCE_KEYS)
            message = f"unknown key for a reference to {node['type']!r}; allowed keys: {allowed}"
            problems.append(place.child(key).problem(message))
    return problems


def _check_top_level(node: Mapping[Any, Any], place: Place) -> list[SchemaProblem]:
    """Apply the rules that only hold for the document's own (top-level) schema."""
    problems: list[SchemaProblem] = []
    kind = node.get("type")
    if isinstance(kind, str) and (kind in KEY_RULES or is_reference(kind)) and kind != "object":
        message = f"the top level must be 'type: object', got '{kind}'"
        problems.append(place.child("type").problem(message))
    if "optional" in node:
        message = "not allowed at the top level: the document itself is always present"
        problems.append(place.child("optional").problem(message))
    properties = node.get("properties")
    if kind == "object" and isinstance(properties, Mapping):
        for name in properties:
            if name in RESERVED_FIELDS:
                message = f"'{name}' is reserved: the service sets it on every document"
                problems.append(place.child("properties").child(name).problem(message))
    return problems


def _check_bounds_order(
    node: Mapping[Any, Any], place: Place, rules: Mapping[str, KeyCheck]
) -> list[SchemaProblem]:
    """Report a ``min`` greater than ``max`` (when both are otherwise valid)."""
    if "min" not in rules or "min" not in node or "max" not in node:
        return []
    low, high = node["min"], node["max"]
    if rules["min"](low, place) or rules["max"](high, place) or low <= high:
        return []
    return [place.child("min").problem(f"min ({low}) is greater than max ({high})")]


# -- value predicates ---------------------------------------------------------


def is_integer(value: Any) -> bool:
    """Tell whether ``value`` is a YAML integer (booleans are not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """Tell whether ``value`` is a finite YAML integer or float (booleans are not)."""
    if isinstance(value, float):
        return math.isfinite(value)
    return is_integer(value)


def is_count(value: Any) -> bool:
    """Tell whether ``value`` is a non-negative integer (a length or an item count)."""
    return is_integer(value) and value >= 0


def is_string(value: Any) -> bool:
    """Tell whether ``value`` is a string."""
    return isinstance(value, str)


# -- key checks ---------------------------------------------------------------


def _value_check(accepts: Callable[[Any], bool], expected: str) -> KeyCheck:
    """Build a key check that accepts a value when ``accepts(value)`` holds."""

    def check(value: Any, place: Place) -> list[SchemaProblem]:
        if accepts(value):
            return []
        return [place.problem(f"must be {expected}, got {describe(value)}")]

    return check


def _enum_check(accepts: Callable[[Any], bool], kind: str) -> KeyCheck:
    """Build the check of an ``enum``: a non-empty list of distinct values of type ``kind``."""
    article = "an" if kind[0] in "aeiou" else "a"

    def check(value: Any, place: Place) -> list[SchemaProblem]:
        if not isinstance(value, list) or not value:
            return [place.problem(f"must be a non-empty list of {kind}s, got {describe(value)}")]
        problems: list[SchemaProblem] = []
        seen: list[tuple[Any, int]] = []
        for index, item in enumerate(value):
            first = next((at for earlier, at in seen if earlier == item), None)
            if not accepts(item):
                message = f"enum value must be {article} {kind}, got {describe(item)}"
                problems.append(place.child(index).problem(message))
            elif first is not None:
                message = f"duplicate enum value {item!r} (same as item {first})"
                problems.append(place.child(index).problem(message))
            else:
                seen.append((item, index))
        return problems

    return check


def _check_properties(value: Any, place: Place) -> list[SchemaProblem]:
    """Check ``properties``: a mapping from string field names to schemas."""
    if not isinstance(value, Mapping):
        got = describe(value)
        return [place.problem(f"must be a mapping of field names to schemas, got {got}")]
    problems: list[SchemaProblem] = []
    for name, schema in value.items():
        if isinstance(name, str):
            problems.extend(check_schema(schema, place.child(name)))
        else:
            message = f"a property name must be a string, got {describe(name)}"
            problems.append(place.child(name).problem(message))
    return problems


_check_bool = _value_check(lambda value: isinstance(value, bool), "true or false")
_check_count = _value_check(is_count, "a non-negative integer")
_check_integer = _value_check(is_integer, "an integer")
_check_number = _value_check(is_number, "a finite number")


def _accept_type(value: Any, place: Place) -> list[SchemaProblem]:
    """Accept ``type``: check_schema has already checked it."""
    return []


_COMMON: dict[str, KeyCheck] = {"type": _accept_type, "optional": _check_bool}

#: For each type, the keys it allows and the check of each key's value.
KEY_RULES: dict[str, dict[str, KeyCheck]] = {
    "object": {**_COMMON, "properties": _check_properties, "allowUnknown": _check_bool},
    "string": {
        **_COMMON,
        "min": _check_count,
        "max": _check_count,
        "enum": _enum_check(is_string, "string"),
    },
    "integer": {
        **_COMMON,
        "min": _check_integer,
        "max": _check_integer,
        "enum": _enum_check(is_integer, "integer"),
    },
    "number": {
        **_COMMON,
        "min": _check_number,
        "max": _check_number,
        "enum": _enum_check(is_number, "number"),
    },
    "boolean": {**_COMMON},
    "array": {**_COMMON, "min": _check_count, "max": _check_count, "items": check_schema},
}

_TYPE_LIST = ", ".join(sorted(KEY_RULES))


# -- messages -----------------------------------------------------------------


def _not_a_schema(value: Any) -> str:
    """Explain that a value where a schema belongs is not a mapping."""
    message = f"must be a schema (a mapping with a 'type'), got {describe(value)}"
    if isinstance(value, str) and (value in KEY_RULES or is_reference(value)):
        message += f"; did you mean '{{type: {value}}}'?"
    return message


def _unknown_type(kind: Any) -> str:
    """Explain a ``type`` value that names no type."""
    if isinstance(kind, str):
        return f"unknown type {kind!r}; it must be one of: {_TYPE_LIST}, or a schema's name"
    return f"must be one of: {_TYPE_LIST}, or a schema's name, got {describe(kind)}"


def unknown_reference(name: str) -> str:
    """Explain a reference to a schema that is not in the registry."""
    if "." in name:
        return f"unknown schema {name!r}"
    return _unknown_type(name)  # most likely a misspelt built-in type


def describe(value: Any) -> str:
    """Name a YAML value's type (and show a short form of the value) for a message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= _MAX_SHOWN else value[:_MAX_SHOWN] + "..."
        return f"a string ({shown!r})"
    if isinstance(value, Mapping):
        return "a mapping" if value else "an empty mapping"
    if isinstance(value, list | tuple):
        return "a list" if value else "an empty list"
    if isinstance(value, datetime | date):
        return f"a date ({value.isoformat()}); quote it to make it a string"
    return f"a YAML value of type {type(value).__name__}"
