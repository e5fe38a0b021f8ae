"""What documents a compiled schema accepts: bounds, enums, presence, unknown fields, the seed."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from schema_registry import CompiledSchema, ValidationFailed, compile_schema
from tests.schema_registry.helpers import details_of

CompileField = Callable[..., CompiledSchema]


STRING_BOUNDS = "Length must be between 2 and 4."
INTEGER_BOUNDS = "Must be greater than or equal to 0 and less than or equal to 120."
NUMBER_BOUNDS = "Must be greater than or equal to 0.0 and less than or equal to 200.0."
ARRAY_BOUNDS = "Length must be between 1 and 2."

# (field schema, value, messages; None: accepted)
BOUNDS: list[tuple[dict[str, Any], Any, list[str] | None]] = [
    ({"type": "string", "min": 2, "max": 4}, "ab", None),
    ({"type": "string", "min": 2, "max": 4}, "abcd", None),
    ({"type": "string", "min": 2, "max": 4}, "a", [STRING_BOUNDS]),
    ({"type": "string", "min": 2, "max": 4}, "abcde", [STRING_BOUNDS]),
    ({"type": "string", "min": 2, "max": 4}, "😀é", None),  # code points, not bytes
    ({"type": "string", "min": 2}, "a", ["Shorter than minimum length 2."]),
    ({"type": "string", "max": 4}, "abcde", ["Longer than maximum length 4."]),
    ({"type": "string", "min": 0, "max": 0}, "", None),
    ({"type": "integer", "min": 0, "max": 120}, 0, None),
    ({"type": "integer", "min": 0, "max": 120}, 120, None),
    ({"type": "integer", "min": 0, "max": 120}, 120.0, None),
    ({"type": "integer", "min": 0, "max": 120}, -1, [INTEGER_BOUNDS]),
    ({"type": "integer", "min": 0, "max": 120}, 121, [INTEGER_BOUNDS]),
    ({"type": "integer", "min": 0}, -1, ["Must be greater than or equal to 0."]),
    ({"type": "integer", "max": 120}, 121, ["Must be less than or equal to 120."]),
    ({"type": "number", "min": 0.0, "max": 200.0}, 0, None),
    ({"type": "number", "min": 0.0, "max": 200.0}, 200.0, None),
    ({"type": "number", "min": 0.0, "max": 200.0}, 199.99, None),
    ({"type": "number", "min": 0.0, "max": 200.0}, -0.001, [NUMBER_BOUNDS]),
    ({"type": "number", "min": 0.0, "max": 200.0}, 200.001, [NUMBER_BOUNDS]),
    ({"type": "array", "min": 1, "max": 2}, [1], None),
    ({"type": "array", "min": 1, "max": 2}, [1, 2], None),
    ({"type": "array", "min": 1, "max": 2}, [], [ARRAY_BOUNDS]),
    ({"type": "array", "min": 1, "max": 2}, [1, 2, 3], [ARRAY_BOUNDS]),
    (
        {"type": "array", "max": 1, "items": {"type": "string"}},
        ["a", "b"],
        ["Longer than maximum length 1."],
    ),
]


@pytest.mark.parametrize(("field", "value", "messages"), BOUNDS)
def test_min_and_max_are_inclusive(
    compile_field: CompileField, field: dict[str, Any], value: Any, messages: list[str] | None
) -> None:
    """min/max bound a string's length, a number's value and an array's item count, inclusively."""
    expected = None if messages is None else {"x": messages}
    assert details_of(compile_field(field), {"x": value}) == expected


ENUMS: list[tuple[dict[str, Any], Any, list[str] | None]] = [
    ({"type": "string", "enum": ["cat", "dog"]}, "cat", None),
    ({"type": "string", "enum": ["cat", "dog"]}, "Cat", ["Must be one of: cat, dog."]),
    ({"type": "string", "enum": ["cat", "dog"]}, 5, ["Not a valid string."]),
    ({"type": "integer", "enum": [1, 2]}, 2, None),
    ({"type": "integer", "enum": [1, 2]}, 2.0, None),
    ({"type": "integer", "enum": [1, 2]}, 3, ["Must be one of: 1, 2."]),
    ({"type": "integer", "enum": [1, 2]}, True, ["Not a valid integer."]),
    ({"type": "number", "enum": [0.5, 1]}, 1.0, None),
    ({"type": "number", "enum": [0.5, 1]}, 0.25, ["Must be one of: 0.5, 1."]),
    (
        {"type": "integer", "min": 0, "enum": [5, 10]},
        -1,
        ["Must be greater than or equal to 0.", "Must be one of: 5, 10."],
    ),
]


