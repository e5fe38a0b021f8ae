"""Export a schema to JSON Schema (draft 2020-12), and show the text it was loaded from.

Like the compiler, the export is a table of one small function per
``type``. A reference becomes ``{"$ref": "#/$defs/<name>"}``, and every
schema referred to, transitively, is under ``$defs``: exactly the versions
the exported schema was compiled against. The top-level ``ttl`` and
``maxBytes`` are left out: they are about the namespace, not the document's
shape, and no JSON Schema keyword says either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from schema_registry.compiler import CompiledSchema
from schema_registry.definition import RESERVED_FIELDS
from schema_registry.registry import Registry, SchemaEntry

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

Node = Mapping[str, Any]
JsonSchema = dict[str, Any]
DefKeys = Mapping[int, str]  # id(compiled schema) -> its key under $defs


def to_json_schema(name: str, registry: Registry) -> JsonSchema:
    """The JSON Schema document equivalent to the schema in force for ``name``.

    Raises `LookupError` if ``name`` has no schema in force (unknown or broken).
    """
    schema = registry.get(name)
    if schema is None:
        raise LookupError(f"no schema named {name!r} is in force")
    referred = _referred(schema)
    keys = _def_keys(referred)
    document: JsonSchema = {"$schema": JSON_SCHEMA_DIALECT, "title": name}
    document.update(_node(schema.definition, schema, keys))
    document["properties"].update({field: {} for field in RESERVED_FIELDS})  # any value
    if referred:
        document["$defs"] = {keys[id(ref)]: _node(ref.definition, ref, keys) for ref in referred}
    return document


def definition_source(entry: SchemaEntry) -> str:
    """The text of the schema file version in force, as it was loaded.

    Raises `LookupError` for a broken entry: no version of it is in force.
    """
    if entry.schema is None:
        raise LookupError(f"schema {entry.name!r} has no version in force")
    return entry.schema.text


def _referred(schema: CompiledSchema) -> list[CompiledSchema]:
    """Every compiled schema ``schema`` refers to, transitively, each once, by name."""
    found: dict[int, CompiledSchema] = {}
    pending = list(schema.references.values())
    while pending:
        ref = pending.pop(0)
        if id(ref) not in found:
            found[id(ref)] = ref
            pending += ref.references.values()
    return sorted(found.values(), key=lambda ref: (ref.name, ref.digest))


def _def_keys(referred: list[CompiledSchema]) -> dict[int, str]:
    """Name each referred schema's ``$defs`` entry: its name, plus its digest if ambiguous.

    Two versions of one name occur only when a stale schema (compiled
    against an older version) is referred to next to the current one.
    """
    names = [ref.name for ref in referred]
    return {
        id(ref): ref.name if names.count(ref.name) == 1 else f"{ref.name}@{ref.digest}"
        for ref in referred
    }


def _node(node: Node, owner: CompiledSchema, keys: DefKeys) -> JsonSchema:
    """Translate one definition node of ``owner`` (whose references resolve names)."""
    kind = node["type"]
    if kind not in _TRANSLATIONS:
        return {"$ref": f"#/$defs/{keys[id(owner.references[kind])]}"}
    result: JsonSchema = {"type": kind}
    result.update(_TRANSLATIONS[kind](node, owner, keys))
    if "enum" in node:
        result["enum"] = list(node["enum"])
    return result


def _bounds(low: str, high: str) -> Callable[[Node, CompiledSchema, DefKeys], JsonSchema]:
    """Translate ``min``/``max`` to the JSON Schema keywords ``low``/``high``."""

    def translate(node: Node, owner: CompiledSchema, keys: DefKeys) -> JsonSchema:
        names = {"min": low, "max": high}
        return {names[key]: node[key] for key in ("min", "max") if key in node}

    return translate


def _array(node: Node, owner: CompiledSchema, keys: DefKeys) -> JsonSchema:
    result = _bounds("minItems", "maxItems")(node, owner, keys)
    if "items" in node:
        result["items"] = _node(node["items"], owner, keys)
    return result


def _object(node: Node, owner: CompiledSchema, keys: DefKeys) -> JsonSchema:
    properties: Mapping[str, Node] = node.get("properties") or {}
    return {
        "properties": {name: _node(child, owner, keys) for name, child in properties.items()},
        "required": [name for name, child in properties.items() if not child.get("optional")],
        "additionalProperties": bool(node.get("allowUnknown", False)),
    }


_TRANSLATIONS: dict[str, Callable[[Node, CompiledSchema, DefKeys], JsonSchema]] = {
    "string": _bounds("minLength", "maxLength"),
    "integer": _bounds("minimum", "maximum"),
    "number": _bounds("minimum", "maximum"),
    "boolean": lambda node, owner, keys: {},
    "array": _array,
    "object": _object,
}
