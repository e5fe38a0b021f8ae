"""The schema registry's exceptions and the problem record they carry.

`SchemaProblem` and `SchemaLoadError` describe schema *files* that are not
valid in the schema language; `ValidationFailed` describes a *document* that
does not match a valid schema. marshmallow's `ValidationError` is translated
into `ValidationFailed` here, once (`details_from_messages`), so nothing
outside this package ever sees marshmallow's nested error shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: The key under which marshmallow (and `ValidationFailed.details`) reports
#: errors that concern a whole object rather than one of its fields.
WHOLE_DOCUMENT = "_schema"


@dataclass(frozen=True)
class SchemaProblem:
    """One reason why a schema file is not valid in the schema language.

    ``line`` is 1-based; it is 0 only for a problem that is not about a
    place in a file (a schema directory that does not exist). ``key`` is the
    dotted key path inside the file (``properties.friends.items.type``), or
    ``""`` for a problem about the file as a whole.
    """

    file: str
    line: int
    key: str
    message: str

    def __str__(self) -> str:
        """Render as ``file:line: key: message`` (``file:line: message`` without a key)."""
        if self.key:
            return f"{self.file}:{self.line}: {self.key}: {self.message}"
        return f"{self.file}:{self.line}: {self.message}"


class SchemaLoadError(Exception):
    """Schema files could not be loaded; ``problems`` lists every reason found."""

    def __init__(self, problems: Iterable[SchemaProblem]) -> None:
        """Carry ``problems``; the message lists them one per line."""
        self.problems: tuple[SchemaProblem, ...] = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class ValidationFailed(Exception):
    """A document does not match its schema.

    ``details`` maps the dotted path of each failing field (``friends.0.age``)
    to its messages; errors about the whole document are under ``"_schema"``.
    """

    def __init__(self, details: Mapping[str, list[str]], *, schema_name: str = "") -> None:
        """Carry the per-field ``details`` of the failure and the failing schema's name."""
        self.details: dict[str, list[str]] = {path: list(msgs) for path, msgs in details.items()}
        self.schema_name = schema_name
        super().__init__(_summary(self.details, schema_name))


def _summary(details: Mapping[str, list[str]], schema_name: str) -> str:
    """Say in one sentence which schema failed and how many fields broke it."""
    subject = f"schema {schema_name!r}" if schema_name else "its schema"
    count = len(details)
    fields = "1 field" if count == 1 else f"{count} fields"
    return f"The document does not match {subject} ({fields} failed)."


def details_from_messages(messages: Mapping[Any, Any]) -> dict[str, list[str]]:
    """Flatten marshmallow's nested error messages into ``{dotted.path: [messages]}``.

    List indices become path segments (``friends.0.age``); a nested
    ``_schema`` entry belongs to the object that holds it (``pet``), and only
    errors about the document itself stay under ``_schema``.
    """
    details: dict[str, list[str]] = {}
    _collect(messages, (), details)
    return {path: details[path] for path in sorted(details, key=_path_order)}


def _collect(messages: object, path: tuple[str, ...], into: dict[str, list[str]]) -> None:
    """Add every message found under ``messages`` to ``into``, keyed by dotted path."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            child = path if key == WHOLE_DOCUMENT and path else (*path, str(key))
            _collect(value, child, into)
    elif isinstance(messages, list | tuple):
        for item in messages:
            _collect(item, path, into)
    else:
        into.setdefault(".".join(path) if path else WHOLE_DOCUMENT, []).append(str(messages))


def _path_order(path: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key for dotted paths that puts ``items.2`` before ``items.10``."""
    return tuple(
        (0, int(part), "") if part.isascii() and part.isdigit() else (1, 0, part)
        for part in path.split(".")
    )
