"""Registry: an immutable snapshot of compiled schemas, looked up by name."""

from __future__ import annotations

import pytest

from schema_registry import CompiledSchema, Registry, compile_schema


def schema(name: str) -> CompiledSchema:
    """A trivial compiled schema called ``name``."""
    return compile_schema(name, {"type": "object"})


def test_registry_finds_schemas_by_name() -> None:
    """get, in and len answer from the snapshot."""
    a, b = schema("team.b.v1"), schema("team.a.v1")
    registry = Registry([a, b])
    assert registry.get("team.b.v1") is a
    assert registry.get("team.a.v1") is b
    assert registry.get("team.c.v1") is None
    assert "team.a.v1" in registry
    assert "team.c.v1" not in registry
    assert 5 not in registry
    assert len(registry) == 2


def test_names_are_sorted() -> None:
    """names() lists every schema name in sorted order."""
    registry = Registry([schema("b.v1"), schema("a.v2"), schema("a.v1")])
    assert registry.names() == ["a.v1", "a.v2", "b.v1"]
    assert repr(registry) == "Registry(['a.v1', 'a.v2', 'b.v1'])"


def test_empty_registry_has_no_schemas() -> None:
    """Registry.empty() holds nothing."""
    registry = Registry.empty()
    assert (len(registry), registry.names(), registry.get("a")) == (0, [], None)


def test_registry_cannot_be_changed() -> None:
    """A snapshot is replaced, never modified."""
    registry = Registry([schema("team.a.v1")])
    with pytest.raises(AttributeError):
        registry._entries = {}
    with pytest.raises(AttributeError):
        del registry._entries
    with pytest.raises(TypeError):
        registry._entries["team.b.v1"] = schema("team.b.v1")  # type: ignore[index]


def test_registry_is_not_affected_by_the_list_it_was_built_from() -> None:
    """Later changes to the input list do not reach the snapshot."""
    schemas = [schema("team.a.v1")]
    registry = Registry(schemas)
    schemas.append(schema("team.b.v1"))
    assert registry.names() == ["team.a.v1"]


def test_two_schemas_with_one_name_are_refused() -> None:
    """A registry cannot hold two schemas of the same name."""
    with pytest.raises(ValueError, match=r"^two schemas are named 'team\.a\.v1'$"):
        Registry([schema("team.a.v1"), schema("team.a.v1")])
