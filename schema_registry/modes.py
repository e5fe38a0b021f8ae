"""The top-level ``compatibility`` key: whether an in-place edit must keep stored documents valid.

``backward`` (the default, and what a schema without the key gets) means an
edit that would refuse documents the version in force accepts is not
applied; ``none`` opts this one version out of that check. The deployment
can opt out as a whole (``SCHEMA_COMPATIBILITY=none`` in the service). See
`schema_registry.compatibility` for the rule itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

BACKWARD = "backward"
NONE = "none"
#: The values of the ``compatibility`` key and of ``SCHEMA_COMPATIBILITY``.
COMPATIBILITY_MODES = (BACKWARD, NONE)


def compatibility_problem(value: Any) -> str | None:
    """Why ``value`` is not a valid ``compatibility``, or None when it is."""
    if isinstance(value, str) and value in COMPATIBILITY_MODES:
        return None
    shown = repr(value) if isinstance(value, str) else type(value).__name__
    return f"must be {BACKWARD} or {NONE}, got {shown}"


def opted_out(definition: Mapping[str, Any]) -> bool:
    """Tell whether a schema definition says ``compatibility: none``."""
    return definition.get("compatibility") == NONE
