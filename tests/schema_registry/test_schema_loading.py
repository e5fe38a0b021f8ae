"""Loading schema directories: all good, or every problem of every file at once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from schema_registry import SchemaLoadError, SchemaProblem, load_directory
from schema_registry.loader import load_schema_file

GOOD = "type: object\nproperties:\n  a: {type: string}\n"


def sha256(path: Path) -> str:
    """The digest a schema file should have."""
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_shipped_schemas_load_cleanly(shipped_schemas: Path) -> None:
    """The schemas in the repository's schemas/ directory all load."""
    registry = load_directory(shipped_schemas)
    assert registry.names() == [
        "checkout.cart.v1",
        "restaurants.lastVisited.v1",
        "teamName.objectType.v1",
    ]
    for name in registry.names():
        schema = registry.get(name)
        assert schema is not None
        path = shipped_schemas / f"{name}.yaml"
        assert (schema.name, schema.source, schema.digest) == (name, str(path), sha256(path))


def test_directory_of_good_files_becomes_a_registry(tmp_path: Path) -> None:
    """Every .yaml and .yml file directly in the directory is loaded, named by its file name."""
    (tmp_path / "team.one.v1.yaml").write_text(GOOD)
    (tmp_path / "team.two.v1.yml").write_text(GOOD)
    registry = load_directory(str(tmp_path))
    assert registry.names() == ["team.one.v1", "team.two.v1"]


def test_other_files_dotfiles_and_subdirectories_are_ignored(tmp_path: Path) -> None:
    """Only schema files directly in the directory count; nothing else is even read."""
    (tmp_path / "team.one.v1.yaml").write_text(GOOD)
    (tmp_path / "README.md").write_text("# not a schema")
    (tmp_path / "team.json").write_text("{")
    (tmp_path / "team.two.v1.YAML").write_text("not: [valid")
    (tmp_path / "team.one.v1.yaml~").write_text("not: [valid")
    (tmp_path / ".team.swap.yaml").write_text("not: [valid")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "team.deep.v1.yaml").write_text(GOOD)
    (tmp_path / "dir.yaml").mkdir()
    assert load_directory(tmp_path).names() == ["team.one.v1"]


def test_empty_directory_is_an_empty_registry(tmp_path: Path) -> None:
    """A directory without schemas is valid: every namespace is then free-form."""
    registry = load_directory(tmp_path)
    assert len(registry) == 0


def test_every_problem_of_every_file_is_reported_together(tmp_path: Path) -> None:
    """One bad file does not hide another: all problems come in one error, file by file."""
    (tmp_path / "team.good.v1.yaml").write_text(GOOD)
    (tmp_path / "team.a.v1.yaml").write_text("type: object\nproperties:\n  x: {type: strng}\n")
    (tmp_path / "team.b.v1.yml").write_text("type: object\nallowUnknown: 1\nextra: 2\n")
    (tmp_path / "team c.yaml").write_text(GOOD)
    with pytest.raises(SchemaLoadError) as caught:
        load_directory(tmp_path)
    a, b, c = (str(tmp_path / name) for name in ("team.a.v1.yaml", "team.b.v1.yml", "team c.yaml"))
    assert [(p.file, p.line, p.key) for p in caught.value.problems] == [
        (c, 1, ""),  # files in sorted order: " " sorts before "."
        (a, 3, "properties.x.type"),
        (b, 2, "allowUnknown"),
        (b, 3, "extra"),
    ]
    assert str(caught.value).splitlines()[1] == (
        f"{a}:3: properties.x.type: unknown type 'strng';"
        " it must be one of: array, boolean, integer, number, object, string, or a schema's name"
    )


def test_same_schema_in_yaml_and_yml_is_a_problem(tmp_path: Path) -> None:
    """x.yaml and x.yml both define schema x: refused, naming both files."""
    (tmp_path / "team.x.v1.yaml").write_text(GOOD)
    (tmp_path / "team.x.v1.yml").write_text(GOOD)
    with pytest.raises(SchemaLoadError) as caught:
        load_directory(tmp_path)
    assert caught.value.problems == (
        SchemaProblem(
            str(tmp_path / "team.x.v1.yml"),
            1,
            "",
            f"schema 'team.x.v1' is also defined by {tmp_path / 'team.x.v1.yaml'}; keep only one",
        ),
    )


def test_missing_directory_is_a_problem_naming_it(tmp_path: Path) -> None:
    """A schema directory that does not exist stops the load (line 0: not a place in a file)."""
    missing = tmp_path / "nowhere"
    with pytest.raises(SchemaLoadError) as caught:
        load_directory(missing)
    assert caught.value.problems == (
        SchemaProblem(str(missing), 0, "", "schema directory does not exist"),
    )
    assert str(caught.value) == f"{missing}:0: schema directory does not exist"


def test_file_given_as_directory_is_a_problem(tmp_path: Path) -> None:
    """A path to a file is not a schema directory."""
    file = tmp_path / "team.one.v1.yaml"
    file.write_text(GOOD)
    with pytest.raises(SchemaLoadError) as caught:
        load_directory(file)
    assert caught.value.problems == (
        SchemaProblem(str(file), 0, "", "schema directory is not a directory"),
    )


def test_load_schema_file_compiles_one_file_with_its_digest(tmp_path: Path) -> None:
    """A single file loads on its own, with the SHA-256 of its bytes as digest."""
    path = tmp_path / "team.one.v1.yaml"
    path.write_text(GOOD)
    schema = load_schema_file(path)
    assert (schema.name, schema.source, schema.digest) == ("team.one.v1", str(path), sha256(path))
    assert schema.definition == {"type": "object", "properties": {"a": {"type": "string"}}}


def test_load_schema_file_reports_an_unreadable_file(tmp_path: Path) -> None:
    """A file that cannot be read is a problem, not a crash."""
    path = tmp_path / "team.gone.v1.yaml"
    with pytest.raises(SchemaLoadError) as caught:
        load_schema_file(path)
    assert caught.value.problems == (
        SchemaProblem(str(path), 1, "", "cannot read file: No such file or directory"),
    )