@pytest.mark.parametrize(("field", "value", "messages"), ENUMS)
def test_enum_allows_only_its_values(
    compile_field: CompileField, field: dict[str, Any], value: Any, messages: list[str] | None
) -> None:
    """An enum accepts only its own values, after the type check; all failed rules are listed."""
    expected = None if messages is None else {"x": messages}
    assert details_of(compile_field(field), {"x": value}) == expected


@pytest.mark.parametrize(
    ("optional", "document", "expected"),
    [
        (False, {}, {"x": ["Missing data for required field."]}),
        (False, {"x": None}, {"x": ["Field may not be null."]}),
        (True, {}, None),
        (True, {"x": None}, {"x": ["Field may not be null."]}),
        (True, {"x": "here"}, None),
    ],
)
def test_optional_means_may_be_absent_not_null(
    compile_field: CompileField, optional: bool, document: dict[str, Any], expected: Any
) -> None:
    """Fields are required unless optional; a present null fails either way."""
    schema = compile_field({"type": "string", "optional": optional})
    assert details_of(schema, document) == expected


def nested_schema(top: bool | None, pet: bool | None, friend: bool | None) -> CompiledSchema:
    """A schema with allowUnknown set (or left out, for None) at three levels of nesting."""

    def obj(allow: bool | None, properties: dict[str, Any]) -> dict[str, Any]:
        node: dict[str, Any] = {"type": "object", "properties": properties}
        if allow is not None:
            node["allowUnknown"] = allow
        return node

    friend_schema = obj(friend, {"name": {"type": "string"}})
    return compile_schema(
        "test.unknown.v1",
        obj(
            top,
            {
                "pet": obj(pet, {"name": {"type": "string"}}),
                "friends": {"type": "array", "items": friend_schema},
            },
        ),
    )


UNKNOWN_DOC = {
    "pet": {"name": "Grimm", "colour": "black"},
    "friends": [{"name": "Rupert"}, {"name": "Steve", "age": 3}],
    "extra": True,
}


@pytest.mark.parametrize(
    ("top", "pet", "friend", "expected"),
    [
        (
            None,
            None,
            None,
            {
                "extra": ["Unknown field."],
                "friends.1.age": ["Unknown field."],
                "pet.colour": ["Unknown field."],
            },
        ),
        (
            False,
            False,
            False,
            {
                "extra": ["Unknown field."],
                "friends.1.age": ["Unknown field."],
                "pet.colour": ["Unknown field."],
            },
        ),
        (True, True, True, None),
        (True, False, True, {"pet.colour": ["Unknown field."]}),
        (False, True, True, {"extra": ["Unknown field."]}),
        (True, True, False, {"friends.1.age": ["Unknown field."]}),
    ],
)
def test_allow_unknown_applies_to_its_own_level_only(
    top: bool | None, pet: bool | None, friend: bool | None, expected: Any
) -> None:
    """Unknown fields are refused at every level whose allowUnknown is false (the default)."""
    assert details_of(nested_schema(top, pet, friend), UNKNOWN_DOC) == expected


@pytest.mark.parametrize("allow_unknown", [False, True])
def test_metadata_fields_sent_back_are_accepted_at_the_top_level(allow_unknown: bool) -> None:
    """A GET, edit, PUT round trip works: _session, _namespace, _modified pass validation."""
    schema = compile_schema("test.meta.v1", {"type": "object", "allowUnknown": allow_unknown})
    document = {"_session": "user-1", "_namespace": "test.meta.v1", "_modified": None}
    assert details_of(schema, document) is None


def test_metadata_names_are_unknown_fields_below_the_top_level() -> None:
    """Only the document's own metadata is tolerated; nested objects are not documents."""
    definition = {"type": "object", "properties": {"inner": {"type": "object"}}}
    schema = compile_schema("test.meta.v1", definition)
    details = details_of(schema, {"inner": {"_session": "x"}, "_other": 1})
    assert details == {"_other": ["Unknown field."], "inner._session": ["Unknown field."]}


@pytest.mark.parametrize(
    "name", ["load", "validate", "fields", "Meta", "opts", "_schema_x", "", "a.b", "class", "0"]
)
def test_any_property_name_works(compile_field: CompileField, name: str) -> None:
    """Property names that are Schema attributes or not identifiers are ordinary fields."""
    schema = compile_field({"type": "integer"}, name=name)
    assert details_of(schema, {name: 1}) is None
    assert details_of(schema, {name: "1"}) == {name: ["Not a valid integer."]}
    assert details_of(schema, {}) == {name: ["Missing data for required field."]}


