"""Loading schemas: files, directories and packages' entry points into a registry.

`load_registry` never raises for a bad schema: every problem is reported in
the registry it returns, and schemas fail closed (see
`schema_registry.resolution`). `load_directory` is the strict form, for a
start-up that must stop on any problem.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from schema_registry.compiler import CompiledSchema
from schema_registry.definition import MAX_NAME_LENGTH, SCHEMA_NAME, is_valid_schema_name
from schema_registry.errors import SchemaLoadError, SchemaProblem
from schema_registry.modes import BACKWARD
from schema_registry.reading import read_bytes, read_schema, schema_name_of
from schema_registry.registry import Registry
from schema_registry.resolution import build_registry, sort_problems
from schema_registry.sources import (
    SCHEMA_SUFFIXES,
    SchemaFile,
    directory_sources,
    entry_point_sources,
    schema_files,
)

__all__ = [
    "MAX_NAME_LENGTH",
    "SCHEMA_NAME",
    "SCHEMA_SUFFIXES",
    "check_paths",
    "is_valid_schema_name",
    "load_directory",
    "load_registry",
    "load_schema_file",
    "load_texts",
    "read_schema_file",
    "schema_files",
    "schema_name_of",
]


def load_registry(
    directories: Sequence[str | os.PathLike[str]],
    *,
    entry_points: bool = True,
    previous: Registry | None = None,
    now: datetime | None = None,
    compatibility: str = BACKWARD,
) -> Registry:
    """Load every schema of ``directories`` (and of installed packages) into a registry.

    Never raises for a schema problem: each is in ``registry.problems`` and
    in its entry. With ``previous``, a schema that fails now keeps its last
    good version in force (``stale``); so does one whose edit is breaking,
    unless ``compatibility`` is ``"none"`` (see `schema_registry.compatibility`);
    a name that never loaded is ``broken``; a file that is gone is gone from
    the registry.
    """
    files, problems = directory_sources(directories)
    if entry_points:
        published, found = entry_point_sources()
        files += published
        problems += found
    read = [read_schema(file) for file in _distinct(files)]
    when = now or datetime.now(UTC)
    return build_registry(read, problems, previous=previous, now=when, compatibility=compatibility)


def load_directory(path: str | os.PathLike[str]) -> Registry:
    """Load every schema file directly in one directory; raise `SchemaLoadError` on any problem.

    Files ending in ``.yaml`` or ``.yml`` are schemas; other files,
    dotfiles and subdirectories are ignored. No entry points are read.
    """
    registry = load_registry([path], entry_points=False)
    if registry.problems:
        raise SchemaLoadError(registry.problems)
    return registry


def check_paths(
    paths: Sequence[str | os.PathLike[str]], *, against: Registry | None = None
) -> list[SchemaProblem]:
    """Every problem of the schema files at ``paths`` (directories or files), by file and line.

    The files are checked together, as one registry: references between
    them resolve, and a name defined twice is a problem. With ``against``
    (the schemas in force now), every breaking change from them is a
    problem too, exactly as a hot reload would refuse it.
    """
    files: list[SchemaFile] = []
    problems: list[SchemaProblem] = []
    for path in paths:
        if Path(path).is_dir():
            found, trouble = directory_sources([path])
            files, problems = files + found, problems + trouble
        elif Path(path).exists():
            files.append(SchemaFile(Path(path), str(path)))
        else:
            problems.append(SchemaProblem(str(path), 0, "", "no such file or directory"))
    registry = build_registry(
        [read_schema(file) for file in _distinct(files)],
        problems,
        previous=against,
        now=datetime.now(UTC),
    )
    return sort_problems(registry.problems)


def load_texts(texts: Mapping[str, str], origin: str) -> Registry:
    """Load schemas given as text (name -> YAML), each reported as ``<origin>/<name>``.

    For versions read from elsewhere than files, such as those a running
    service has in force (``GET /v1/schemas/<name>``). Never raises.
    """
    read = [
        read_bytes(text.encode(), file=f"{origin}/{name}", name=name, source=f"{origin}/{name}")
        for name, text in sorted(texts.items())
    ]
    return build_registry(read, [], previous=None, now=datetime.now(UTC))


def read_schema_file(
    path: str | os.PathLike[str],
) -> tuple[dict[str, Any] | None, list[SchemaProblem]]:
    """Read and check one schema file alone: its definition (None if any problem), its problems.

    References to other schemas are not resolved here: see `check_paths`.
    """
    read = read_schema(SchemaFile(Path(path), str(path)))
    return read.definition, list(read.problems)


def load_schema_file(path: str | os.PathLike[str]) -> CompiledSchema:
    """Load and compile one schema file (referring to no other); raise `SchemaLoadError`."""
    registry = build_registry(
        [read_schema(SchemaFile(Path(path), str(path)))],
        [],
        previous=None,
        now=datetime.now(UTC),
    )
    schema = registry.get(schema_name_of(path))
    if schema is None or registry.problems:
        raise SchemaLoadError(registry.problems)
    return schema


def _distinct(files: list[SchemaFile]) -> list[SchemaFile]:
    """Drop a file met twice (a directory listed twice), keeping its first source."""
    seen: set[str] = set()
    kept: list[SchemaFile] = []
    for file in files:
        key = os.path.realpath(file.path)
        if key not in seen:
            seen.add(key)
            kept.append(file)
    return kept
