"""Types are JSON types, strictly: what each type accepts and refuses, as tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from schema_registry import CompiledSchema
from tests.schema_registry.helpers import details_of

CompileField = Callable[..., CompiledSchema]

NULL = ["Field may not be null."]

# (schema of field x, value of x, the messages for x; None: accepted)
STRICT_TYPES: list[tuple[dict[str, Any], Any, list[str] | None]] = [
    ({"type": "string"}, "a", None),
    ({"type": "string"}, "", None),
    ({"type": "string"}, "5", None),
    ({"type": "string"}, 5, ["Not a valid string."]),
    ({"type": "string"}, 1.5, ["Not a valid string."]),
    ({"type": "string"}, True, ["Not a valid string."]),
    ({"type": "string"}, ["a"], ["Not a valid string."]),
    ({"type": "string"}, {"a": "b"}, ["Not a valid string."]),
    ({"type": "string"}, None, NULL),
    ({"type": "integer"}, 5, None),
    ({"type": "integer"}, 0, None),
    ({"type": "integer"}, -7, None),
    ({"type": "integer"}, 10**30, None),
    ({"type": "integer"}, 2.0, None),
    ({"type": "integer"}, -0.0, None),
    ({"type": "integer"}, 1e20, None),
    ({"type": "integer"}, 1.5, ["Not a valid integer."]),
    ({"type": "integer"}, "5", ["Not a valid integer."]),
    ({"type": "integer"}, True, ["Not a valid integer."]),
    ({"type": "integer"}, False, ["Not a valid integer."]),
    ({"type": "integer"}, [5], ["Not a valid integer."]),
    ({"type": "integer"}, None, NULL),
    ({"type": "number"}, 180, None),
    ({"type": "number"}, 1.5, None),
    ({"type": "number"}, -0.25, None),
    ({"type": "number"}, 0, None),
    ({"type": "number"}, 10**30, None),
    ({"type": "number"}, "5", ["Not a valid number."]),
    ({"type": "number"}, "5.5", ["Not a valid number."]),
    ({"type": "number"}, True, ["Not a valid number."]),
    ({"type": "number"}, False, ["Not a valid number."]),
    ({"type": "number"}, float("inf"), ["Not a valid number."]),
    ({"type": "number"}, float("nan"), ["Not a valid number."]),
    ({"type": "number"}, None, NULL),
    ({"type": "boolean"}, True, None),
    ({"type": "boolean"}, False, None),
    ({"type": "boolean"}, 1, ["Not a valid boolean."]),
    ({"type": "boolean"}, 0, ["Not a valid boolean."]),
    ({"type": "boolean"}, "yes", ["Not a valid boolean."]),
    ({"type": "boolean"}, "true", ["Not a valid boolean."]),
    ({"type": "boolean"}, None, NULL),
    ({"type": "array"}, [], None),
    ({"type": "array"}, [1, "a", None, {"b": [2.5]}, True], None),
    ({"type": "array"}, "abc", ["Not a valid array."]),
    ({"type": "array"}, {"0": 1}, ["Not a valid array."]),
    ({"type": "array"}, None, NULL),
    ({"type": "array", "items": {"type": "integer"}}, [1, 2.0, -3], None),
    ({"type": "array", "items": {"type": "integer"}}, "12", ["Not a valid array."]),
    ({"type": "object"}, {}, None),
    ({"type": "object", "allowUnknown": True}, {"a": None}, None),
    ({"type": "object"}, [], ["Not a valid object."]),
    ({"type": "object"}, "{}", ["Not a valid object."]),
    ({"type": "object"}, None, NULL),
]


def _id(row: tuple[dict[str, Any], Any, list[str] | None]) -> str:
    """Name a table row after its type, value and outcome."""
    field, value, messages = row
    return f"{field['type']}-{value!r}-{'accepted' if messages is None else 'refused'}"


@pytest.mark.parametrize(("field", "value", "messages"), STRICT_TYPES, ids=map(_id, STRICT_TYPES))
def test_strict_json_type(
    compile_field: CompileField, field: dict[str, Any], value: Any, messages: list[str] | None
) -> None:
    """Each type accepts exactly the JSON values of that type, coercing nothing."""
    expected = None if messages is None else {"x": messages}
    assert details_of(compile_field(field), {"x": value}) == expected


# (item schema, the array, the expected details)
ITEMS: list[tuple[dict[str, Any], list[Any], dict[str, list[str]]]] = [
    (
        {"type": "integer"},
        [1, "2", 3, True],
        {"x.1": ["Not a valid integer."], "x.3": ["Not a valid integer."]},
    ),
    ({"type": "number"}, [1, 2.5, None], {"x.2": NULL}),
    ({"type": "boolean"}, [True, 0], {"x.1": ["Not a valid boolean."]}),
    ({"type": "string", "max": 1}, ["a", "bc"], {"x.1": ["Longer than maximum length 1."]}),
    (
        {"type": "object", "properties": {"age": {"type": "integer"}}},
        [{"age": 1}, {"age": 1.5}, {}, 7],
        {
            "x.1.age": ["Not a valid integer."],
            "x.2.age": ["Missing data for required field."],
            "x.3": ["Not a valid object."],
        },
    ),
    (
        {"type": "array", "items": {"type": "string"}},
        [["a"], ["b", 2], "c"],
        {"x.1.1": ["Not a valid string."], "x.2": ["Not a valid array."]},
    ),
]


@pytest.mark.parametrize(("items", "value", "expected"), ITEMS)
def test_each_array_item_is_checked_and_named_by_its_index(
    compile_field: CompileField, items: dict[str, Any], value: list[Any], expected: dict[str, Any]
) -> None:
    """Failing array items are reported under their index (``x.1``, ``x.1.age``)."""
    schema = compile_field({"type": "array", "items": items})
    assert details_of(schema, {"x": value}) == expected


def test_indices_sort_numerically(compile_field: CompileField) -> None:
    """Details list ``x.2`` before ``x.10``."""
    schema = compile_field({"type": "array", "items": {"type": "integer"}})
    details = details_of(schema, {"x": ["bad" if i in (2, 10) else i for i in range(12)]})
    assert list(details or {}) == ["x.2", "x.10"]


@pytest.mark.parametrize("document", [[], "x", 5, None, [{"x": 1}]])
def test_document_that_is_not_an_object_is_a_whole_document_error(
    compile_field: CompileField, document: Any
) -> None:
    """A document that is not a JSON object is reported under ``_schema``."""
    schema = compile_field({"type": "string"})
    assert details_of(schema, document) == {"_schema": ["Not a valid object."]}
