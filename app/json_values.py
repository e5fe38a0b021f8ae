"""JSON values as ``json.loads`` returns them: their type names and their equality.

Every message that names the type of a JSON value (a body that is not an
object, a patch operation that is not one, a member inside a scalar) names it
here, so they all say ``an array`` the same way.
"""

from __future__ import annotations

from typing import Any


def kind(value: Any) -> str:
    """The JSON type of a value, with its article, e.g. ``an object``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def json_equal(left: Any, right: Any) -> bool:
    """Whether two JSON values are equal: numbers by value, never booleans as numbers."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(v, right[k]) for k, v in left.items())
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(json_equal, left, right))
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    return left is None and right is None
