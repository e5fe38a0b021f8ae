"""JSON Merge Patch (RFC 7396) and JSON Patch (RFC 6902) over documents from ``json.loads``.

Both functions return a new document and never change their arguments. Two
kinds of failure are told apart: :class:`PatchError` when the patch document
itself is malformed (whatever it is applied to), :class:`PatchConflict` when a
well-formed patch cannot apply to this document (a missing member, an index
out of range, a failed ``test``). JSON Pointers follow RFC 6901.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.json_values import json_equal, kind

OPERATIONS = ("add", "remove", "replace", "move", "copy", "test")

_NEEDS_VALUE = frozenset({"add", "replace", "test"})
_NEEDS_FROM = frozenset({"move", "copy"})
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")
_ESCAPE = re.compile(r"~(?![01])")
_SHOWN_VALUE_LENGTH = 80
_LONGEST_INDEX = 18  # longer indices are out of range of any array (and int() may refuse them)


class PatchError(Exception):
    """The patch document is malformed, whatever document it is applied to."""


class PatchConflict(Exception):
    """A well-formed patch cannot apply to this document."""


# --- JSON Merge Patch (RFC 7396) ---------------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    """The result of applying a JSON Merge Patch to a document (RFC 7396)."""
    return _merge(copy.deepcopy(target), patch)


def _merge(target: Any, patch: Any) -> Any:
    """RFC 7396 MergePatch on a target that may be changed in place."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    for name, value in patch.items():
        if value is None:
            target.pop(name, None)
        else:
            target[name] = _merge(target.get(name), value)
    return target


# --- JSON Patch (RFC 6902) ---------------------------------------------------


@dataclass(frozen=True)
class _Operation:
    """One validated operation of a JSON Patch document."""

    index: int
    op: str
    path: str
    tokens: tuple[str, ...]
    source: str = ""
    source_tokens: tuple[str, ...] = ()
    value: Any = None

    @property
    def label(self) -> str:
        """How messages name the operation, e.g. ``operation 2 (remove /a/b)``."""
        if self.op in _NEEDS_FROM:
            return f"operation {self.index} ({self.op} {_show(self.source)} to {_show(self.path)})"
        return f"operation {self.index} ({self.op} {_show(self.path)})"


def json_patch(
    target: Any, operations: Any, after_copy: Callable[[Any], None] | None = None
) -> Any:
    """The result of applying a JSON Patch document to a document (RFC 6902), all or nothing.

    ``copy`` is the one operation that can grow a document beyond what the
    patch itself carries (each one may double it), so ``after_copy`` is
    called with the document after each, to refuse a runaway before the next.
    """
    parsed = _parse_document(operations)
    document = copy.deepcopy(target)
    for operation in parsed:
        try:
            document = _apply(document, operation)
        except (PatchError, PatchConflict) as exc:
            raise type(exc)(f"{operation.label}: {exc}") from None
        if operation.op == "copy" and after_copy is not None:
            after_copy(document)
    return document


def check_json_patch(operations: Any) -> None:
    """Raise `PatchError` unless ``operations`` is a well-formed JSON Patch document."""
    _parse_document(operations)


def _parse_document(operations: Any) -> list[_Operation]:
    """Every operation of a JSON Patch document, checked for form before any is applied."""
    if not isinstance(operations, list):
        raise PatchError(
            f"a JSON Patch document must be an array of operations, not {kind(operations)}."
        )
    return [_parse_operation(index, item) for index, item in enumerate(operations)]


def _parse_operation(index: int, item: Any) -> _Operation:
    """One operation object, checked for its members (unknown members are ignored)."""
    if not isinstance(item, dict):
        raise PatchError(f"operation {index}: an operation must be an object, not {kind(item)}.")
    op = item.get("op")
    if op not in OPERATIONS:
        missing = '"op" is missing; it' if "op" not in item else '"op"'
        raise PatchError(f"operation {index}: {missing} must be one of {', '.join(OPERATIONS)}.")
    path = item.get("path")
    if not isinstance(path, str):
        problem = "is missing" if "path" not in item else f"must be a string, not {kind(path)}"
        raise PatchError(f'operation {index} ({op}): "path" {problem}.')
    label = f"operation {index} ({op} {_show(path)})"
    tokens = _parse_pointer(path, '"path"', label)
    if op == "remove" and not tokens:
        raise PatchError(f"{label}: the whole document cannot be removed (replace it instead).")
    if op in _NEEDS_VALUE and "value" not in item:
        raise PatchError(f'{label}: "value" is missing; {op} needs the value to {_USE[op]}.')
    if op not in _NEEDS_FROM:
        return _Operation(index, op, path, tokens, value=item.get("value"))
    source = item.get("from")
    if not isinstance(source, str):
        problem = "is missing" if "from" not in item else f"must be a string, not {kind(source)}"
        raise PatchError(f'{label}: "from" {problem}.')
    operation = _Operation(index, op, path, tokens, source, _parse_pointer(source, '"from"', label))
    if op == "move" and _is_proper_prefix(operation.source_tokens, tokens):
        raise PatchError(
            f"{operation.label}: a value cannot be moved into one of its own children."
        )
    return operation


_USE = {"add": "add", "replace": "put there", "test": "compare with"}


