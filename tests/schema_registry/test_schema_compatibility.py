"""The compatibility rule: which in-place edits keep every stored document valid.

Every breaking rule comes with a document that the old version accepts and
the new one refuses, proving it breaking; every compatible change is one the
checker lets through. The property tests (test_schema_compatibility_properties)
check the rule on generated schemas and edits.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from schema_registry import compile_schema
from schema_registry.compatibility import Version, breaking_changes, next_version
from schema_registry.sizes import parse_max_bytes

Node = dict[str, Any]


def top(properties: Node, **keys: Any) -> Node:
    """A top-level schema with these properties and top-level keys."""
    return {"type": "object", "properties": properties, **keys}


def one(field: Node, **keys: Any) -> Node:
    """A top-level schema whose only property, ``a``, has the schema ``field``."""
    return top({"a": field}, **keys)


def changes(old: Node, new: Node) -> list[tuple[str, str]]:
    """(key, message) of each breaking change from ``old`` to ``new`` (no references)."""
    found = breaking_changes(
        Version("team.x.v1", old), Version("team.x.v1", new), old_refs=_none, new_refs=_none
    )
    return [(problem.key, problem.message) for problem in found]


def _none(name: str) -> None:
    return None


ADVICE = "; publish it as team.x.v2 instead, or opt out with 'compatibility: none'"
STRING, INTEGER, NUMBER = {"type": "string"}, {"type": "integer"}, {"type": "number"}

# (rule, old, new, a document valid under old and not under new, key, what)
BREAKING: list[tuple[str, Node, Node, Any, str, str]] = [
    (
        "a new required property",
        one(STRING),
        top({"a": STRING, "b": INTEGER}),
        {"a": "x"},
        "properties.b",
        "new required property 'b': documents stored without it would fail",
    ),
    (
        "a removed property under allowUnknown: false",
        top({"a": STRING, "b": INTEGER}),
        one(STRING),
        {"a": "x", "b": 1},
        "properties.b",
        "property 'b' removed while allowUnknown is false: documents stored with 'b' would fail",
    ),
    (
        "a changed type",
        one(INTEGER),
        one(STRING),
        {"a": 1},
        "properties.a.type",
        "type changed from integer to string: stored integers would fail",
    ),
    (
        "number to integer",
        one(NUMBER),
        one(INTEGER),
        {"a": 1.5},
        "properties.a.type",
        "type changed from number to integer: stored numbers would fail",
    ),
    (
        "a raised min",
        one({"type": "integer", "min": 0}),
        one({"type": "integer", "min": 18}),
        {"a": 5},
        "properties.a.min",
        "min raised from 0 to 18: stored values below 18 would fail",
    ),
    (
        "a min added to a string",
        one(STRING),
        one({"type": "string", "min": 1}),
        {"a": ""},
        "properties.a.min",
        "min raised from 0 to 1: stored lengths below 1 would fail",
    ),
    (
        "a min added to a number",
        one(NUMBER),
        one({"type": "number", "min": 0}),
        {"a": -0.5},
        "properties.a.min",
        "min 0 added: stored values below 0 would fail",
    ),
    (
        "a lowered max",
        one({"type": "number", "max": 10}),
        one({"type": "number", "max": 5}),
        {"a": 7.5},
        "properties.a.max",
        "max lowered from 10 to 5: stored values above 5 would fail",
    ),
    (
        "a max added to an array",
        one({"type": "array"}),
        one({"type": "array", "max": 1}),
        {"a": [1, 2]},
        "properties.a.max",
        "max 1 added: stored item counts above 1 would fail",
    ),
    (
        "an enum added",
        one(STRING),
        one({"type": "string", "enum": ["x"]}),
        {"a": "y"},
        "properties.a.enum",
        "enum added: stored values outside it would fail",
    ),
    (
        "an enum value removed",
        one({"type": "string", "enum": ["cat", "dog", "fish"]}),
        one({"type": "string", "enum": ["cat", "dog"]}),
        {"a": "fish"},
        "properties.a.enum",
        "the value 'fish' is no longer in the enum",
    ),
    (
        "an enum value refused by a new bound",
        one({"type": "integer", "enum": [1, 50]}),
        one({"type": "integer", "enum": [1, 50], "max": 10}),
        {"a": 50},
        "properties.a.max",
        "the value 50 is above the new max (10)",
    ),
    (
        "an optional property made required",
        top({"a": STRING, "b": {"type": "integer", "optional": True}}),
        top({"a": STRING, "b": INTEGER}),
        {"a": "x"},
        "properties.b.optional",
        "'b' made required (optional: true removed): documents stored without it would fail",
    ),
    (
        "allowUnknown from true to false",
        one(STRING, allowUnknown=True),
        one(STRING, allowUnknown=False),
        {"a": "x", "zz": 1},
        "allowUnknown",
        "allowUnknown changed from true to false: "
        "documents stored with fields not in properties would fail",
    ),
    (
        "a new optional property where unknown fields were allowed",
        one(STRING, allowUnknown=True),
        top({"a": STRING, "b": {"type": "integer", "optional": True}}, allowUnknown=True),
        {"a": "x", "b": "not a number"},
        "properties.b",
        "new property 'b' where allowUnknown was true: "
        "stored documents may already hold 'b' with any value",
    ),
    (
        "items added to an array",
        one({"type": "array"}),
        one({"type": "array", "items": INTEGER}),
        {"a": [None]},
        "properties.a.items",
        "items added: stored items of any other shape, null included, would fail",
    ),
    (
        "items of another type",
        one({"type": "array", "items": STRING}),
        one({"type": "array", "items": INTEGER}),
        {"a": ["x"]},
        "properties.a.items.type",
        "type changed from string to integer: stored strings would fail",
    ),
    (
        "a new required property deep inside",
        one(top({"x": INTEGER})),
        one(top({"x": INTEGER, "y": INTEGER})),
        {"a": {"x": 1}},
        "properties.a.properties.y",
        "new required property 'y': documents stored without it would fail",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "document", "key", "what"),
    [case[1:] for case in BREAKING],
    ids=[case[0] for case in BREAKING],
)
def test_each_breaking_rule_is_reported_and_proved_by_a_document(
    old: Node, new: Node, document: Any, key: str, what: str
) -> None:
    assert compile_schema("team.x.v1", old).accepts(document)
    assert not compile_schema("team.x.v1", new).accepts(document)
    assert changes(old, new) == [(key, f"breaking change: {what}{ADVICE}")]


# (change, old, new): every document valid under old is valid under new
COMPATIBLE: list[tuple[str, Node, Node]] = [
    ("nothing changed", one(STRING), one(STRING)),
    (
        "a new optional property where unknown fields were refused",
        one(STRING),
        top({"a": STRING, "b": {"type": "integer", "optional": True}}),
    ),
    ("a wider min", one({"type": "integer", "min": 5}), one({"type": "integer", "min": 0})),
    ("a wider max", one({"type": "string", "max": 5}), one({"type": "string", "max": 9})),
    ("bounds removed", one({"type": "array", "min": 1, "max": 2}), one({"type": "array"})),
    ("a string min of 0 added", one(STRING), one({"type": "string", "min": 0})),
    (
        "more enum values",
        one({"type": "string", "enum": ["cat"]}),
        one({"type": "string", "enum": ["cat", "dog"]}),
    ),
    ("an enum removed", one({"type": "integer", "enum": [1, 2]}), one(INTEGER)),
    (
        "an enum narrowed to the values old bounds allowed",
        one({"type": "integer", "enum": [1, 50], "max": 10}),
        one({"type": "integer", "enum": [1]}),
    ),
    (
        "bounds added that every enum value meets",
        one({"type": "string", "enum": ["ab", "abc"]}),
        one({"type": "string", "enum": ["ab", "abc"], "min": 2}),
    ),
    ("allowUnknown from false to true", one(STRING), one(STRING, allowUnknown=True)),
    (
        "a required property made optional",
        one(STRING),
        one({"type": "string", "optional": True}),
    ),
    ("integer to number", one({"type": "integer", "min": 1}), one({"type": "number", "min": 0.5})),
    (
        "an integer enum as a number enum",
        one({"type": "integer", "enum": [1, 2]}),
        one({"type": "number", "enum": [1.0, 2, 3.5]}),
    ),
    ("items removed", one({"type": "array", "items": STRING}), one({"type": "array"})),
    (
        "items added where only [] was allowed",
        one({"type": "array", "max": 0}),
        one({"type": "array", "max": 0, "items": STRING}),
    ),
    (
        "optional on items, which has no effect",
        one({"type": "array", "items": STRING}),
        one({"type": "array", "items": {"type": "string", "optional": True}}),
    ),
    (
        "a removed property where unknown fields are allowed",
        top({"a": STRING, "b": INTEGER}, allowUnknown=True),
        one(STRING, allowUnknown=True),
    ),
    ("a larger maxBytes", one(STRING, maxBytes="1KiB"), one(STRING, maxBytes="2KiB")),
    ("a maxBytes of 16 MiB added", one(STRING), one(STRING, maxBytes="16MiB")),
    ("a ttl changed", one(STRING, ttl="1d"), one(STRING, ttl=60)),
    ("a ttl added", one(STRING), one(STRING, ttl="1h")),
]


@pytest.mark.parametrize(
    ("old", "new"), [case[1:] for case in COMPATIBLE], ids=[case[0] for case in COMPATIBLE]
)
def test_compatible_changes_are_not_reported(old: Node, new: Node) -> None:
    assert changes(old, new) == []


# (rule, old maxBytes, new maxBytes, document size that fits before and not after)
SIZES: list[tuple[str, str | None, str | None, str]] = [
    ("a smaller maxBytes", "2KiB", "1KiB", "maxBytes lowered from 2048 to 1024 bytes"),
    (
        "a maxBytes added",
        None,
        "1KiB",
        "maxBytes (1024 bytes) added: MAX_BODY_BYTES applied, and may have been larger",
    ),
    (
        "a maxBytes removed",
        "1MiB",
        None,
        "maxBytes (1048576 bytes) removed: MAX_BODY_BYTES applies instead, and may be smaller",
    ),
]
DEFAULT_MAX_BODY_BYTES = 64 * 1024


@pytest.mark.parametrize(
    ("before", "after", "what"), [case[1:] for case in SIZES], ids=[case[0] for case in SIZES]
)
def test_each_max_bytes_rule_is_proved_by_a_document_size(
    before: str | None, after: str | None, what: str
) -> None:
    old = one(STRING, **({"maxBytes": before} if before else {}))
    new = one(STRING, **({"maxBytes": after} if after else {}))
    limit_before = parse_max_bytes(before) or DEFAULT_MAX_BODY_BYTES
    limit_after = parse_max_bytes(after) or DEFAULT_MAX_BODY_BYTES
    document = {"a": "x" * (min(limit_before, 2 * limit_after) - 10)}
    size = len(json.dumps(document, separators=(",", ":")))
    assert limit_after < size <= limit_before
    assert changes(old, new) == [("maxBytes", f"breaking change: {what}{ADVICE}")]


@pytest.mark.parametrize(
    ("name", "successor"),
    [
        ("team.feature.v1", "team.feature.v2"),
        ("team.feature.v9", "team.feature.v10"),
        ("team.feature", "team.feature.v2"),
        ("team.vintage", "team.vintage.v2"),
    ],
)
def test_the_advice_names_the_next_version(name: str, successor: str) -> None:
    assert next_version(name) == successor


def test_every_breaking_change_of_one_edit_is_reported_in_order() -> None:
    old = top({"a": {"type": "integer", "min": 0}, "b": {"type": "string", "optional": True}})
    new = top({"a": {"type": "integer", "min": 1, "max": 9}, "b": STRING, "c": STRING})
    assert [key for key, _ in changes(old, new)] == [
        "properties.a.min",
        "properties.a.max",
        "properties.b.optional",
        "properties.c",
    ]
