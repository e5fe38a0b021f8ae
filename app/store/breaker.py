"""Failing fast while the store is down: a circuit breaker in front of every Redis call.

Without it, a store that hangs (accepts connections, never answers) costs
every request a full ``REDIS_TIMEOUT_MS``, and requests queue behind each
other in the workers' threads. Once a call fails to reach Redis, the breaker
opens: for ``cool_off`` seconds every call fails at once with
``StoreUnavailable``; then a single call is let through to find out whether
the store is back (the others keep failing fast meanwhile). Its success
closes the breaker; its failure opens it again. Only failures to reach the
store count (connection errors, timeouts), never an error Redis answered.
One breaker per worker process, shared by its threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Breaker:
    """Closed (calls go through), open (calls fail fast), or probing (one call goes through)."""

    def __init__(self, cool_off: float = 0.5, clock: Callable[[], float] = time.monotonic) -> None:
        self.cool_off = cool_off
        self._clock = clock
        self._lock = threading.Lock()
        self._failing = False
        self._probing = False
        self._open_until = 0.0

    @property
    def is_open(self) -> bool:
        """Whether the store is taken to be down."""
        return self._failing

    def allow(self) -> bool:
        """Whether this call may go to Redis now."""
        if not self._failing:
            return True
        with self._lock:
            if self._failing and not self._probing and self._clock() >= self._open_until:
                self._probing = True
                return True
            return not self._failing

    def succeeded(self) -> None:
        """A call reached Redis: the store is up."""
        if self._failing:
            with self._lock:
                self._failing = self._probing = False

    def failed(self) -> None:
        """A call could not reach Redis: fail fast for the next ``cool_off`` seconds."""
        with self._lock:
            self._failing, self._probing = True, False
            self._open_until = self._clock() + self.cool_off
