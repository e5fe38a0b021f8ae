"""The top-level ``ttl`` key: how long a namespace lives after each write.

An integer is seconds; a string is a whole number with one unit: ``90s``,
``15m``, ``12h``, ``1d``. Absent means the namespace lives as long as its
session.
"""

from __future__ import annotations

import re
from typing import Any

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_WITH_UNIT = re.compile(r"([1-9][0-9]{0,8})([smhd])")
MAX_TTL_SECONDS = 366 * 86400


def parse_ttl(value: Any) -> int | None:
    """Seconds for a valid ``ttl`` value, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str) and (match := _WITH_UNIT.fullmatch(value)):
        seconds = int(match[1]) * _UNITS[match[2]]
    else:
        return None
    return seconds if 1 <= seconds <= MAX_TTL_SECONDS else None


def ttl_problem(value: Any) -> str | None:
    """Why ``value`` is not a valid ``ttl``, or None when it is."""
    if parse_ttl(value) is not None:
        return None
    return (
        "must be a whole number of seconds, or a whole number with a unit (90s, 15m, 12h, 1d),"
        f" from 1 second to {MAX_TTL_SECONDS // 86400} days"
    )
