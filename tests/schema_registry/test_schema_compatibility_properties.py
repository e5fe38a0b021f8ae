"""Property tests of the compatibility rule: "compatible" must imply "every old document passes".

Random schemas (the generators of strategies.py), random edits of
them (one to three: bounds widened or narrowed, enum values added or
removed, types changed, properties added, removed or made optional,
allowUnknown flipped, items added or removed, whole subtrees replaced), and
documents valid under the old version by construction. Whenever the checker
finds no breaking change, every such document must pass the new version's
compiled predicate, which other property tests hold to marshmallow and to
JSON Schema. The checker may call a harmless edit breaking (it errs that
way on purpose), never the reverse.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from schema_registry import CompiledSchema, compile_schema
from schema_registry.compatibility import Version, breaking_changes, compiled_changes
from schema_registry.definition import check_definition
from tests.schema_registry.strategies import (
    SCHEMAS,
    SCHEMAS_WITH_REFERENCES,
    SHARED,
    TOP_LEVEL_SCHEMAS,
    bounds,
    documents,
    objects_of,
)

Node = dict[str, Any]
Path = tuple[Any, ...]
Edit = Callable[[Node], st.SearchStrategy[Node]]

#: Values for bounds and enums, per type, as strategies.py draws them.
BOUND_VALUES = {
    "string": st.integers(0, 6),
    "array": st.integers(0, 3),
    "integer": st.integers(-50, 50),
    "number": st.integers(-50, 50) | st.floats(-50, 50),
}
ENUM_VALUES = {
    "string": st.text(max_size=4),
    "integer": st.integers(-50, 50),
    "number": st.integers(-9, 9) | st.floats(-9, 9),
}
#: Names of added properties: some collide with the unknown fields documents carry (X, Y).
NEW_NAMES = st.text(alphabet="abcXY", min_size=1, max_size=2)

# Enough to keep the suite fast; raise it locally for a deeper search (3000 pass too).
PROPERTY_SETTINGS = settings(max_examples=100, deadline=None)


def nodes(node: Node, path: Path = ()) -> Iterator[tuple[Path, Node]]:
    """Every schema node of a definition with its path: properties and items, recursively."""
    yield path, node
    if node["type"] == "object":
        for name, child in node.get("properties", {}).items():
            yield from nodes(child, (*path, "properties", name))
    elif node["type"] == "array" and "items" in node:
        yield from nodes(node["items"], (*path, "items"))


def put(definition: Node, path: Path, node: Node) -> Node:
    """A copy of ``definition`` with the node at ``path`` replaced."""
    if not path:
        return node
    result = copy.deepcopy(definition)
    parent = result
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = node
    return result


def without(node: Node, *keys: str) -> Node:
    return {key: value for key, value in node.items() if key not in keys}


# -- edits: each returns a strategy for the edited node -----------------------


def new_bounds(node: Node) -> st.SearchStrategy[Node]:
    return bounds(BOUND_VALUES[node["type"]]).map(lambda b: {**without(node, "min", "max"), **b})


@st.composite
def wider_bounds(draw: st.DrawFn, node: Node) -> Node:
    result = dict(node)
    for key, step in (("min", -1), ("max", 1)):
        if key in result and draw(st.booleans()):
            moved = result[key] + step * draw(st.integers(0, 3))
            if moved < 0 and node["type"] in ("string", "array"):
                del result[key]
            else:
                result[key] = moved
    return result


@st.composite
def other_enum(draw: st.DrawFn, node: Node) -> Node:
    values = ENUM_VALUES[node["type"]]
    old = list(node.get("enum", []))
    choice = draw(st.sampled_from(["more", "fewer", "fresh", "none"]))
    if choice == "none":
        return without(node, "enum")
    if choice == "more":
        extra = draw(st.lists(values, max_size=3))
        enum = old + [value for value in extra if value not in old]
    elif choice == "fewer" and old:
        enum = draw(st.lists(st.sampled_from(old), min_size=1, unique=True))
    else:
        enum = draw(st.lists(values, min_size=1, max_size=4, unique=True))
    return {**node, "enum": enum or [draw(values)]}


def as_number(node: Node) -> st.SearchStrategy[Node]:
    return st.just({**node, "type": "number"})


def replacement(node: Node) -> st.SearchStrategy[Node]:
    keep = {"optional": True} if node.get("optional") else {}
    return SCHEMAS.map(lambda fresh: {**fresh, **keep})


@st.composite
def added_property(draw: st.DrawFn, node: Node) -> Node:
    child = dict(draw(SCHEMAS))
    if draw(st.booleans()):
        child["optional"] = True
    return {**node, "properties": {**node.get("properties", {}), draw(NEW_NAMES): child}}


@st.composite
def removed_property(draw: st.DrawFn, node: Node) -> Node:
    properties = dict(node.get("properties", {}))
    if properties:
        del properties[draw(st.sampled_from(sorted(properties)))]
    return {**node, "properties": properties}


@st.composite
def toggled_optional(draw: st.DrawFn, node: Node) -> Node:
    properties = copy.deepcopy(node.get("properties", {}))
    if properties:
        child = properties[draw(st.sampled_from(sorted(properties)))]
        child["optional"] = not child.get("optional", False)
    return {**node, "properties": properties}


def toggled_unknown(node: Node) -> st.SearchStrategy[Node]:
    return st.just({**node, "allowUnknown": not node.get("allowUnknown", False)})


def other_items(node: Node) -> st.SearchStrategy[Node]:
    return st.just(without(node, "items")) | SCHEMAS.map(lambda items: {**node, "items": items})


_OBJECT: list[Edit] = [added_property, removed_property, toggled_optional, toggled_unknown]
_BOUNDED: list[Edit] = [new_bounds, wider_bounds]
EDITS: dict[str, list[Edit]] = {
    "object": _OBJECT,
    "string": [*_BOUNDED, other_enum],
    "integer": [*_BOUNDED, other_enum, as_number],
    "number": [*_BOUNDED, other_enum],
    "boolean": [],
    "array": [*_BOUNDED, other_items],
}


@st.composite
def edited(draw: st.DrawFn, definition: Node) -> Node:
    """``definition`` after one to three random edits; always a valid definition."""
    new = definition
    for _ in range(draw(st.integers(1, 3))):
        path, node = draw(st.sampled_from(list(nodes(new))), label="node")
        edits = EDITS.get(node["type"], []) + ([replacement] if path else [])
        if not edits:
            continue
        edit = draw(st.sampled_from(edits), label="edit")
        new = put(new, path, draw(edit(node)))
    assume(check_definition(new) == [])
    return new


def _nobody(name: str) -> None:
    return None


def assert_sound(old: CompiledSchema, new: CompiledSchema, document: Any, compatible: bool) -> None:
    """A document valid under ``old`` passes ``new`` whenever the checker said compatible."""
    assert old.accepts(document)
    event("compatible" if compatible else "breaking")
    if compatible:
        assert new.accepts(document), "called compatible, yet a stored document fails"
    else:
        event("breaking, proved" if not new.accepts(document) else "breaking, not shown")


@PROPERTY_SETTINGS
@given(st.data())
def test_a_compatible_edit_accepts_every_document_of_the_old_version(data: st.DataObject) -> None:
    old = data.draw(TOP_LEVEL_SCHEMAS, label="old")
    new = data.draw(edited(old), label="new")
    found = breaking_changes(
        Version("prop.x.v1", old), Version("prop.x.v1", new), old_refs=_nobody, new_refs=_nobody
    )
    before, after = compile_schema("prop.x.v1", old), compile_schema("prop.x.v1", new)
    for document in data.draw(st.lists(documents(old), min_size=1, max_size=5), label="docs"):
        assert_sound(before, after, document, not found)


@PROPERTY_SETTINGS
@given(st.data())
def test_an_edit_of_a_referenced_schema_is_judged_through_the_reference(
    data: st.DataObject,
) -> None:
    shared = data.draw(TOP_LEVEL_SCHEMAS, label="shared")
    main = data.draw(objects_of(SCHEMAS_WITH_REFERENCES), label="main")
    shared_new = data.draw(edited(shared), label="shared, edited")
    main_new = data.draw(st.just(main) | edited(main), label="main, maybe edited")
    old = compile_references(main, shared)
    new = compile_references(main_new, shared_new)
    found = compiled_changes(old, new, lambda s: Version(s.name, s.definition))
    for document in data.draw(st.lists(documents(main, shared), min_size=1, max_size=5)):
        assert_sound(old, new, document, not found)


def compile_references(definition: Node, shared: Node) -> CompiledSchema:
    """``definition`` compiled against ``shared`` as the schema SHARED."""
    return compile_schema(
        "prop.main.v1", definition, references={SHARED: compile_schema(SHARED, shared)}
    )
