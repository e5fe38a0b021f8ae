"""Spacing out background work, so that a walk over the whole store never crowds out requests."""

from __future__ import annotations

import time
from collections.abc import Callable


class Pace:
    """Lets one step start every ``interval`` seconds at most, sleeping as needed.

    The first step starts at once. A step that took longer than the interval
    is not made up for: the pace is an upper bound on the rate, never a
    target to catch up with.
    """

    def __init__(
        self,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None

    def wait(self) -> None:
        """Return when the next step may start."""
        now = self._clock()
        if self._next is not None and self._next > now:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self.interval
