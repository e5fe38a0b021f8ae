"""Property tests: generated schemas, documents valid by construction, and single mutations.

The strategies (strategies.py) build a random schema definition, then
documents that are valid for it by construction. Breaking one field must fail
with exactly that field's path, and acceptance must agree with JSON Schema
through the real export, `to_json_schema`, references included.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from schema_registry import CompiledSchema, Registry, compile_schema, to_json_schema
from schema_registry.definition import check_definition
from tests.schema_registry.helpers import details_of
from tests.schema_registry.strategies import (
    JSON_VALUES,
    SHARED,
    TOP_LEVEL_SCHEMAS,
    TOP_LEVEL_SCHEMAS_WITH_REFERENCES,
    Node,
    documents,
)

Path = tuple[Any, ...]

UNKNOWN_NAME = "ZZ"  # never generated as a property name (see strategies.PROPERTY_NAMES)

TYPE_MESSAGES = {
    "string": "Not a valid string.",
    "integer": "Not a valid integer.",
    "number": "Not a valid number.",
    "boolean": "Not a valid boolean.",
    "array": "Not a valid array.",
    "object": "Not a valid object.",
}
WRONG_VALUES = {
    "string": [5, 1.5, True, ["a"], {}],
    "integer": ["5", True, False, 1.5, [1]],
    "number": ["5", "5.5", True, {}, [1.5]],
    "boolean": [1, 0, "true", "yes", []],
    "array": [{}, "abc", 5, True],
    "object": [[], "{}", 5, False],
}

# -- helpers ------------------------------------------------------------------


def typed_paths(node: Node, value: Any, path: Path = ()) -> list[tuple[Path, Node]]:
    """List the path and schema of every value in a valid document that a schema describes."""
    found = [(path, node)] if path else []
    if node["type"] == "object":
        for name, child in node.get("properties", {}).items():
            if name in value:
                found += typed_paths(child, value[name], (*path, name))
    elif node["type"] == "array" and "items" in node:
        for index, item in enumerate(value):
            found += typed_paths(node["items"], item, (*path, index))
    return found


def replaced(document: Any, path: Path, new: Any) -> Any:
    """Return a copy of ``document`` with the value at ``path`` replaced (or deleted: ``...``)."""
    result = copy.deepcopy(document)
    target = result
    for part in path[:-1]:
        target = target[part]
    if new is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = new
    return result


def dotted(path: Path) -> str:
    """The details key of a path."""
    return ".".join(str(part) for part in path)


def compiled_with_shared(definition: Node, shared: Node) -> tuple[CompiledSchema, Registry]:
    """Compile ``definition`` against the schema ``SHARED``; both in one registry."""
    shared_schema = compile_schema(SHARED, shared)
    schema = compile_schema("prop.main.v1", definition, references={SHARED: shared_schema})
    return schema, Registry([shared_schema, schema])


# -- properties ---------------------------------------------------------------

# Enough to keep the suite fast; raise it locally for a deeper search (1500 passes too).
PROPERTY_SETTINGS = settings(max_examples=75, deadline=None)


@PROPERTY_SETTINGS
@given(st.data())
def test_documents_valid_by_construction_are_accepted(data: st.DataObject) -> None:
    """Any generated definition is valid, and any document built to match it passes."""
    definition = data.draw(TOP_LEVEL_SCHEMAS, label="definition")
    assert check_definition(definition) == []
    schema = compile_schema("prop.valid.v1", definition)
    document = data.draw(documents(definition), label="document")
    assert details_of(schema, document) is None


@PROPERTY_SETTINGS
@given(st.data())
def test_one_value_of_the_wrong_type_fails_at_exactly_its_path(data: st.DataObject) -> None:
    """Replacing one value by a value of another JSON type reports that path and only it."""
    definition = data.draw(TOP_LEVEL_SCHEMAS, label="definition")
    document = data.draw(documents(definition), label="document")
    paths = typed_paths(definition, document)
    if not paths:
        return
    path, node = data.draw(st.sampled_from(paths), label="path")
    wrong = data.draw(st.sampled_from([*WRONG_VALUES[node["type"]], None]), label="wrong")
    message = "Field may not be null." if wrong is None else TYPE_MESSAGES[node["type"]]
    schema = compile_schema("prop.mutated.v1", definition)
    assert details_of(schema, replaced(document, path, wrong)) == {dotted(path): [message]}


@PROPERTY_SETTINGS
@given(st.data())
def test_removing_one_required_field_fails_at_exactly_its_path(data: st.DataObject) -> None:
    """A missing required field is reported under its own path."""
    definition = data.draw(TOP_LEVEL_SCHEMAS, label="definition")
    document = data.draw(documents(definition), label="document")
    required = [
        path
        for path, node in typed_paths(definition, document)
        if isinstance(path[-1], str) and not node.get("optional")
    ]
    if not required:
        return
    path = data.draw(st.sampled_from(required), label="path")
    schema = compile_schema("prop.missing.v1", definition)
    expected = {dotted(path): ["Missing data for required field."]}
    assert details_of(schema, replaced(document, path, ...)) == expected


@PROPERTY_SETTINGS
@given(st.data(), JSON_VALUES)
def test_unknown_field_fails_exactly_where_unknown_fields_are_not_allowed(
    data: st.DataObject, value: Any
) -> None:
    """An extra field is refused at its own path when its object disallows unknown fields."""
    definition = data.draw(TOP_LEVEL_SCHEMAS, label="definition")
    document = data.draw(documents(definition), label="document")
    objects = [((), definition)] + [
        (path, node) for path, node in typed_paths(definition, document) if node["type"] == "object"
    ]
    path, node = data.draw(st.sampled_from(objects), label="object")
    unknown = (*path, UNKNOWN_NAME)
    schema = compile_schema("prop.unknown.v1", definition)
    expected = None if node.get("allowUnknown") else {dotted(unknown): ["Unknown field."]}
    assert details_of(schema, replaced(document, unknown, value)) == expected


@PROPERTY_SETTINGS
@given(st.data())
def test_acceptance_agrees_with_json_schema(data: st.DataObject) -> None:
    """For valid documents and mutated ones alike, we accept exactly what JSON Schema accepts."""
    definition = data.draw(TOP_LEVEL_SCHEMAS, label="definition")
    document = data.draw(documents(definition), label="document")
    paths = [path for path, _ in typed_paths(definition, document)]
    mutate: bool = data.draw(st.booleans(), label="mutate")
    if paths and mutate:
        path = data.draw(st.sampled_from(paths), label="path")
        document = replaced(document, path, data.draw(JSON_VALUES, label="new value"))
    schema = compile_schema("prop.jsonschema.v1", definition)
    exported = to_json_schema("prop.jsonschema.v1", Registry([schema]))
    reference = jsonschema.Draft202012Validator(exported)
    assert (details_of(schema, document) is None) == reference.is_valid(document)


@PROPERTY_SETTINGS
@given(st.data())
def test_acceptance_through_references_agrees_with_json_schema(data: st.DataObject) -> None:
    """With references to a shared schema, the export ($ref, $defs) still accepts the same."""
    shared = data.draw(TOP_LEVEL_SCHEMAS, label="shared")
    definition = data.draw(TOP_LEVEL_SCHEMAS_WITH_REFERENCES, label="definition")
    document = data.draw(documents(definition, shared), label="document")
    schema, registry = compiled_with_shared(definition, shared)
    assert details_of(schema, document) is None
    paths = [path for path, _ in typed_paths(definition, document)]
    if paths and data.draw(st.booleans(), label="mutate"):
        path = data.draw(st.sampled_from(paths), label="path")
        document = replaced(document, path, data.draw(JSON_VALUES, label="new value"))
    reference = jsonschema.Draft202012Validator(to_json_schema("prop.main.v1", registry))
    assert (details_of(schema, document) is None) == reference.is_valid(document)
    assert schema.accepts(document) == (schema.explain(document) == {})


@PROPERTY_SETTINGS
@given(st.data())
def test_fast_acceptance_agrees_with_marshmallow(data: st.DataObject) -> None:
    """The plain-Python predicate accepts exactly the documents marshmallow finds no fault in."""
    definition = data.draw(TOP_LEVEL_SCHEMAS, label="definition")
    document = data.draw(documents(definition), label="document")
    paths = typed_paths(definition, document)
    objects = [(), *(path for path, node in paths if node["type"] == "object")]
    values = [path for path, _ in paths]
    mutation = data.draw(st.sampled_from(["none", "replace", "remove", "add"]), label="mutation")
    if mutation == "add":
        parent = data.draw(st.sampled_from(objects), label="object")
        document = replaced(document, (*parent, UNKNOWN_NAME), data.draw(JSON_VALUES))
    elif values and mutation != "none":
        path = data.draw(st.sampled_from(values), label="path")
        new = ... if mutation == "remove" else data.draw(JSON_VALUES, label="new value")
        document = replaced(document, path, new)
    schema = compile_schema("prop.fast.v1", definition)
    assert schema.accepts(document) == (schema.explain(document) == {})
