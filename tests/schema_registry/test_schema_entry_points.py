"""Schemas published by installed distributions through the ``sessionator.schemas`` group."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from schema_registry import SchemaProblem, load_registry
from schema_registry.sources import entry_point_sources

REPOSITORY = Path(__file__).resolve().parents[2]
GOOD = "type: object\nproperties:\n  a: {type: string}\n"


def test_an_installed_package_publishes_its_schemas(installed_site: Path) -> None:
    """A pip-installed distribution's schema directory is loaded, its source naming it."""
    script = textwrap.dedent(
        """\
        import json
        from schema_registry import load_registry
        registry = load_registry([], entry_points=True)
        print(json.dumps({
            "problems": [str(p) for p in registry.problems],
            "entries": [[e.name, e.status, e.source] for e in registry.entries()],
        }))
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(installed_site), str(REPOSITORY)])}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    path = installed_site / "restaurants_schemas" / "schemas" / "restaurants.favorites.v1.yaml"
    assert loaded == {
        "problems": [],
        "entries": [
            [
                "restaurants.favorites.v1",
                "ok",
                f"entry point restaurants-schemas:restaurants {path}",
            ]
        ],
    }


class FakeDistribution:
    """Just what a loader reads of a distribution: its name."""

    def __init__(self, name: str) -> None:
        self.name = name


class FakeEntryPoint:
    """An entry point whose object is given (or whose loading raises)."""

    def __init__(self, name: str, obj: Any, value: str = "pkg:thing") -> None:
        self.name, self.value, self.dist = name, value, FakeDistribution("team-schemas")
        self._obj = obj

    def load(self) -> Any:
        if isinstance(self._obj, Exception):
            raise self._obj
        return self._obj


def test_entry_point_may_give_a_path_or_a_callable(tmp_path: Path) -> None:
    """The object is a directory path, or a zero-argument callable returning one."""
    (tmp_path / "team.a.v1.yaml").write_text(GOOD)
    points = [FakeEntryPoint("direct", tmp_path), FakeEntryPoint("called", lambda: str(tmp_path))]
    files, problems = entry_point_sources(lambda: points)
    assert problems == []
    path = tmp_path / "team.a.v1.yaml"
    assert [file.source for file in files] == [
        f"entry point team-schemas:direct {path}",
        f"entry point team-schemas:called {path}",
    ]


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (
            ImportError("No module named 'pkg'"),
            "cannot load 'pkg:thing': ImportError: No module named 'pkg'",
        ),
        (42, "'pkg:thing' must be a directory path, got int"),
        (lambda: None, "'pkg:thing' must be a directory path, got NoneType"),
    ],
    ids=["import fails", "not a path", "callable returns no path"],
)
def test_failing_entry_point_is_a_problem_not_a_crash(obj: Any, message: str) -> None:
    """A broken package is reported under its entry point, and the rest still loads."""
    files, problems = entry_point_sources(lambda: [FakeEntryPoint("bad", obj)])
    assert (files, problems) == (
        [],
        [SchemaProblem("entry point team-schemas:bad", 0, "", message)],
    )


def test_entry_point_directory_that_does_not_exist_names_the_entry_point(tmp_path: Path) -> None:
    """The directory problem says which package published the directory."""
    missing = tmp_path / "gone"
    _, problems = entry_point_sources(lambda: [FakeEntryPoint("gone", missing)])
    assert problems == [
        SchemaProblem(
            str(missing),
            0,
            "",
            "schema directory does not exist (published by entry point team-schemas:gone)",
        )
    ]


def test_load_registry_without_entry_points_reads_only_directories(tmp_path: Path) -> None:
    """entry_points=False ignores installed packages."""
    (tmp_path / "team.a.v1.yaml").write_text(GOOD)
    assert load_registry([tmp_path], entry_points=False).names() == ["team.a.v1"]
