"""load_registry fails closed: ok, stale (last good version in force), broken, or gone."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schema_registry import (
    Registry,
    SchemaProblem,
    check_paths,
    fingerprint,
    load_registry,
    parse_schema_dirs,
)
from schema_registry.reading import read_schema
from schema_registry.sources import SchemaFile

GOOD = "type: object\nproperties:\n  a: {type: string}\n"
# A compatible edit of GOOD (a new optional property): hot reload applies it.
GOOD_2 = "type: object\nproperties:\n  a: {type: string}\n  b: {type: integer, optional: true}\n"
BAD = "type: object\nallowUnknown: maybe\n"
BAD_PROBLEM = "must be true or false, got a string ('maybe')"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 1, 2, tzinfo=UTC)
T2 = datetime(2026, 1, 3, tzinfo=UTC)


def load(directory: Path, previous: Registry | None, now: datetime) -> Registry:
    """Load one directory without entry points, at ``now``."""
    return load_registry([directory], entry_points=False, previous=previous, now=now)


def digest(path: Path) -> str:
    """The digest of the file on disk now."""
    return read_schema(SchemaFile(path, str(path))).digest


def test_ok_then_stale_then_ok(tmp_path: Path) -> None:
    """A file that breaks keeps its last good version in force until it is fixed."""
    path = tmp_path / "team.a.v1.yaml"
    path.write_text(GOOD)
    first = load(tmp_path, None, T0)
    good = first.get("team.a.v1")
    path.write_text(BAD)
    second = load(tmp_path, first, T1)
    entry = second.entry("team.a.v1")
    assert entry is not None and good is not None
    assert (entry.status, entry.schema, entry.digest, entry.loaded_at) == (
        "stale",
        good,
        digest(path),
        T1,
    )
    assert entry.problems == (SchemaProblem(str(path), 2, "allowUnknown", BAD_PROBLEM),)
    assert second.problems == entry.problems
    assert second.get("team.a.v1") is good
    path.write_text(GOOD_2)
    third = load(tmp_path, second, T2)
    fixed = third.entry("team.a.v1")
    assert fixed is not None and fixed.schema is not None
    assert (fixed.status, fixed.problems, fixed.schema.digest) == ("ok", (), digest(path))


def test_broken_then_ok(tmp_path: Path) -> None:
    """A name that never loaded has no schema in force, but is in the registry."""
    path = tmp_path / "team.a.v1.yaml"
    path.write_text(BAD)
    first = load(tmp_path, None, T0)
    entry = first.entry("team.a.v1")
    assert entry is not None
    assert (entry.status, entry.schema, first.get("team.a.v1")) == ("broken", None, None)
    assert "team.a.v1" in first and first.names() == ["team.a.v1"]
    path.write_text(GOOD)
    second = load(tmp_path, first, T1)
    assert second.entry("team.a.v1") is not None
    assert second.get("team.a.v1") is not None


def test_deleted_file_leaves_the_registry(tmp_path: Path) -> None:
    """A file that is gone frees its namespace, whatever its last state."""
    (tmp_path / "team.a.v1.yaml").write_text(GOOD)
    first = load(tmp_path, None, T0)
    (tmp_path / "team.a.v1.yaml").unlink()
    second = load(tmp_path, first, T1)
    assert (second.entry("team.a.v1"), second.names(), second.problems) == (None, [], ())


def test_unchanged_entry_keeps_its_load_time(tmp_path: Path) -> None:
    """loaded_at says when an entry's state was built, not when it was last looked at."""
    (tmp_path / "team.a.v1.yaml").write_text(GOOD)
    (tmp_path / "team.b.v1.yaml").write_text(GOOD)
    first = load(tmp_path, None, T0)
    (tmp_path / "team.b.v1.yaml").write_text(GOOD_2)
    second = load(tmp_path, first, T1)
    assert [(e.name, e.loaded_at) for e in second.entries()] == [
        ("team.a.v1", T0),
        ("team.b.v1", T1),
    ]


def test_a_referenced_change_is_a_new_load_time_for_its_users(tmp_path: Path) -> None:
    """A schema built from a changed schema is itself changed."""
    (tmp_path / "team.user.v1.yaml").write_text(GOOD)
    (tmp_path / "team.t.v1.yaml").write_text(
        "type: object\nproperties:\n  u: {type: team.user.v1}\n"
    )
    first = load(tmp_path, None, T0)
    (tmp_path / "team.user.v1.yaml").write_text(GOOD_2)
    second = load(tmp_path, first, T1)
    assert [e.loaded_at for e in second.entries()] == [T1, T1]