# -- the seed README's example schema ------------------------------------------

SEED_DOCUMENT: dict[str, Any] = {
    "name": "Thomas",
    "age": 31,
    "height": 180,
    "friends": [{"name": "Rupert", "age": 29}, {"name": "Steve", "age": 33}],
    "cool": True,
    "language": "en-US",
    "pet": {"name": "Grimm", "species": "cat"},
}


def test_seed_schema_accepts_the_seed_like_document(seed_schema: CompiledSchema) -> None:
    """The example document of the seed passes the example schema, unchanged."""
    document = copy.deepcopy(SEED_DOCUMENT)
    seed_schema.validate(document)
    assert document == SEED_DOCUMENT


def change(path: str, value: Any) -> dict[str, Any]:
    """Return the seed document with the field at dotted ``path`` set (or removed: ``...``)."""
    document = copy.deepcopy(SEED_DOCUMENT)
    *parents, last = path.split(".")
    target: Any = document
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    key: Any = int(last) if isinstance(target, list) else last
    if value is ...:
        del target[key]
    else:
        target[key] = value
    return document


SEED_VARIATIONS: list[tuple[str, Any, dict[str, list[str]] | None]] = [
    ("age", 30.0, None),
    ("height", 175.5, None),
    ("cool", ..., None),
    ("friends", [], None),
    ("nickname", "T", None),  # allowUnknown: true at the top
    ("name", ..., {"name": ["Missing data for required field."]}),
    ("name", "", {"name": ["Length must be between 1 and 100."]}),
    ("name", "x" * 101, {"name": ["Length must be between 1 and 100."]}),
    ("age", "31", {"age": ["Not a valid integer."]}),
    ("age", 31.5, {"age": ["Not a valid integer."]}),
    ("age", True, {"age": ["Not a valid integer."]}),
    (
        "age",
        121,
        {"age": ["Must be greater than or equal to 0 and less than or equal to 120."]},
    ),
    ("height", "180", {"height": ["Not a valid number."]}),
    (
        "height",
        -1,
        {"height": ["Must be greater than or equal to 0.0 and less than or equal to 200.0."]},
    ),
    ("cool", 1, {"cool": ["Not a valid boolean."]}),
    ("cool", None, {"cool": ["Field may not be null."]}),
    ("language", "fr-FR", {"language": ["Must be one of: en-US, en-GB, de-DE."]}),
    ("friends", {"name": "Rupert"}, {"friends": ["Not a valid array."]}),
    ("friends.0.age", 1.5, {"friends.0.age": ["Not a valid integer."]}),
    ("friends.1.age", "33", {"friends.1.age": ["Not a valid integer."]}),
    ("friends.1.name", ..., {"friends.1.name": ["Missing data for required field."]}),
    ("friends.0.nickname", "Ru", {"friends.0.nickname": ["Unknown field."]}),
    ("friends.1", "Steve", {"friends.1": ["Not a valid object."]}),
    ("pet", None, {"pet": ["Field may not be null."]}),
    ("pet.species", "cow", {"pet.species": ["Must be one of: cat, dog, fish."]}),
    ("pet.colour", "black", {"pet.colour": ["Unknown field."]}),
    ("pet.name", ..., {"pet.name": ["Missing data for required field."]}),
]


@pytest.mark.parametrize(("path", "value", "expected"), SEED_VARIATIONS)
def test_seed_schema_on_one_changed_field(
    seed_schema: CompiledSchema, path: str, value: Any, expected: Any
) -> None:
    """Changing one field of the seed document gives exactly that field's error, or none."""
    assert details_of(seed_schema, change(path, value)) == expected


def test_seed_schema_reports_every_failing_field_at_once(seed_schema: CompiledSchema) -> None:
    """All failing fields are reported together, in path order."""
    document = change("age", "31")
    document["friends"][1]["age"] = 1.5
    document["pet"]["species"] = "cow"
    del document["name"]
    with pytest.raises(ValidationFailed) as caught:
        seed_schema.validate(document)
    assert caught.value.details == {
        "age": ["Not a valid integer."],
        "friends.1.age": ["Not a valid integer."],
        "name": ["Missing data for required field."],
        "pet.species": ["Must be one of: cat, dog, fish."],
    }
    assert caught.value.schema_name == "teamName.objectType.v1"
    assert str(caught.value) == (
        "The document does not match schema 'teamName.objectType.v1' (4 fields failed)."
    )
