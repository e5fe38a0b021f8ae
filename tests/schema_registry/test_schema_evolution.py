"""Reloading enforces compatibility: a breaking in-place edit leaves the version in force.

`load_registry(..., previous=...)` is what every worker's reload runs; these
tests drive it directly. The same refusals through a real gunicorn are in
tests/app/test_schema_changes.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_registry import Registry, SchemaProblem, check_paths, load_registry
from schema_registry.compatibility import next_version

USER = "type: object\nproperties:\n  name: {type: string, min: 1}\n"
USER_STRICTER = "type: object\nproperties:\n  name: {type: string, min: 2}\n"
USER_WIDER = "type: object\nproperties:\n  name: {type: string}\n"
PROJECT = "type: object\nproperties:\n  owner: {type: team.user.v1}\n"
ADVICE = "publish it as {} instead, or opt out with 'compatibility: none'"


def load(directory: Path, previous: Registry | None, compatibility: str = "backward") -> Registry:
    """Load one directory without entry points, as a reload does."""
    return load_registry(
        [directory], entry_points=False, previous=previous, compatibility=compatibility
    )


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(text)
    return path


def breaking(path: Path, line: int, key: str, name: str, what: str) -> SchemaProblem:
    """The problem a refused breaking change of schema ``name`` is reported as."""
    advice = ADVICE.format(next_version(name))
    return SchemaProblem(str(path), line, key, f"breaking change: {what}; {advice}")


def test_a_breaking_edit_is_refused_and_the_previous_version_stays_in_force(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "team.user.v1", USER)
    first = load(tmp_path, None)
    write(tmp_path, "team.user.v1", USER_STRICTER)
    second = load(tmp_path, first)
    entry = second.entry("team.user.v1")
    assert entry is not None and entry.status == "stale"
    assert entry.schema is first.get("team.user.v1")
    what = "min raised from 1 to 2: stored lengths below 2 would fail"
    expected = breaking(path, 3, "properties.name.min", "team.user.v1", what)
    assert (entry.problems, second.problems) == ((expected,), (expected,))
    assert entry.schema is not None and entry.schema.accepts({"name": "A"})


def test_a_compatible_edit_applies(tmp_path: Path) -> None:
    write(tmp_path, "team.user.v1", USER)
    first = load(tmp_path, None)
    write(tmp_path, "team.user.v1", USER_WIDER)
    second = load(tmp_path, first)
    entry = second.entry("team.user.v1")
    assert entry is not None and entry.schema is not None
    assert (entry.status, entry.problems, entry.schema.text) == ("ok", (), USER_WIDER)


def test_compatibility_none_in_the_new_version_applies_a_breaking_edit(tmp_path: Path) -> None:
    write(tmp_path, "team.user.v1", USER)
    first = load(tmp_path, None)
    write(tmp_path, "team.user.v1", "compatibility: none\n" + USER_STRICTER)
    second = load(tmp_path, first)
    entry = second.entry("team.user.v1")
    assert entry is not None and entry.schema is not None
    assert (entry.status, entry.problems) == ("ok", ())
    assert not entry.schema.accepts({"name": "A"})


def test_the_deployment_may_opt_out_of_every_check(tmp_path: Path) -> None:
    write(tmp_path, "team.user.v1", USER)
    first = load(tmp_path, None, compatibility="none")
    write(tmp_path, "team.user.v1", USER_STRICTER)
    second = load(tmp_path, first, compatibility="none")
    entry = second.entry("team.user.v1")
    assert entry is not None and (entry.status, entry.problems) == ("ok", ())


def test_a_refused_edit_stays_refused_until_it_is_undone(tmp_path: Path) -> None:
    write(tmp_path, "team.user.v1", USER)
    first = load(tmp_path, None)
    write(tmp_path, "team.user.v1", USER_STRICTER)
    second = load(tmp_path, first)
    write(tmp_path, "team.other.v1", USER)  # another file changes: the edit is judged again
    third = load(tmp_path, second)
    assert [e.status for e in third.entries()] == ["ok", "stale"]
    write(tmp_path, "team.user.v1", USER_WIDER)  # compatible with the version in force
    fourth = load(tmp_path, third)
    assert [e.status for e in fourth.entries()] == ["ok", "ok"]


def test_a_new_file_is_always_accepted_and_a_deleted_one_is_gone(tmp_path: Path) -> None:
    first = load(tmp_path, None)
    path = write(tmp_path, "team.user.v1", USER_STRICTER)
    second = load(tmp_path, first)
    assert [(e.name, e.status) for e in second.entries()] == [("team.user.v1", "ok")]
    path.unlink()
    assert len(load(tmp_path, second)) == 0
    write(tmp_path, "team.user.v1", USER)  # back again: a new file, whatever it says
    assert [e.status for e in load(tmp_path, load(tmp_path, second)).entries()] == ["ok"]


def test_an_edit_of_a_referenced_schema_is_judged_for_the_schemas_using_it(
    tmp_path: Path,
) -> None:
    write(tmp_path, "team.user.v1", USER)
    project = write(tmp_path, "team.project.v1", PROJECT)
    first = load(tmp_path, None)
    user = write(tmp_path, "team.user.v1", "compatibility: none\n" + USER_STRICTER)
    second = load(tmp_path, first)
    assert [(e.name, e.status) for e in second.entries()] == [
        ("team.project.v1", "stale"),  # its stored owners may have one-letter names
        ("team.user.v1", "ok"),  # opted out for its own documents only
    ]
    what = (
        f"through team.user.v1 ({user}:4: properties.name.min): "
        "min raised from 1 to 2: stored lengths below 2 would fail"
    )
    assert second.problems == (
        breaking(project, 3, "properties.owner.type", "team.project.v1", what),
    )
    in_force, user_now = second.get("team.project.v1"), second.get("team.user.v1")
    assert in_force is not None and in_force.accepts({"owner": {"name": "A"}})
    assert user_now is not None and not user_now.accepts({"name": "A"})  # what owners now fail


def test_a_refused_referenced_schema_leaves_its_users_on_its_version_in_force(
    tmp_path: Path,
) -> None:
    write(tmp_path, "team.user.v1", USER)
    write(tmp_path, "team.project.v1", PROJECT)
    first = load(tmp_path, None)
    write(tmp_path, "team.user.v1", USER_STRICTER)
    second = load(tmp_path, first)
    assert [(e.name, e.status) for e in second.entries()] == [
        ("team.project.v1", "ok"),
        ("team.user.v1", "stale"),
    ]
    assert [problem.key for problem in second.problems] == ["properties.name.min"]


def test_a_reference_to_another_schema_is_compared_through_both(tmp_path: Path) -> None:
    write(tmp_path, "team.user.v1", USER)
    user2 = write(tmp_path, "team.user.v2", USER + "  email: {type: string}\n")
    project = write(tmp_path, "team.project.v1", PROJECT)
    first = load(tmp_path, None)
    write(tmp_path, "team.project.v1", PROJECT.replace("user.v1", "user.v2"))
    second = load(tmp_path, first)
    what = (
        f"through team.user.v2 ({user2}:4: properties.email): "
        "new required property 'email': documents stored without it would fail"
    )
    assert second.problems == (
        breaking(project, 3, "properties.owner.type", "team.project.v1", what),
    )
    stored = {"owner": {"name": "Ada"}}  # valid under the version in force, not under v2
    user_v2 = second.get("team.user.v2")
    in_force = second.get("team.project.v1")
    assert in_force is not None and in_force.accepts(stored)
    assert user_v2 is not None and not user_v2.accepts(stored["owner"])


def test_an_inline_object_may_become_a_reference_to_the_same_shape(tmp_path: Path) -> None:
    write(tmp_path, "team.user.v1", USER)
    write(tmp_path, "team.project.v1", PROJECT.replace("{type: team.user.v1}", "\n" + (
        "    type: object\n    properties:\n      name: {type: string, min: 3}\n"
    )))  # fmt: skip
    first = load(tmp_path, None)
    write(tmp_path, "team.project.v1", PROJECT)
    second = load(tmp_path, first)
    assert [e.status for e in second.entries()] == ["ok", "ok"]


@pytest.mark.parametrize("value", ["backward", "none"])
def test_compatibility_is_a_top_level_key_of_the_language(tmp_path: Path, value: str) -> None:
    write(tmp_path, "team.user.v1", f"compatibility: {value}\n" + USER)
    assert check_paths([tmp_path]) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("compatibility: full\n", "must be backward or none, got 'full'"),
        ("compatibility: false\n", "must be backward or none, got bool"),
        ("compatibility:\n", "must be backward or none, got NoneType"),
    ],
)
def test_a_bad_compatibility_value_is_a_problem_at_its_line(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, "team.user.v1", USER + text)
    assert check_paths([tmp_path]) == [SchemaProblem(str(path), 4, "compatibility", message)]


def test_compatibility_belongs_to_the_top_level_only(tmp_path: Path) -> None:
    text = "type: object\nproperties:\n  name:\n    type: string\n    compatibility: none\n"
    path = write(tmp_path, "team.user.v1", text)
    [problem] = check_paths([tmp_path])
    assert (problem.file, problem.line, problem.key) == (
        str(path),
        5,
        "properties.name.compatibility",
    )


def test_checking_against_the_schemas_in_force_reports_what_a_reload_would_refuse(
    tmp_path: Path,
) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    write(old, "team.user.v1", USER)
    write(old, "team.gone.v1", USER)
    path = write(new, "team.user.v1", USER_STRICTER)
    write(new, "team.fresh.v1", USER_STRICTER)
    against = load(old, None)
    what = "min raised from 1 to 2: stored lengths below 2 would fail"
    assert check_paths([new], against=against) == [
        breaking(path, 3, "properties.name.min", "team.user.v1", what)
    ]
    assert check_paths([new]) == []
