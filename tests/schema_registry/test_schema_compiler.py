"""The compiler: a table of builders, no global leaks, immutable and thread-safe results."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from marshmallow import class_registry

from schema_registry import (
    CompiledSchema,
    SchemaLoadError,
    SchemaProblem,
    ValidationFailed,
    compile_schema,
)
from schema_registry.compiler import FIELD_BUILDERS
from schema_registry.definition import KEY_RULES

PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "min": 1},
        "tags": {"type": "array", "items": {"type": "string"}},
        "pet": {"type": "object", "properties": {"age": {"type": "integer"}}},
    },
}


def test_builders_cover_exactly_the_types_of_the_language() -> None:
    """There is one field builder per type the definition checks accept."""
    assert set(FIELD_BUILDERS) == set(KEY_RULES)


def test_compiling_many_schemas_leaves_the_class_registry_alone() -> None:
    """Hot reload will compile schemas again and again: none may enter marshmallow's registry."""
    before = dict(class_registry._registry)
    for index in range(1000):
        compile_schema(f"team.feature.v{index}", PERSON)
    assert class_registry._registry == before


def test_compiled_schema_records_name_source_digest_and_definition() -> None:
    """The attributes describe where the schema came from."""
    schema = compile_schema("team.person.v1", PERSON, source="schemas/x.yaml", digest="sha256:ab")
    assert (schema.name, schema.source, schema.digest) == (
        "team.person.v1",
        "schemas/x.yaml",
        "sha256:ab",
    )
    assert schema.definition == PERSON
    assert type(schema.definition) is dict


def test_compiled_schema_defaults_to_a_memory_source() -> None:
    """Without a file, the source is <memory> and there is no digest."""
    schema = compile_schema("team.person.v1", PERSON)
    assert (schema.source, schema.digest) == ("<memory>", "")


def test_compiled_schema_is_frozen() -> None:
    """Attributes cannot be reassigned."""
    schema = compile_schema("team.person.v1", PERSON)
    with pytest.raises(dataclasses.FrozenInstanceError):
        schema.name = "other"  # type: ignore[misc]


def test_changing_the_definition_afterwards_changes_nothing() -> None:
    """The compiled schema keeps its own copy of the definition."""
    definition: dict[str, Any] = {"type": "object", "properties": {"a": {"type": "string"}}}
    schema = compile_schema("team.copy.v1", definition)
    definition["properties"]["a"]["type"] = "integer"
    definition["allowUnknown"] = True
    assert schema.definition == {"type": "object", "properties": {"a": {"type": "string"}}}
    schema.validate({"a": "still a string"})


def test_compile_schema_refuses_an_invalid_definition_with_its_problems() -> None:
    """A definition built in memory is checked too, and every problem is reported."""
    definition = {
        "type": "object",
        "properties": {"a": {"type": "text"}, "b": {"type": "integer", "min": "0"}},
    }
    with pytest.raises(SchemaLoadError) as caught:
        compile_schema("team.bad.v1", definition, source="plugin:bad")
    assert caught.value.problems == (
        SchemaProblem(
            "plugin:bad", 1, "properties.b.min", "must be an integer, got a string ('0')"
        ),
        SchemaProblem(
            "plugin:bad",
            1,
            "properties.a.type",
            "unknown type 'text'; it must be one of:"
            " array, boolean, integer, number, object, string, or a schema's name",
        ),
    )


@pytest.mark.parametrize(
    ("max_bytes", "expected"),
    [
        (None, None),
        (512, 512),
        ("512B", 512),
        ("16KiB", 16_384),
        ("1MiB", 1_048_576),
        ("16MiB", 16_777_216),
        (16_777_216, 16_777_216),
    ],
)
def test_max_bytes_is_the_top_level_limit_in_bytes(max_bytes: Any, expected: int | None) -> None:
    """``max_bytes`` reads ``maxBytes`` in bytes; without it, None (the service's own limit)."""
    definition = dict(PERSON) if max_bytes is None else {**PERSON, "maxBytes": max_bytes}
    assert compile_schema("team.person.v1", definition).max_bytes == expected


def test_max_bytes_is_not_a_field_of_the_document() -> None:
    """The key is about the namespace: documents need not have it, nor may they add it."""
    definition = {"type": "object", "maxBytes": "1KiB", "properties": {"a": {"type": "string"}}}
    schema = compile_schema("team.small.v1", definition)
    assert _outcome(schema, {"a": "x"}) is None
    assert _outcome(schema, {"a": "x", "maxBytes": 1}) == {"maxBytes": ["Unknown field."]}


def test_compile_schema_refuses_a_bad_max_bytes() -> None:
    """A definition built in memory has its ``maxBytes`` checked too, at line 1."""
    with pytest.raises(SchemaLoadError) as caught:
        compile_schema("team.big.v1", {"type": "object", "maxBytes": "17MiB"})
    assert caught.value.problems == (
        SchemaProblem(
            "<memory>",
            1,
            "maxBytes",
            "must be a whole number of bytes, or a whole number with a unit (512B, 16KiB, 1MiB),"
            " from 2 bytes to 16 MiB",
        ),
    )


def _outcome(schema: CompiledSchema, document: dict[str, Any]) -> dict[str, list[str]] | None:
    """Validate and return the details, or None when the document is valid."""
    try:
        schema.validate(document)
    except ValidationFailed as failure:
        return failure.details
    return None


def test_one_compiled_schema_validates_concurrently_from_many_threads() -> None:
    """Concurrent validations give the same answers as sequential ones."""
    schema = compile_schema("team.person.v1", PERSON)
    documents: list[dict[str, Any]] = []
    for index in range(400):
        document: dict[str, Any] = {"name": "n" * (index % 3), "tags": ["a"] * (index % 4)}
        document["pet"] = {"age": index} if index % 5 else {"age": str(index), "x": 1}
        if index % 7 == 0:
            document["tags"].append(index)
        documents.append(document)
    expected = [_outcome(schema, document) for document in documents]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(5):
            assert list(pool.map(lambda d: _outcome(schema, d), documents)) == expected
    assert any(result is None for result in expected)
    assert any(result and "pet.age" in result for result in expected)
