"""Helpers shared by the schema registry's tests."""

from __future__ import annotations

from typing import Any

from schema_registry import CompiledSchema, ValidationFailed


def details_of(schema: CompiledSchema, document: Any) -> dict[str, list[str]] | None:
    """Return the details of the ValidationFailed that ``document`` raises, or None if valid."""
    try:
        schema.validate(document)
    except ValidationFailed as failure:
        return failure.details
    return None
