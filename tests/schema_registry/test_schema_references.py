"""References: ``type: <schema name>`` means "this value must match that schema"."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from schema_registry import SchemaProblem, check_paths, compile_schema, load_registry
from tests.schema_registry.helpers import details_of

USER = """\
type: object
properties:
  name: {type: string, min: 1}
"""
TEAM = """\
type: object
properties:
  owner: {type: team.user.v1}
  members:
    type: array
    items: {type: team.user.v1}
  deputy: {type: team.user.v1, optional: true}
"""


def write(directory: Path, files: dict[str, str]) -> Path:
    """Write schema files (name -> dedented text) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / f"{name}.yaml").write_text(textwrap.dedent(text))
    return directory


# (id, files, [(file name, line, key, message), ...])
RULES: list[tuple[str, dict[str, str], list[tuple[str, int, str, str]]]] = [
    (
        "a reference to a schema of the registry is valid",
        {"team.user.v1": USER, "team.t.v1": TEAM},
        [],
    ),
    (
        "an unknown schema",
        {"team.t.v1": "type: object\nproperties:\n  owner: {type: team.user.v1}\n"},
        [("team.t.v1", 3, "properties.owner.type", "unknown schema 'team.user.v1'")],
    ),
    (
        "a reference may only say optional",
        {
            "team.user.v1": USER,
            "team.t.v1": (
                "type: object\nproperties:\n  owner:\n    type: team.user.v1\n    min: 1\n"
            ),
        },
        [
            (
                "team.t.v1",
                5,
                "properties.owner.min",
                "unknown key for a reference to 'team.user.v1'; allowed keys: optional, type",
            )
        ],
    ),
    (
        "optional on a reference must be a boolean",
        {
            "team.user.v1": USER,
            "team.t.v1": "type: object\nproperties:\n  o: {type: team.user.v1, optional: 1}\n",
        },
        [("team.t.v1", 3, "properties.o.optional", "must be true or false, got an integer (1)")],
    ),
    (
        "the top level cannot be a reference",
        {"team.user.v1": USER, "team.t.v1": "type: team.user.v1\n"},
        [("team.t.v1", 1, "type", "the top level must be 'type: object', got 'team.user.v1'")],
    ),
    (
        "a schema that refers to itself",
        {"team.a.v1": "type: object\nproperties:\n  me: {type: team.a.v1, optional: true}\n"},
        [("team.a.v1", 3, "properties.me.type", "refers to itself")],
    ),
    (
        "two schemas that refer to each other",
        {
            "team.a.v1": "type: object\nproperties:\n  b: {type: team.b.v1}\n",
            "team.b.v1": "type: object\nproperties:\n  x: {type: string}\n  a: {type: team.a.v1}\n",
        },
        [
            ("team.a.v1", 3, "properties.b.type", "refers back to itself through team.b.v1"),
            ("team.b.v1", 4, "properties.a.type", "refers back to itself through team.a.v1"),
        ],
    ),
    (
        "a longer cycle names every schema on the way, and a schema using it does not load",
        {
            "team.a.v1": "type: object\nproperties:\n  b: {type: team.b.v1}\n",
            "team.b.v1": (
                "type: object\nproperties:\n  c: {type: array, items: {type: team.c.v1}}\n"
            ),
            "team.c.v1": "type: object\nproperties:\n  a: {type: team.a.v1}\n",
            "team.d.v1": "type: object\nproperties:\n  a: {type: team.a.v1}\n",
        },
        [
            (
                "team.a.v1",
                3,
                "properties.b.type",
                "refers back to itself through team.b.v1, team.c.v1",
            ),
            (
                "team.b.v1",
                3,
                "properties.c.items.type",
                "refers back to itself through team.c.v1, team.a.v1",
            ),
            (
                "team.c.v1",
                3,
                "properties.a.type",
                "refers back to itself through team.a.v1, team.b.v1",
            ),
            ("team.d.v1", 3, "properties.a.type", "refers to team.a.v1, which does not load"),
        ],
    ),
    (
        "a reference to a broken schema",
        {"team.user.v1": "type: object\nallowUnknown: maybe\n", "team.t.v1": TEAM},
        [
            (
                "team.t.v1",
                3,
                "properties.owner.type",
                "refers to team.user.v1, which does not load",
            ),
            (
                "team.t.v1",
                6,
                "properties.members.items.type",
                "refers to team.user.v1, which does not load",
            ),
            (
                "team.t.v1",
                7,
                "properties.deputy.type",
                "refers to team.user.v1, which does not load",
            ),
            ("team.user.v1", 2, "allowUnknown", "must be true or false, got a string ('maybe')"),
        ],
    ),
    (
        "unknown schemas are reported even in a file with other problems",
        {
            "team.t.v1": (
                "type: object\nproperties:\n"
                "  a: {type: team.nope.v1}\n  b: {type: string, min: -1}\n"
            )
        },
        [
            ("team.t.v1", 3, "properties.a.type", "unknown schema 'team.nope.v1'"),
            (
                "team.t.v1",
                4,
                "properties.b.min",
                "must be a non-negative integer, got an integer (-1)",
            ),
        ],
    ),
]