def test_duplicate_names_across_directories_are_served_from_neither(tmp_path: Path) -> None:
    """Two sources of one name are a problem naming both; never silently resolved."""
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    (one / "team.a.v1.yaml").write_text(GOOD)
    (two / "team.a.v1.yml").write_text(GOOD_2)
    registry = load_registry([one, two], entry_points=False)
    entry = registry.entry("team.a.v1")
    problem = SchemaProblem(
        str(two / "team.a.v1.yml"),
        1,
        "",
        f"schema 'team.a.v1' is also defined by {one / 'team.a.v1.yaml'}; keep only one",
    )
    assert entry is not None
    assert (entry.status, entry.schema, entry.problems) == ("broken", None, (problem,))
    assert registry.problems == (problem,)
    assert check_paths([one, two]) == [problem]


def test_duplicate_name_keeps_a_previous_good_version_stale(tmp_path: Path) -> None:
    """A duplicate appearing later does not take a schema out of force: it goes stale."""
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    (one / "team.a.v1.yaml").write_text(GOOD)
    first = load_registry([one, two], entry_points=False)
    (two / "team.a.v1.yaml").write_text(GOOD)
    second = load_registry([one, two], entry_points=False, previous=first)
    entry = second.entry("team.a.v1")
    assert entry is not None
    assert (entry.status, entry.schema) == ("stale", first.get("team.a.v1"))


def test_the_same_directory_twice_is_not_a_duplicate(tmp_path: Path) -> None:
    """A file met twice through the same directory is one file."""
    (tmp_path / "team.a.v1.yaml").write_text(GOOD)
    registry = load_registry([tmp_path, str(tmp_path)], entry_points=False)
    assert (registry.names(), registry.problems) == (["team.a.v1"], ())


def test_problems_not_tied_to_a_schema_are_in_the_registry(tmp_path: Path) -> None:
    """A missing directory is reported, and the other directories still load."""
    (tmp_path / "team.a.v1.yaml").write_text(GOOD)
    missing = tmp_path / "nowhere"
    registry = load_registry([missing, tmp_path], entry_points=False)
    assert registry.names() == ["team.a.v1"]
    assert registry.problems == (
        SchemaProblem(str(missing), 0, "", "schema directory does not exist"),
    )


def test_check_paths_takes_files_and_directories(tmp_path: Path) -> None:
    """Each path is a directory or one schema file; all are checked together."""
    directory = tmp_path / "d"
    directory.mkdir()
    (directory / "team.user.v1.yaml").write_text(BAD)
    single = tmp_path / "team.t.v1.yaml"
    single.write_text("type: object\nproperties:\n  u: {type: team.user.v1}\n")
    assert [str(p) for p in check_paths([single, directory, tmp_path / "x.yaml"])] == [
        f"{directory / 'team.user.v1.yaml'}:2: allowUnknown: {BAD_PROBLEM}",
        f"{single}:3: properties.u.type: refers to team.user.v1, which does not load",
        f"{tmp_path / 'x.yaml'}:0: no such file or directory",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("schemas", ["schemas"]),
        (f"a{os.pathsep}b", ["a", "b"]),
        (f"{os.pathsep}a{os.pathsep}{os.pathsep}b{os.pathsep}", ["a", "b"]),
        ("", []),
    ],
)
def test_parse_schema_dirs_splits_on_pathsep(value: str, expected: list[str]) -> None:
    """SCHEMA_DIR lists directories separated by os.pathsep; empty parts are dropped."""
    assert parse_schema_dirs(value) == expected


def bump(path: Path) -> None:
    """Give ``path`` a later modification time, as an edit within the same tick would not."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def test_fingerprint_changes_on_edit_add_and_delete_only(tmp_path: Path) -> None:
    """Equal fingerprints mean nothing to reload; any schema file change shows."""
    (tmp_path / "team.a.v1.yaml").write_text(GOOD)
    (tmp_path / "README.md").write_text("x")
    before = fingerprint([tmp_path])
    assert fingerprint([tmp_path]) == before
    (tmp_path / "README.md").write_text("changed, but not a schema")
    assert fingerprint([tmp_path]) == before
    (tmp_path / "team.a.v1.yaml").write_text(GOOD_2)
    bump(tmp_path / "team.a.v1.yaml")
    edited = fingerprint([tmp_path])
    assert edited != before
    (tmp_path / "team.b.v1.yml").write_text(GOOD)
    added = fingerprint([tmp_path])
    assert added not in (before, edited)
    (tmp_path / "team.b.v1.yml").unlink()
    assert fingerprint([tmp_path]) not in (added, before)


def test_fingerprint_of_a_missing_directory_is_stable(tmp_path: Path) -> None:
    """A missing directory does not raise, and its appearance shows."""
    missing = tmp_path / "later"
    before = fingerprint([missing])
    assert fingerprint([missing]) == before
    missing.mkdir()
    assert fingerprint([missing]) != before


def test_fingerprint_is_cheap(tmp_path: Path) -> None:
    """Polling a directory of 20 schema files costs well under a millisecond."""
    for index in range(20):
        (tmp_path / f"team.s{index}.v1.yaml").write_text(GOOD)
    rounds = 200
    start = time.perf_counter()
    for _ in range(rounds):
        fingerprint([tmp_path])
    assert (time.perf_counter() - start) / rounds < 0.001