def _parse_pointer(pointer: str, member: str, label: str) -> tuple[str, ...]:
    """The reference tokens of an RFC 6901 JSON Pointer, unescaped."""
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        raise PatchError(
            f"{label}: {member} {_show(pointer)} is not a JSON Pointer; "
            "it must be empty or start with '/'."
        )
    if _ESCAPE.search(pointer):
        raise PatchError(
            f"{label}: {member} {_show(pointer)} is not a JSON Pointer; "
            "'~' must be followed by 0 or 1 (write '~0' for '~' and '~1' for '/')."
        )
    return tuple(token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/"))


def _is_proper_prefix(prefix: tuple[str, ...], tokens: tuple[str, ...]) -> bool:
    """Whether ``prefix`` names a location strictly above ``tokens``."""
    return len(prefix) < len(tokens) and tokens[: len(prefix)] == prefix


def _apply(document: Any, operation: _Operation) -> Any:
    """The document after one operation; containers inside it may be changed in place."""
    if operation.op == "add":
        return _add(document, operation.tokens, copy.deepcopy(operation.value))
    if operation.op == "remove":
        return _remove(document, operation.tokens)
    if operation.op == "replace":
        return _replace(document, operation.tokens, copy.deepcopy(operation.value))
    if operation.op == "move":
        return _move(document, operation.source_tokens, operation.tokens)
    if operation.op == "copy":
        value = copy.deepcopy(_get(document, operation.source_tokens))
        return _add(document, operation.tokens, value)
    _test(document, operation.tokens, operation.value)
    return document


def _add(document: Any, tokens: tuple[str, ...], value: Any) -> Any:
    """Add (or, for an object member, set) the value at a location."""
    if not tokens:
        return value
    parent, name = _get(document, tokens[:-1]), tokens[-1]
    if isinstance(parent, dict):
        parent[name] = value
    elif isinstance(parent, list):
        position = len(parent) if name == "-" else _array_index(parent, name, tokens[:-1])
        if position > len(parent):
            raise PatchConflict(
                f"index {position} is past the end of the array at {_where(tokens[:-1])}, "
                f"which has {_elements(parent)} (the last place to add at is {len(parent)})."
            )
        parent.insert(position, value)
    else:
        raise _not_a_container(parent, name, tokens[:-1])
    return document


def _remove(document: Any, tokens: tuple[str, ...]) -> Any:
    """Remove the value at a location that must exist."""
    parent, name = _get(document, tokens[:-1]), tokens[-1]
    key = _existing_key(parent, name, tokens[:-1])
    del parent[key]
    return document


def _replace(document: Any, tokens: tuple[str, ...], value: Any) -> Any:
    """Replace the value at a location that must exist."""
    if not tokens:
        return value
    parent, name = _get(document, tokens[:-1]), tokens[-1]
    parent[_existing_key(parent, name, tokens[:-1])] = value
    return document


def _move(document: Any, source: tuple[str, ...], tokens: tuple[str, ...]) -> Any:
    """Remove the value at ``source`` and add it at ``tokens``."""
    value = _get(document, source)
    if source == tokens:
        return document
    return _add(_remove(document, source), tokens, value)


def _test(document: Any, tokens: tuple[str, ...], expected: Any) -> None:
    """Fail unless the value at a location equals the expected value as JSON."""
    actual = _get(document, tokens)
    if not json_equal(actual, expected):
        raise PatchConflict(
            f"the value at {_where(tokens)} is {_dump(actual)}, not {_dump(expected)}."
        )


def _get(document: Any, tokens: tuple[str, ...]) -> Any:
    """The value a pointer's tokens reference; it must exist."""
    value = document
    for depth, name in enumerate(tokens):
        value = value[_existing_key(value, name, tokens[:depth])]
    return value


def _existing_key(container: Any, name: str, at: tuple[str, ...]) -> str | int:
    """The dict key or list index that ``name`` references in ``container``; it must exist."""
    if isinstance(container, dict):
        if name not in container:
            raise PatchConflict(f"there is no member {_quote(name)} at {_where(at)}.")
        return name
    if isinstance(container, list):
        if name == "-":
            raise PatchConflict(
                f"'-' names the place after the last element of the array at {_where(at)}, "
                "where there is no value (only add may use it)."
            )
        index = _array_index(container, name, at)
        if index >= len(container):
            raise PatchConflict(
                f"there is no element {index} at {_where(at)}: "
                f"the array has {_elements(container)}."
            )
        return index
    raise _not_a_container(container, name, at)


def _array_index(container: list[Any], name: str, at: tuple[str, ...]) -> int:
    """The array index a token spells: decimal digits without a leading zero."""
    if _ARRAY_INDEX.fullmatch(name) and len(name) > _LONGEST_INDEX:
        raise PatchConflict(
            f"there is no element {name} at {_where(at)}: the array has {_elements(container)}."
        )
    if not _ARRAY_INDEX.fullmatch(name):
        raise PatchError(
            f"{_quote(name)} is not an array index (the value at {_where(at)} is an array "
            f"of {_elements(container)}); indices are 0 or digits without a leading zero."
        )
    return int(name)


def _not_a_container(value: Any, name: str, at: tuple[str, ...]) -> PatchConflict:
    """The conflict of looking for a member or element inside a scalar."""
    return PatchConflict(
        f"the value at {_where(at)} is {kind(value)}, "
        f"so it has no member or element {_quote(name)}."
    )


# --- Messages ----------------------------------------------------------------


def _where(tokens: tuple[str, ...]) -> str:
    """A location for a message: its JSON Pointer, or ``the document root``."""
    if not tokens:
        return "the document root"
    return "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in tokens)


def _show(pointer: str) -> str:
    """A pointer as written in the patch, ``""`` when it is empty."""
    return pointer if pointer else '""'


def _quote(name: str) -> str:
    """A member name or array token, quoted for a message."""
    return f"'{name}'"


def _elements(container: list[Any]) -> str:
    """``1 element`` or ``n elements``."""
    return f"{len(container)} element{'' if len(container) == 1 else 's'}"


def _dump(value: Any) -> str:
    """A value as JSON for a message, shortened when long."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=repr)
    if len(text) <= _SHOWN_VALUE_LENGTH:
        return text
    return text[: _SHOWN_VALUE_LENGTH - 1] + "…"
