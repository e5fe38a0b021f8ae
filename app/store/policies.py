"""How the repository writes: how long sessions live, and whether writes wait for replicas.

Both are read from the configuration once (``create_app``) and handed to the
repository; neither changes while it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Lifetime:
    """How long sessions live: a sliding TTL and an absolute cap, in seconds (0: none)."""

    session_ttl: int = 0
    max_age: int = 0


def _nobody(acknowledged: int, wanted: int) -> None:
    """Where replica acknowledgements go when nobody listens."""


@dataclass(frozen=True)
class ReplicaWait:
    """After each write, WAIT for this many replicas, this long at most (0 replicas: no WAIT).

    ``report`` is told, for each write that changed something, how many
    replicas acknowledged it and how many were wanted. A write that fewer
    acknowledged stays done on the primary: WAIT neither fails nor undoes it.
    """

    replicas: int = 0
    timeout_ms: int = 50
    report: Callable[[int, int], None] = _nobody
