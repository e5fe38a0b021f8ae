"""The error types the service sees: how problems print and how failures are keyed."""

from __future__ import annotations

from typing import Any

import pytest

from schema_registry import SchemaLoadError, SchemaProblem, ValidationFailed
from schema_registry.errors import details_from_messages


def test_problem_prints_as_file_line_key_message() -> None:
    """A problem reads like a compiler message."""
    problem = SchemaProblem("schemas/a.yaml", 7, "properties.age.min", "must be an integer")
    assert str(problem) == "schemas/a.yaml:7: properties.age.min: must be an integer"


def test_problem_about_the_whole_file_has_no_key() -> None:
    """Without a key path, the key part is left out."""
    assert str(SchemaProblem("schemas/a.yaml", 1, "", "the file is empty")) == (
        "schemas/a.yaml:1: the file is empty"
    )


def test_problems_are_frozen_values() -> None:
    """Problems compare by value and cannot be changed."""
    problem = SchemaProblem("a.yaml", 1, "type", "bad")
    assert problem == SchemaProblem("a.yaml", 1, "type", "bad")
    with pytest.raises(AttributeError):
        problem.line = 2  # type: ignore[misc]


def test_load_error_lists_its_problems_one_per_line() -> None:
    """The exception's text is every problem, one per line."""
    problems = [SchemaProblem("a.yaml", 1, "", "x"), SchemaProblem("b.yml", 3, "type", "y")]
    error = SchemaLoadError(problems)
    assert error.problems == tuple(problems)
    assert str(error) == "a.yaml:1: x\nb.yml:3: type: y"


def test_validation_failed_keeps_details_and_names_the_schema() -> None:
    """The details are kept as given; the message counts the failing fields."""
    failure = ValidationFailed({"a": ["m"]}, schema_name="t.v1")
    assert failure.details == {"a": ["m"]}
    assert str(failure) == "The document does not match schema 't.v1' (1 field failed)."
    assert str(ValidationFailed({"a": ["m"], "b": ["n"]})) == (
        "The document does not match its schema (2 fields failed)."
    )


FLATTENING: list[tuple[dict[Any, Any], dict[str, list[str]]]] = [
    ({"name": ["Missing."]}, {"name": ["Missing."]}),
    ({"pet": {"species": ["Bad."]}}, {"pet.species": ["Bad."]}),
    (
        {"friends": {0: {"age": ["Bad."]}, 12: ["Nope."]}},
        {"friends.0.age": ["Bad."], "friends.12": ["Nope."]},
    ),
    ({"pet": {"_schema": ["Not a valid object."]}}, {"pet": ["Not a valid object."]}),
    ({"_schema": ["Not a valid object."]}, {"_schema": ["Not a valid object."]}),
    ({"a": ["One.", {"b": ["Two."]}]}, {"a": ["One."], "a.b": ["Two."]}),
    ({"z": ["1"], "a": {10: ["2"], 9: ["3"]}}, {"a.9": ["3"], "a.10": ["2"], "z": ["1"]}),
]


@pytest.mark.parametrize(("messages", "details"), FLATTENING)
def test_marshmallow_messages_flatten_to_dotted_paths(
    messages: dict[Any, Any], details: dict[str, list[str]]
) -> None:
    """Nested dicts and list indices become dotted paths, sorted with indices in number order."""
    flat = details_from_messages(messages)
    assert flat == details
    assert list(flat) == list(details)
