"""One schema file's bytes to a checked definition, with its digest, text and problems."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schema_registry.compiler import digest_of
from schema_registry.definition import MAX_NAME_LENGTH, check_definition, is_valid_schema_name
from schema_registry.errors import SchemaProblem
from schema_registry.sources import SchemaFile
from schema_registry.yamlsource import KeyPath, parse_yaml


@dataclass(frozen=True)
class ReadSchema:
    """A schema file as read now: its checked definition (None if any problem) and the rest.

    ``tree`` is the parsed YAML even when it breaks the language's rules
    (None only when unreadable), so that unknown references can still be
    reported; ``lines`` maps its key paths to lines.
    """

    name: str
    file: str
    source: str
    digest: str
    text: str
    definition: dict[str, Any] | None
    tree: Any = None
    lines: Mapping[KeyPath, int] = field(default_factory=dict)
    problems: tuple[SchemaProblem, ...] = ()


def schema_name_of(path: str | os.PathLike[str]) -> str:
    """Return the schema name a file defines: its file name without the extension."""
    return Path(path).stem


def read_schema(schema_file: SchemaFile) -> ReadSchema:
    """Read and check one schema file; a file that cannot be read is a problem."""
    path = schema_file.path
    name, file = schema_name_of(path), str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        problem = SchemaProblem(file, 1, "", f"cannot read file: {exc.strerror}")
        return ReadSchema(name, file, schema_file.source, "", "", None, problems=(problem,))
    return read_bytes(data, file=file, name=name, source=schema_file.source)


def read_bytes(data: bytes, *, file: str, name: str, source: str) -> ReadSchema:
    """Check the bytes of schema ``name`` read from ``file``."""
    problems = name_problems(name, file)
    digest = digest_of(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.append(SchemaProblem(file, line, "", f"not valid UTF-8: {exc.reason}"))
        return ReadSchema(name, file, source, digest, "", None, problems=tuple(problems))
    parsed = parse_yaml(text, file)
    problems.extend(parsed.problems)
    if parsed.value is not None or not parsed.problems:  # else YAML itself was unreadable
        problems.extend(check_definition(parsed.value, file=file, lines=parsed.lines))
    problems.sort(key=lambda problem: problem.line)
    definition = None if problems else parsed.value
    return ReadSchema(
        name, file, source, digest, text, definition, parsed.value, parsed.lines, tuple(problems)
    )


def name_problems(name: str, file: str) -> list[SchemaProblem]:
    """Report a file name that is not a valid schema (namespace) name."""
    if is_valid_schema_name(name):
        return []
    message = (
        f"{name!r} is not a valid schema name: the file name without its extension must be"
        f" 1 to {MAX_NAME_LENGTH} characters, dot-separated segments of letters, digits,"
        " '_' and '-', starting with a letter"
    )
    return [SchemaProblem(file, 1, "", message)]
