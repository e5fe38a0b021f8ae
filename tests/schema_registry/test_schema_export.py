"""JSON Schema export (draft 2020-12), and the text a schema was loaded from."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from schema_registry import Registry, definition_source, load_registry, to_json_schema

USER = "# a user\ntype: object\nproperties:\n  name: {type: string, min: 1, max: 9}\n"
TEAM = """\
type: object
allowUnknown: true
properties:
  owner: {type: team.user.v1}
  size: {type: integer, min: 1, max: 10, optional: true}
  score: {type: number, min: 0.5}
  kind: {type: string, enum: [a, b]}
  tags: {type: array, min: 1, max: 3, items: {type: team.tag.v1}}
  any: {type: array}
  on: {type: boolean}
"""
TAG = "type: object\nproperties:\n  label: {type: string}\n  by: {type: team.user.v1}\n"


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    """A registry with three schemas, two of them referred to."""
    for name, text in {"team.user.v1": USER, "team.t.v1": TEAM, "team.tag.v1": TAG}.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    loaded = load_registry([tmp_path], entry_points=False)
    assert loaded.problems == ()
    return loaded


def test_export_is_the_equivalent_json_schema(registry: Registry) -> None:
    """Every keyword translates; references become $refs into $defs, transitively."""
    user = {
        "type": "object",
        "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 9}},
        "required": ["name"],
        "additionalProperties": False,
    }
    assert to_json_schema("team.t.v1", registry) == {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "team.t.v1",
        "type": "object",
        "properties": {
            "owner": {"$ref": "#/$defs/team.user.v1"},
            "size": {"type": "integer", "minimum": 1, "maximum": 10},
            "score": {"type": "number", "minimum": 0.5},
            "kind": {"type": "string", "enum": ["a", "b"]},
            "tags": {
                "type": "array",
                "minItems": 1,
                "maxItems": 3,
                "items": {"$ref": "#/$defs/team.tag.v1"},
            },
            "any": {"type": "array"},
            "on": {"type": "boolean"},
            "_expires": {},
            "_modified": {},
            "_namespace": {},
            "_schemaVersion": {},
            "_session": {},
        },
        "required": ["owner", "score", "kind", "tags", "any", "on"],
        "additionalProperties": True,
        "$defs": {
            "team.tag.v1": {
                "type": "object",
                "properties": {
                    "label": {"type": "string"},
                    "by": {"$ref": "#/$defs/team.user.v1"},
                },
                "required": ["label", "by"],
                "additionalProperties": False,
            },
            "team.user.v1": user,
        },
    }


def test_export_is_a_valid_json_schema_that_agrees_on_examples(registry: Registry) -> None:
    """The export passes the metaschema and judges documents as the compiled schema does."""
    exported = to_json_schema("team.t.v1", registry)
    jsonschema.Draft202012Validator.check_schema(exported)
    validator = jsonschema.Draft202012Validator(exported)
    good = {
        "owner": {"name": "a"},
        "score": 1,
        "kind": "a",
        "tags": [{"label": "x", "by": {"name": "b"}}],
        "any": [None],
        "on": True,
        "_session": None,
    }
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "owner": {"name": ""}})
    assert not validator.is_valid({**good, "tags": [{"label": "x", "by": {"name": "b", "z": 1}}]})


def test_export_of_a_schema_not_in_force_is_a_lookup_error(registry: Registry) -> None:
    """Only schemas in force export."""
    with pytest.raises(LookupError, match=r"team\.nope\.v1"):
        to_json_schema("team.nope.v1", registry)


def test_definition_source_is_the_text_as_loaded(registry: Registry, tmp_path: Path) -> None:
    """The file's text, comments included, as it was when the version in force loaded."""
    (tmp_path / "team.user.v1.yaml").write_text("changed later")
    entry = registry.entry("team.user.v1")
    assert entry is not None
    assert definition_source(entry) == USER


def test_export_leaves_max_bytes_and_ttl_out(tmp_path: Path) -> None:
    """They are about the namespace, not the document's shape: no property, no annotation."""
    sized = "type: object\nmaxBytes: 16KiB\nttl: 1d\nproperties:\n  by: {type: team.user.v1}\n"
    user = USER.replace("type: object\n", "type: object\nmaxBytes: 512B\n")
    (tmp_path / "team.sized.v1.yaml").write_text(sized)
    (tmp_path / "team.plain.v1.yaml").write_text(sized.replace("maxBytes: 16KiB\nttl: 1d\n", ""))
    (tmp_path / "team.user.v1.yaml").write_text(user)
    registry = load_registry([tmp_path], entry_points=False)
    assert registry.problems == ()
    exported = to_json_schema("team.sized.v1", registry)
    assert exported == {**to_json_schema("team.plain.v1", registry), "title": "team.sized.v1"}
    assert "maxBytes" not in exported["properties"]
    assert exported["$defs"]["team.user.v1"] == {
        "type": "object",
        "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 9}},
        "required": ["name"],
        "additionalProperties": False,
    }
    jsonschema.Draft202012Validator.check_schema(exported)
    entry = registry.entry("team.sized.v1")
    assert entry is not None and definition_source(entry) == sized
