"""Schema files and directories: read, check, compile, and report every problem at once."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from schema_registry.compiler import CompiledSchema, compile_schema, digest_of
from schema_registry.definition import check_definition
from schema_registry.errors import SchemaLoadError, SchemaProblem
from schema_registry.registry import Registry
from schema_registry.yamlsource import parse_yaml

#: File name endings of schema files, in order of preference.
SCHEMA_SUFFIXES = (".yaml", ".yml")

#: A schema's name is a namespace name: the same rule as the HTTP contract's.
SCHEMA_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*")
MAX_NAME_LENGTH = 128


def schema_name_of(path: str | os.PathLike[str]) -> str:
    """Return the schema name a file defines: its file name without the extension."""
    return Path(path).stem


def is_valid_schema_name(name: str) -> bool:
    """Tell whether ``name`` is a valid namespace name, and so a valid schema name."""
    return len(name) <= MAX_NAME_LENGTH and SCHEMA_NAME.fullmatch(name) is not None


def read_schema_file(
    path: str | os.PathLike[str],
) -> tuple[dict[str, Any] | None, list[SchemaProblem]]:
    """Read and check one schema file: its definition (None if any problem) and its problems."""
    data, problems = _read_bytes(path)
    if data is None:
        return None, problems
    return definition_from_bytes(data, file=str(path), name=schema_name_of(path))


def definition_from_bytes(
    data: bytes, *, file: str, name: str
) -> tuple[dict[str, Any] | None, list[SchemaProblem]]:
    """Check the bytes of schema ``name``: its definition (None if any problem), its problems."""
    problems = _name_problems(name, file)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, [*problems, SchemaProblem(file, line, "", f"not valid UTF-8: {exc.reason}")]
    parsed = parse_yaml(text, file)
    problems.extend(parsed.problems)
    if parsed.value is not None or not parsed.problems:  # else YAML itself was unreadable
        problems.extend(check_definition(parsed.value, file=file, lines=parsed.lines))
    problems.sort(key=lambda problem: problem.line)
    return (None if problems else parsed.value), problems


def load_schema_file(path: str | os.PathLike[str]) -> CompiledSchema:
    """Load and compile one schema file; raise `SchemaLoadError` with all its problems."""
    data, problems = _read_bytes(path)
    if data is None:
        raise SchemaLoadError(problems)
    name, file = schema_name_of(path), str(path)
    definition, problems = definition_from_bytes(data, file=file, name=name)
    if definition is None:
        raise SchemaLoadError(problems)
    return compile_schema(name, definition, source=file, digest=digest_of(data))


def load_directory(path: str | os.PathLike[str]) -> Registry:
    """Load every schema file directly in a directory into a registry.

    Files ending in ``.yaml`` or ``.yml`` are schemas; other files,
    dotfiles and subdirectories are ignored. If any file is bad, nothing is
    loaded: `SchemaLoadError` lists every problem of every file.
    """
    files, problems = schema_files(path)
    problems.extend(_same_name_problems(files))
    schemas: list[CompiledSchema] = []
    for file in files:
        try:
            schemas.append(load_schema_file(file))
        except SchemaLoadError as exc:
            problems.extend(exc.problems)
    if problems:
        raise SchemaLoadError(problems)
    return Registry(schemas)


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
    return [entry for entry in entries if _is_schema_file(entry)], []


def _is_schema_file(entry: Path) -> bool:
    """Tell whether a directory entry is a schema file (not a dotfile, not a directory)."""
    return entry.suffix in SCHEMA_SUFFIXES and not entry.name.startswith(".") and not entry.is_dir()


def _same_name_problems(files: list[Path]) -> list[SchemaProblem]:
    """Report schema names defined by two files (``x.yaml`` and ``x.yml``)."""
    first: dict[str, Path] = {}
    problems: list[SchemaProblem] = []
    for file in sorted(files, key=lambda file: SCHEMA_SUFFIXES.index(file.suffix)):
        name = schema_name_of(file)
        if name in first:
            message = f"schema {name!r} is also defined by {first[name].name}; keep only one"
            problems.append(SchemaProblem(str(file), 1, "", message))
        else:
            first[name] = file
    return problems


def _name_problems(name: str, file: str) -> list[SchemaProblem]:
    """Report a file name that is not a valid schema (namespace) name."""
    if is_valid_schema_name(name):
        return []
    message = (
        f"{name!r} is not a valid schema name: the file name without its extension must be"
        f" 1 to {MAX_NAME_LENGTH} characters, dot-separated segments of letters, digits,"
        " '_' and '-', starting with a letter"
    )
    return [SchemaProblem(file, 1, "", message)]


def _read_bytes(path: str | os.PathLike[str]) -> tuple[bytes | None, list[SchemaProblem]]:
    """Read a file's bytes, or report why they cannot be read."""
    try:
        return Path(path).read_bytes(), []
    except OSError as exc:
        return None, [SchemaProblem(str(path), 1, "", f"cannot read file: {exc.strerror}")]