@pytest.mark.parametrize(("files", "expected"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_reference_rule(
    tmp_path: Path, files: dict[str, str], expected: list[tuple[str, int, str, str]]
) -> None:
    """A set of schema files has exactly the listed problems, by file and line."""
    write(tmp_path, files)
    assert check_paths([tmp_path]) == [
        SchemaProblem(str(tmp_path / f"{name}.yaml"), line, key, message)
        for name, line, key, message in expected
    ]


def test_validation_follows_references_with_exact_details(tmp_path: Path) -> None:
    """A referenced schema's rules apply at every place that refers to it."""
    registry = load_registry([write(tmp_path, {"team.user.v1": USER, "team.t.v1": TEAM})])
    schema = registry.get("team.t.v1")
    assert schema is not None
    good = {"owner": {"name": "Ann"}, "members": [{"name": "Bo"}]}
    assert details_of(schema, good) is None
    bad = {"owner": {"name": 5}, "members": [{"name": "Bo"}, {"nam": "Cy"}], "deputy": []}
    assert details_of(schema, bad) == {
        "deputy": ["Not a valid object."],
        "members.1.nam": ["Unknown field."],
        "members.1.name": ["Missing data for required field."],
        "owner.name": ["Not a valid string."],
    }
    assert details_of(schema, {"owner": None, "members": []}) == {
        "owner": ["Field may not be null."]
    }


def test_metadata_fields_are_ordinary_names_inside_a_referenced_schema(tmp_path: Path) -> None:
    """_session is accepted at the top level of a document, not inside a referenced object."""
    registry = load_registry([write(tmp_path, {"team.user.v1": USER, "team.t.v1": TEAM})])
    user, team = registry.get("team.user.v1"), registry.get("team.t.v1")
    assert user is not None and team is not None
    assert details_of(user, {"name": "A", "_session": "s"}) is None
    document = {"owner": {"name": "A", "_session": "s"}, "members": [], "_session": "s"}
    assert details_of(team, document) == {"owner._session": ["Unknown field."]}


def test_reference_resolves_across_directories(tmp_path: Path) -> None:
    """References resolve by name in the whole registry, whatever the source."""
    shared = write(tmp_path / "shared", {"team.user.v1": USER})
    team = write(tmp_path / "team", {"team.t.v1": TEAM})
    registry = load_registry([team, shared], entry_points=False)
    assert registry.problems == ()
    assert [entry.status for entry in registry.entries()] == ["ok", "ok"]


def test_a_change_to_a_referenced_schema_reaches_its_users_on_the_next_load(
    tmp_path: Path,
) -> None:
    """Every load rebuilds everything, in dependency order."""
    write(tmp_path, {"team.user.v1": USER, "team.t.v1": TEAM})
    first = load_registry([tmp_path], entry_points=False)
    document = {"owner": {"name": "A", "age": 3}, "members": []}
    before = first.get("team.t.v1")
    assert before is not None and details_of(before, document) == {"owner.age": ["Unknown field."]}
    write(tmp_path, {"team.user.v1": USER + "allowUnknown: true\n"})
    second = load_registry([tmp_path], entry_points=False, previous=first)
    after = second.get("team.t.v1")
    assert after is not None and details_of(after, document) is None


def test_compile_schema_in_memory_takes_its_references() -> None:
    """A definition built in memory resolves references from the compiled schemas given."""
    user = compile_schema(
        "team.user.v1", {"type": "object", "properties": {"n": {"type": "string"}}}
    )
    definition = {"type": "object", "properties": {"u": {"type": "team.user.v1"}}}
    team = compile_schema("team.t.v1", definition, references={"team.user.v1": user})
    assert details_of(team, {"u": {"n": 1}}) == {"u.n": ["Not a valid string."]}
    assert team.references == {"team.user.v1": user}


def test_did_you_mean_suggests_a_reference_written_as_a_string(tmp_path: Path) -> None:
    """``owner: team.user.v1`` (not a mapping) hints at ``{type: team.user.v1}``."""
    write(tmp_path, {"team.t.v1": "type: object\nproperties:\n  owner: team.user.v1\n"})
    [problem] = check_paths([tmp_path])
    assert problem.message == (
        "must be a schema (a mapping with a 'type'), got a string ('team.user.v1');"
        " did you mean '{type: team.user.v1}'?"
    )
