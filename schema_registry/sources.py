"""Where schema files come from: directories, and packages' entry points; and their fingerprint.

A *source* is something a person can find: a file path, or for a file that
an installed distribution publishes, ``entry point <dist>:<name> <path>``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from schema_registry.errors import SchemaProblem

#: File name endings of schema files, in order of preference.
SCHEMA_SUFFIXES = (".yaml", ".yml")

#: The entry-point group through which installed distributions publish schema directories.
ENTRY_POINT_GROUP = "sessionator.schemas"

#: What `fingerprint` returns: comparable for equality, nothing more.
Fingerprint = tuple[tuple[str, int | None, int | None], ...]


@dataclass(frozen=True)
class SchemaFile:
    """A schema file to load, and the source it is reported under."""

    path: Path
    source: str


def parse_schema_dirs(value: str) -> list[str]:
    """Split a ``SCHEMA_DIR`` value on `os.pathsep`, dropping empty parts."""
    return [part for part in value.split(os.pathsep) if part]


def is_schema_file_name(name: str) -> bool:
    """Tell whether a directory entry's name is a schema file's (not a dotfile)."""
    return name.endswith(SCHEMA_SUFFIXES) and not name.startswith(".")


def schema_files(path: str | os.PathLike[str]) -> tuple[list[Path], list[SchemaProblem]]:
    """List the schema files directly in a directory, sorted; or the problem with the directory."""
    directory = Path(path)
    try:
        entries = sorted(directory.iterdir())
    except FileNotFoundError:
        return [], [SchemaProblem(str(directory), 0, "", "schema directory does not exist")]
    except NotADirectoryError:
        return [], [SchemaProblem(str(directory), 0, "", "schema directory is not a directory")]
    except OSError as exc:
        message = f"cannot read schema directory: {exc.strerror}"
        return [], [SchemaProblem(str(directory), 0, "", message)]
    return [
        entry for entry in entries if is_schema_file_name(entry.name) and not entry.is_dir()
    ], []


def directory_sources(
    directories: Iterable[str | os.PathLike[str]],
) -> tuple[list[SchemaFile], list[SchemaProblem]]:
    """The schema files of every directory, in order; and the directories' problems."""
    files: list[SchemaFile] = []
    problems: list[SchemaProblem] = []
    for directory in directories:
        paths, found = schema_files(directory)
        files += [SchemaFile(path, str(path)) for path in paths]
        problems += found
    return files, problems


def published_entry_points() -> list[Any]:
    """The installed entry points of the ``sessionator.schemas`` group, in a stable order."""
    found = metadata.entry_points(group=ENTRY_POINT_GROUP)
    return sorted(found, key=lambda ep: (_distribution(ep), ep.name))


def entry_point_sources(
    entry_points: Callable[[], list[Any]] = published_entry_points,
) -> tuple[list[SchemaFile], list[SchemaProblem]]:
    """The schema files every installed distribution publishes; a failing one is a problem."""
    files: list[SchemaFile] = []
    problems: list[SchemaProblem] = []
    for ep in entry_points():
        label = f"entry point {_distribution(ep)}:{ep.name}"
        directory, problem = _published_directory(ep, label)
        if directory is None:
            problems.append(SchemaProblem(label, 0, "", problem))
            continue
        paths, found = schema_files(directory)
        files += [SchemaFile(path, f"{label} {path}") for path in paths]
        problems += [
            SchemaProblem(p.file, p.line, p.key, f"{p.message} (published by {label})")
            for p in found
        ]
    return files, problems


def _published_directory(ep: Any, label: str) -> tuple[Path | None, str]:
    """Load an entry point's directory: a path, or a callable returning one."""
    try:
        value = ep.load()
        if callable(value):
            value = value()
    except Exception as exc:  # a broken package must not stop the service
        return None, f"cannot load {ep.value!r}: {type(exc).__name__}: {exc}"
    if not isinstance(value, str | os.PathLike):
        return None, f"{ep.value!r} must be a directory path, got {type(value).__name__}"
    return Path(value), ""


def _distribution(ep: Any) -> str:
    """Name the distribution that declares an entry point."""
    dist = getattr(ep, "dist", None)
    return str(dist.name) if dist is not None else "<unknown distribution>"


def fingerprint(directories: Sequence[str | os.PathLike[str]]) -> Fingerprint:
    """A cheap summary of the schema files in ``directories``, to tell whether any changed.

    One ``stat`` per directory and per schema file, no reading: (path,
    mtime_ns, size) of every schema file, plus each directory's own mtime_ns
    (size None), or (path, None, None) for a directory that cannot be read.
    Two equal fingerprints mean nothing needs reloading.
    """
    parts: list[tuple[str, int | None, int | None]] = []
    for directory in (str(path) for path in directories):
        try:
            parts.append((directory, os.stat(directory).st_mtime_ns, None))
            with os.scandir(directory) as entries:
                for entry in entries:
                    if is_schema_file_name(entry.name) and not entry.is_dir():
                        stat = entry.stat()
                        parts.append((entry.path, stat.st_mtime_ns, stat.st_size))
        except OSError:
            parts.append((directory, None, None))
    return tuple(sorted(parts, key=lambda part: part[0]))
