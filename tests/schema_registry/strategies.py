"""Hypothesis strategies for schema definitions, and documents valid for them by construction.

Shared by the property tests of validation (test_schema_properties) and of
compatibility (test_schema_compatibility_properties).
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

Node = dict[str, Any]

PROPERTY_NAMES = st.text(alphabet="abcdef", min_size=1, max_size=4)
FINITE_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
JSON_SCALARS = st.none() | st.booleans() | st.integers() | FINITE_FLOATS | st.text(max_size=5)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)

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
