"""Property tests: generated schemas, documents valid by construction, and single mutations.

The strategies build a random schema definition, then documents that are valid
for it by construction. Breaking one field must fail with exactly that field's
path, and acceptance must agree with JSON Schema through the real export,
`to_json_schema`, references included.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from schema_registry import CompiledSchema, Registry, compile_schema, to_json_schema
from schema_registry.definition import check_definition
from tests.schema_registry.helpers import details_of

Node = dict[str, Any]
Path = tuple[Any, ...]

PROPERTY_NAMES = st.text(alphabet="abcdef", min_size=1, max_size=4)
UNKNOWN_NAME = "ZZ"  # never generated as a property name
FINITE_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
JSON_SCALARS = st.none() | st.booleans() | st.integers() | FINITE_FLOATS | st.text(max_size=5)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)

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

# -- schema definitions -------------------------------------------------------


@st.composite
def bounds(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> Node:
    """Draw an optional min and an optional max with min <= max."""
    low, high = sorted([draw(values), draw(values)])
    node: Node = {}
    if draw(st.booleans()):
        node["min"] = low
    if draw(st.booleans()):
        node["max"] = high
    return node


@st.composite
def leaf_schemas(draw: st.DrawFn) -> Node:
    """Draw a string, integer, number or boolean schema with bounds or an enum."""
    kind = draw(st.sampled_from(["string", "integer", "number", "boolean"]))
    node: Node = {"type": kind}
    if kind == "boolean":
        return node
    values = {
        "string": (st.integers(0, 6), st.text(max_size=4)),
        "integer": (st.integers(-50, 50), st.integers(-50, 50)),
        "number": (
            st.integers(-50, 50) | st.floats(-50, 50),
            st.integers(-9, 9) | st.floats(-9, 9),
        ),
    }[kind]
    if draw(st.booleans()):
        node.update(draw(bounds(values[0])))
    else:
        node["enum"] = draw(st.lists(values[1], min_size=1, max_size=4, unique=True))
    return node


def arrays_of(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    """Draw array schemas, with or without items, with optional item-count bounds."""
    return st.builds(
        lambda items, counts: {"type": "array", **counts, **({"items": items} if items else {})},
        st.none() | children,
        bounds(st.integers(0, 3)),
    )


@st.composite
def objects_of(draw: st.DrawFn, children: st.SearchStrategy[Node]) -> Node:
    """Draw an object schema whose properties are drawn from ``children``, some optional."""
    properties: Node = {}
    for name in draw(st.lists(PROPERTY_NAMES, max_size=4, unique=True)):
        child = dict(draw(children))
        if draw(st.booleans()):
            child["optional"] = True
        properties[name] = child
    node: Node = {"type": "object", "properties": properties}
    if draw(st.booleans()):
        node["allowUnknown"] = draw(st.booleans())
    return node


SCHEMAS = st.recursive(
    leaf_schemas(),
    lambda children: arrays_of(children) | objects_of(children),
    max_leaves=8,
)
TOP_LEVEL_SCHEMAS = objects_of(SCHEMAS)

#: The name of the shared schema that generated schemas with references refer to.
SHARED = "prop.shared.v1"
SCHEMAS_WITH_REFERENCES = st.recursive(
    leaf_schemas() | st.just({"type": SHARED}),
    lambda children: arrays_of(children) | objects_of(children),
    max_leaves=8,
)
TOP_LEVEL_SCHEMAS_WITH_REFERENCES = objects_of(SCHEMAS_WITH_REFERENCES)

# -- documents valid by construction ------------------------------------------


def documents(node: Node, shared: Node | None = None) -> st.SearchStrategy[Any]:
    """Return a strategy for values that are valid for the schema ``node``.

    ``shared`` is the definition of the schema ``SHARED`` that references name.
    """
    if node["type"] == SHARED:
        assert shared is not None
        return documents(shared)
    return DOCUMENTS[node["type"]](node, shared)


def _strings(node: Node, shared: Node | None) -> st.SearchStrategy[Any]:
    if "enum" in node:
        return st.sampled_from(node["enum"])
    low = node.get("min", 0)
    return st.text(min_size=low, max_size=node.get("max", low + 5))


def _integers(node: Node, shared: Node | None) -> st.SearchStrategy[Any]:
    if "enum" in node:
        return st.sampled_from(node["enum"]).flatmap(lambda v: st.sampled_from([v, float(v)]))
    ints = st.integers(node.get("min"), node.get("max"))
    return ints | ints.filter(lambda v: abs(v) <= 2**53).map(float)  # integral floats


def _numbers(node: Node, shared: Node | None) -> st.SearchStrategy[Any]:
    if "enum" in node:
        return st.sampled_from(node["enum"])
    low, high = node.get("min"), node.get("max")
    if low is not None and low == high:  # min 0 and max -0.0 are one value, not an interval
        floats = st.just(float(low))
    else:
        floats = st.floats(low, high, allow_nan=False, allow_infinity=False)
    first = None if low is None else math.ceil(low)
    last = None if high is None else math.floor(high)
    if first is not None and last is not None and first > last:
        return floats  # no integer lies between min and max
    return floats | st.integers(first, last)


def _arrays(node: Node, shared: Node | None) -> st.SearchStrategy[Any]:
    items = documents(node["items"], shared) if "items" in node else JSON_VALUES
    low = node.get("min", 0)
    return st.lists(items, min_size=low, max_size=node.get("max", low + 3))


def _objects(node: Node, shared: Node | None) -> st.SearchStrategy[Any]:
    properties = node.get("properties", {})
    required = {k: documents(v, shared) for k, v in properties.items() if not v.get("optional")}
    optional = {k: documents(v, shared) for k, v in properties.items() if v.get("optional")}
    fixed = st.fixed_dictionaries(required, optional=optional)
    if not node.get("allowUnknown"):
        return fixed
    extra = st.dictionaries(
        st.text(alphabet="XYZ", min_size=1, max_size=2), JSON_VALUES, max_size=2
    )
    return st.builds(lambda known, unknown: {**unknown, **known}, fixed, extra)


DOCUMENTS = {
    "string": _strings,
    "integer": _integers,
    "number": _numbers,
    "boolean": lambda node, shared: st.booleans(),
    "array": _arrays,
    "object": _objects,
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
