"""YAML text to plain Python, with the line of every key: the only place ruamel.yaml is used.

The round-trip loader knows where each key and list item came from
(``node.lc``) but returns its own scalar subclasses (``ScalarFloat``,
``ScalarBoolean`` ...). `parse_yaml` converts the tree to plain ``dict``,
``list``, ``str``, ``int``, ``float``, ``bool`` and ``None`` and records the
lines in a separate map keyed by key path, so that the definition checks and
the compiler never meet a ruamel type.

Duplicate keys are found on the composed node graph before construction, so
that every duplicate of a file is reported, not only the first.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.scalarbool import ScalarBoolean

from schema_registry.errors import SchemaProblem

#: A key path inside a YAML document: mapping keys and list indices.
KeyPath = tuple[Hashable, ...]


@dataclass(frozen=True)
class ParsedYaml:
    """The plain content of a YAML document, its key lines, and what was wrong with it."""

    value: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    problems: list[SchemaProblem] = field(default_factory=list)


def parse_yaml(text: str, file: str) -> ParsedYaml:
    """Parse one YAML document into plain Python and a line map; report its problems."""
    try:
        walk = _Walk(file)
        _walk_nodes(_new_yaml().compose(text), (), walk)
        if walk.cycles:  # constructing a self-containing document would never end
            return ParsedYaml(None, problems=walk.cycles + walk.duplicates)
        tree = _new_yaml().load(text)
    except YAMLError as exc:
        return ParsedYaml(None, problems=[_syntax_problem(exc, text, file)])
    except RecursionError:
        return ParsedYaml(None, problems=[SchemaProblem(file, 1, "", "YAML nested too deeply")])
    lines: dict[KeyPath, int] = {(): 1}
    return ParsedYaml(_to_plain(tree, (), lines), lines, walk.duplicates)


def dotted(path: KeyPath) -> str:
    """Render a key path as the dotted form used in problems (``properties.age.min``)."""
    return ".".join(str(part) for part in path)


def _new_yaml() -> YAML:
    """Return a fresh round-trip loader (a YAML instance must not be shared across threads)."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = True  # _walk_nodes finds and reports them all instead
    return yaml


def _syntax_problem(exc: YAMLError, text: str, file: str) -> SchemaProblem:
    """Turn a ruamel parse error into a problem at the line where it was noticed."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    position = getattr(exc, "position", None)  # a ReaderError (bad character) has no mark
    if mark is not None:
        line = int(mark.line) + 1
    else:
        line = text.count("\n", 0, position) + 1 if isinstance(position, int) else 1
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    prefix = f"{context}, " if context else ""
    return SchemaProblem(file, line, "", f"invalid YAML: {prefix}{problem}")


@dataclass
class _Walk:
    """State of one walk over a composed document, looking for structural problems."""

    file: str
    active: set[int] = field(default_factory=set)  # nodes on the current path
    done: set[int] = field(default_factory=set)  # nodes already walked (aliases repeat them)
    duplicates: list[SchemaProblem] = field(default_factory=list)
    cycles: list[SchemaProblem] = field(default_factory=list)


def _walk_nodes(node: Node | None, path: KeyPath, walk: _Walk) -> None:
    """Visit ``node`` and its children once, collecting duplicate keys and alias cycles."""
    if node is None or isinstance(node, ScalarNode) or id(node) in walk.done:
        return
    if id(node) in walk.active:
        message = "recursive YAML alias: a node may not contain itself"
        walk.cycles.append(SchemaProblem(walk.file, _line(node), dotted(path), message))
        return
    walk.active.add(id(node))
    for key, child in _children(node):
        _walk_nodes(child, (*path, key), walk)
    if isinstance(node, MappingNode):
        walk.duplicates.extend(_duplicate_keys(node, path, walk.file))
    walk.active.discard(id(node))
    walk.done.add(id(node))


def _line(node: Node) -> int:
    """Return the 1-based line where a node starts."""
    return int(node.start_mark.line) + 1


def _children(node: Node) -> list[tuple[Hashable, Node]]:
    """Return the (key or index, child node) pairs of a collection node."""
    if isinstance(node, MappingNode):
        return [(_key_text(key), value) for key, value in node.value]
    if isinstance(node, SequenceNode):
        return list(enumerate(node.value))
    return []


def _duplicate_keys(node: MappingNode, path: KeyPath, file: str) -> list[SchemaProblem]:
    """Report every key that appears a second time in one mapping."""
    first_line: dict[str, int] = {}
    problems: list[SchemaProblem] = []
    for key_node, _ in node.value:
        key, line = _key_text(key_node), _line(key_node)
        if key == "<<":  # merge keys are resolved by the constructor, not duplicates
            continue
        if key in first_line:
            message = f"duplicate key (first defined on line {first_line[key]})"
            problems.append(SchemaProblem(file, line, dotted((*path, key)), message))
        else:
            first_line[key] = line
    return problems


def _key_text(key: Node) -> str:
    """Return the source text of a scalar key (complex keys get a placeholder)."""
    return str(key.value) if isinstance(key, ScalarNode) else "<complex key>"


def _to_plain(value: Any, path: KeyPath, lines: dict[KeyPath, int]) -> Any:
    """Convert a round-trip tree to plain Python, recording each key's line in ``lines``."""
    if isinstance(value, Mapping):
        result: dict[Any, Any] = {}
        for key, item in value.items():
            child = (*path, _plain_scalar(key))
            lines[child] = _line_of(value, "key", key, lines.get(path, 1))
            result[child[-1]] = _to_plain(item, child, lines)
        return result
    if isinstance(value, list):
        items: list[Any] = []
        for index, item in enumerate(value):
            lines[(*path, index)] = _line_of(value, "item", index, lines.get(path, 1))
            items.append(_to_plain(item, (*path, index), lines))
        return items
    return _plain_scalar(value)


def _line_of(container: Any, kind: str, key: Any, default: int) -> int:
    """Return the 1-based line of a key or list item, or ``default`` when ruamel has none."""
    try:
        return int(getattr(container.lc, kind)(key)[0]) + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return default  # e.g. keys brought in by a YAML merge (<<) have no line of their own


def _plain_scalar(value: Any) -> Any:
    """Convert ruamel's scalar subclasses to the plain Python type they stand for."""
    if isinstance(value, ScalarBoolean):  # an int subclass: test it before int
        return bool(value)
    if isinstance(value, bool) or value is None:
        return value
    for plain in (int, float, str):
        if isinstance(value, plain):
            return plain(value)
    if isinstance(value, tuple):  # a complex (sequence) key
        return tuple(_plain_scalar(part) for part in value)
    return value  # dates, tagged scalars ...: kept, and refused by the definition checks
