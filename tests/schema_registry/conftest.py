"""Fixtures for the schema registry's tests."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from schema_registry import CompiledSchema, compile_schema
from schema_registry.loader import load_schema_file

SHIPPED_SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


@pytest.fixture
def write_schema(tmp_path: Path) -> Callable[..., Path]:
    """Return a function that writes a (dedented) schema file into tmp_path and returns its path."""

    def write(text: str | bytes, name: str = "team.feature.v1.yaml") -> Path:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def compile_field() -> Callable[..., CompiledSchema]:
    """Return a function compiling a schema whose only property, ``x``, has the given schema."""

    def compile_one(field: dict[str, Any], name: str = "x") -> CompiledSchema:
        definition = {"type": "object", "properties": {name: field}}
        return compile_schema("test.field.v1", definition)

    return compile_one


@pytest.fixture(scope="session")
def shipped_schemas() -> Path:
    """The repository's schemas/ directory."""
    return SHIPPED_SCHEMAS


@pytest.fixture(scope="session")
def seed_schema() -> CompiledSchema:
    """The seed README's example schema, as shipped in schemas/."""
    return load_schema_file(SHIPPED_SCHEMAS / "teamName.objectType.v1.yaml")
