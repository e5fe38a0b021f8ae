"""The top-level ``maxBytes`` key: the largest document a namespace accepts.

An integer is bytes; a string is a whole number with one unit: ``512B``,
``16KiB``, ``1MiB``. It bounds, in bytes of UTF-8 JSON, the body a client
sends and the document a write makes. Absent means the service's own limit
(``MAX_BODY_BYTES``) applies. The bounds are those the service allows for
``MAX_BODY_BYTES``: ``{}`` is two bytes.
"""

from __future__ import annotations

import re
from typing import Any

_UNITS = {"B": 1, "KiB": 1024, "MiB": 1024 * 1024}
_WITH_UNIT = re.compile(r"([1-9][0-9]{0,8})(B|KiB|MiB)")
MIN_MAX_BYTES = 2
MAX_MAX_BYTES = 16 * 1024 * 1024


def parse_max_bytes(value: Any) -> int | None:
    """Bytes for a valid ``maxBytes`` value, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        size = value
    elif isinstance(value, str) and (match := _WITH_UNIT.fullmatch(value)):
        size = int(match[1]) * _UNITS[match[2]]
    else:
        return None
    return size if MIN_MAX_BYTES <= size <= MAX_MAX_BYTES else None


def max_bytes_problem(value: Any) -> str | None:
    """Why ``value`` is not a valid ``maxBytes``, or None when it is."""
    if parse_max_bytes(value) is not None:
        return None
    return (
        "must be a whole number of bytes, or a whole number with a unit (512B, 16KiB, 1MiB),"
        f" from {MIN_MAX_BYTES} bytes to {MAX_MAX_BYTES // (1024 * 1024)} MiB"
    )
