"""The one way to call Redis: a circuit breaker, error translation and timing, in one guard.

Without a breaker, a store that hangs (accepts connections, never answers)
costs every request a full ``REDIS_TIMEOUT_MS``, and requests queue behind
each other in the workers. Once a call fails to reach Redis, the breaker
opens: for ``cool_off`` seconds every call fails at once with
``StoreUnavailable``; then a single call, the probe, is let through to find
out whether the store is back, while the others keep failing fast.

Every Redis call of the service (the repository's, the rate counter's, the
probes') runs inside ``StoreGuard.call``, and the guard resolves the probe in
``finally``, whatever happened inside: Redis answered (closed again, even if
the answer was an error such as READONLY or OOM: the store is reachable),
Redis could not be reached (open again for ``cool_off``), or the call failed
without telling us (a Python exception: the probe is handed back, and the
next call probes). So no outcome can leave the breaker waiting for a probe
that never reports, which once wedged every worker until a restart.

One breaker per worker process, shared by its threads.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import redis
from redis.exceptions import RedisClusterException

from app.errors import StoreUnavailable

log = logging.getLogger(__name__)

STORE_FULL = (
    "The session store is full (Redis reached maxmemory and evicts nothing), so writes are "
    "refused; reads and deletes still work. Retry later."
)
READ_ONLY = (
    "The session store is read-only (Redis answered as a replica, as during a failover), so "
    "writes are refused; retry shortly."
)


class Outcome(enum.Enum):
    """What one guarded call found out about the store."""

    REACHED = "reached"  # Redis answered, with a result or an error
    UNREACHABLE = "unreachable"  # a connection error or a timeout
    UNKNOWN = "unknown"  # the call failed before or after talking to Redis


class Breaker:
    """Closed (calls go through), open (calls fail fast), or probing (one call goes through)."""

    def __init__(self, cool_off: float = 0.5, clock: Callable[[], float] = time.monotonic) -> None:
        self.cool_off = cool_off
        self._clock = clock
        self._lock = threading.Lock()
        self._failing = False
        self._probing = False
        self._open_until = 0.0
        self._opened_at = 0.0

    @property
    def is_open(self) -> bool:
        """Whether the store is taken to be down."""
        return self._failing

    def admit(self) -> bool | None:
        """Whether a call may go to Redis now: None (no: fail fast), False (yes), True (yes,
        as the probe: its outcome must be given to ``resolve``)."""
        if not self._failing:
            return False
        with self._lock:
            if not self._failing:
                return False
            if not self._probing and self._clock() >= self._open_until:
                self._probing = True
                return True
            return None

    def resolve(self, outcome: Outcome, probe: bool, cause: BaseException | None = None) -> None:
        """Take in what one admitted call found; ``probe`` says whether it was the probe."""
        if outcome is Outcome.REACHED:
            self._close()
        elif outcome is Outcome.UNREACHABLE:
            self._open(cause)
        elif probe:
            with self._lock:
                self._probing = False  # learned nothing: the next call probes

    def _close(self) -> None:
        if not self._failing:
            return
        with self._lock:
            if self._failing:
                self._failing = self._probing = False
                down = self._clock() - self._opened_at
                log.warning("The store answers again, after %.2f s; serving.", down)

    def _open(self, cause: BaseException | None) -> None:
        with self._lock:
            if not self._failing:
                self._opened_at = self._clock()
                log.warning(
                    "The store cannot be reached (%s); failing fast, probing every %.1f s.",
                    _describe(cause),
                    self.cool_off,
                )
            self._failing, self._probing = True, False
            self._open_until = self._clock() + self.cool_off


def _describe(error: BaseException | None) -> str:
    """An error's class and first line, never more (no data reaches a message)."""
    if error is None:
        return "no cause given"
    first = str(error).strip().splitlines()[0][:120] if str(error).strip() else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


# Told each guarded call's name, seconds and whether it failed (the metrics).
CallObserver = Callable[[str, float, bool], None]


class StoreGuard:
    """Runs each Redis call through the breaker, translates its errors, and times it."""

    def __init__(
        self,
        breaker: Breaker | None = None,
        observer: CallObserver | None = None,
        on_read_only: Callable[[], None] | None = None,
    ) -> None:
        self.breaker = breaker or Breaker()
        self._observer = observer
        self._on_read_only = on_read_only

    @contextmanager
    def call(self, name: str) -> Iterator[None]:
        """Run the block as the Redis call ``name``; redis-py errors leave as StoreUnavailable.

        ``name`` labels the call's metrics: the operation (``put``, ``read``,
        ``rate``...), never an argument.
        """
        probe = self.breaker.admit()
        if probe is None:
            raise StoreUnavailable(reason="breaker_open")
        outcome, failed = Outcome.UNKNOWN, True
        cause: BaseException | None = None
        started = time.perf_counter()
        try:
            yield
            outcome, failed = Outcome.REACHED, False
        except (redis.ConnectionError, redis.TimeoutError, RedisClusterException) as error:
            # RedisClusterException (not a RedisError): no node, or no primary for a slot.
            outcome, cause = Outcome.UNREACHABLE, error
            raise StoreUnavailable(reason=type(error).__name__) from error
        except redis.RedisError as error:
            outcome, cause = Outcome.REACHED, error  # Redis answered, with an error
            raise self._answered_with(error) from error
        finally:
            self.breaker.resolve(outcome, probe, cause)
            self._observe(name, time.perf_counter() - started, failed)

    def _answered_with(self, error: redis.RedisError) -> StoreUnavailable:
        """The 503 for an error Redis answered (the store is up, but refused the command)."""
        if isinstance(error, redis.exceptions.OutOfMemoryError):
            return StoreUnavailable(STORE_FULL, reason="OutOfMemoryError")
        if isinstance(error, redis.exceptions.ReadOnlyError):
            if self._on_read_only is not None:
                self._on_read_only()  # reconnect: a failover may have moved the primary
            return StoreUnavailable(READ_ONLY, reason="ReadOnlyError")
        return StoreUnavailable(reason=_redis_error_kind(error))

    def _observe(self, name: str, seconds: float, failed: bool) -> None:
        if self._observer is not None:
            self._observer(name, seconds, failed)


def _redis_error_kind(error: redis.RedisError) -> str:
    """``MISCONF``, ``BUSY``, ``NOSCRIPT``...: the error code Redis answered, else the class."""
    code = str(error).split(" ", 1)[0]
    return code if code.isupper() and code.isalpha() else type(error).__name__
