"""The per-key rate limit, counted in each worker and shared through Redis in the background.

Counting in Redis on every request cost a round trip and a tenth of a
request's CPU. Here a request only looks at numbers the worker holds: the
key's count across every worker as of the last sync, plus what this worker
admitted since. A background thread syncs every ``RATE_SYNC_MS`` (100 ms),
the way API gateways share rate counters: it adds what this worker admitted
to the key's counter for the current window (one pipeline for all keys, one
round trip), reads the previous window's, and works out the sliding-window
count as the ``limits`` library's sliding-window counter does (the previous
window weighted by how much of it still overlaps the last ``W`` seconds).

Accuracy (docs/operations.md#rate-limits): a worker cannot see what the
others admitted since its last sync, so a key can go over its limit ``L``
per window ``W`` by what the other ``N - 1`` workers admit within one sync
interval ``I`` (100 ms, longer when a busy worker's thread starts late): a
key sending ``R`` requests a second spread over ``N`` workers, by at most
``(N - 1) / N * R * I``; never by more than ``(N - 1) * L`` (every worker
admitting a whole window's worth within the same interval, from a
standstill). It never refuses a key that is under its
limit, but for the estimate's own rounding.

Counters live under ``<KEY_PREFIX>:rate:`` (tenant, key id, window length
and window number; never the key), each expiring two windows after it
starts. Each is one key, so on a Redis Cluster they spread over the slots
and the pipeline goes to each node that holds some.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from limits import RateLimitItem, parse

from app.access.tenants import Caller
from app.errors import RateLimited, StoreUnavailable
from app.store.breaker import StoreGuard
from app.store.client import StoreClient

log = logging.getLogger(__name__)

Identity = tuple[str, str]  # (tenant, key id)


@dataclass
class KeyCount:
    """One key's count as this worker knows it."""

    rate: str
    limit: int
    window: float  # seconds
    estimate: float = 0.0  # the sliding-window count over every worker, at the last sync
    unsynced: int = 0  # admitted by this worker and not yet added to the shared counter
    local: int = 0  # admitted by this worker in window ``number`` since the last sync
    number: int = 0  # the window ``estimate`` and ``local`` are of
    ended: float | None = None  # the count of the window before, if it ended unsynced
    seen: float = 0.0  # when this worker last admitted or synced it

    def admit(self, now: float) -> bool:
        """Count one request unless it would take the key over its limit."""
        number = int(now // self.window)
        if number != self.number:  # a window ended with no sync since: count on from it alone
            self.ended = self.estimate + self.local if number == self.number + 1 else 0.0
            self.estimate, self.local, self.number = 0.0, 0, number
        known = self.estimate + self.local
        if self.ended is not None:  # weighted as a sync weights the previous window
            known += self.ended * (1.0 - (now % self.window) / self.window)
        if known + 1 > self.limit:
            return False
        self.local += 1
        self.unsynced += 1
        return True


class RateLimiter:
    """Counts each key's requests in this worker; refuses the one over its tenant's rate."""

    live: ClassVar[weakref.WeakSet[RateLimiter]] = weakref.WeakSet()  # for closing them all

    def __init__(
        self,
        client: StoreClient,
        default: str,
        key_prefix: str,
        guard: StoreGuard | None = None,
        sync_seconds: float = 0.1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._default = default
        self._prefix = f"{key_prefix}:rate"
        self._guard = guard or StoreGuard()
        self._clock = clock
        self.sync_seconds = sync_seconds
        self._items: dict[str, RateLimitItem] = {}
        self._counts: dict[Identity, KeyCount] = {}
        self._lock = threading.Lock()
        self._syncer: threading.Thread | None = None
        self._closed = threading.Event()
        RateLimiter.live.add(self)

    def hit(self, caller: Caller) -> None:
        """Count one request by ``caller``; raise RateLimited when it is one too many."""
        rate = caller.tenant.rate_limit or self._default
        if not rate or caller.key_id is None:
            return
        identity = (caller.tenant.name, caller.key_id)
        now = self._clock()
        with self._lock:
            count = self._count(identity, rate)
            count.seen = now
            admitted = count.admit(now)
        self._start_syncing()
        if not admitted:
            window_left = count.window - now % count.window
            raise RateLimited(caller.tenant.name, rate, max(1, math.ceil(window_left)))

    def _count(self, identity: Identity, rate: str) -> KeyCount:
        count = self._counts.get(identity)
        if count is None or count.rate != rate:  # new, or its tenant's rate changed
            item = self._item(rate)
            count = KeyCount(rate, item.amount, float(item.get_expiry()))
            self._counts[identity] = count
        return count

    def _item(self, rate: str) -> RateLimitItem:
        if rate not in self._items:
            self._items[rate] = parse(rate)
        return self._items[rate]

    def _start_syncing(self) -> None:
        """Start the sync thread on first use (in the worker, after gunicorn forked it)."""
        if self._syncer is None:
            with self._lock:
                if self._syncer is None:
                    self._syncer = threading.Thread(
                        target=self._sync_forever, name="rate-sync", daemon=True
                    )
                    self._syncer.start()

    def close(self) -> None:
        """Stop syncing in the background, after adding what is left to the shared counts."""
        if self._closed.is_set():
            return
        self._closed.set()
        if self._syncer is not None:
            self._syncer.join(5)
        with contextlib.suppress(StoreUnavailable):
            self.sync()

    def _sync_forever(self) -> None:
        """Sync every ``sync_seconds``, on a fixed cadence (a slow sync does not push the next)."""
        next_at = time.monotonic()
        while True:
            next_at = max(next_at + self.sync_seconds, time.monotonic())
            if self._closed.wait(next_at - time.monotonic()):
                return
            try:
                self.sync()
            except StoreUnavailable:
                pass  # counted on locally; the next sync adds what was missed
            except Exception:  # the thread must outlive any one failure
                log.exception("Rate counters could not be synced; retrying")

    def sync(self) -> None:
        """Add what this worker admitted to the shared counters, and read them back."""
        now = self._clock()
        with self._lock:
            self._forget_idle(now)
            batch = [(identity, count, count.unsynced) for identity, count in self._counts.items()]
        if not batch:
            return
        with self._guard.call("rate_sync"):  # a lazy cluster client connects on pipeline()
            pipe = self._client.pipeline(transaction=False)
            for identity, count, taken in batch:
                current, previous = self._window_keys(identity, count.window, now)
                if taken:
                    pipe.incrby(current, taken)
                    pipe.pexpire(current, int(count.window * 2000))
                else:  # nothing to add: read only, so an idle worker writes nothing
                    pipe.get(current)
                    pipe.exists(current)
                pipe.get(previous)
            replies = pipe.execute()
        self._take_in(batch, replies, now)

    def _take_in(
        self, batch: list[tuple[Identity, KeyCount, int]], replies: list[object], now: float
    ) -> None:
        with self._lock:
            for n, (_, count, taken) in enumerate(batch):
                count.unsynced -= taken
                number = int(now // count.window)
                if number < count.number:
                    continue  # a window began while this sync ran: it read the one before
                current, previous = replies[3 * n] or 0, replies[3 * n + 2]
                overlap = 1.0 - (now % count.window) / count.window
                count.estimate = int(previous or 0) * overlap + int(current)  # type: ignore[call-overload]
                # What was admitted since this sync began stays local; a sync in a window this
                # worker has admitted nothing in yet leaves nothing local.
                count.local = max(0, count.local - taken) if number == count.number else 0
                count.number, count.ended = number, None

    def _window_keys(self, identity: Identity, window: float, now: float) -> tuple[str, str]:
        number = int(now // window)
        base = f"{self._prefix}:{identity[0]}:{identity[1]}:{window:g}"
        return f"{base}:{number}", f"{base}:{number - 1}"

    def _forget_idle(self, now: float) -> None:
        """Drop keys not seen for two windows with nothing left to add (a bounded table)."""
        idle = [
            i for i, c in self._counts.items() if not c.unsynced and now - c.seen > 2 * c.window
        ]
        for identity in idle:
            del self._counts[identity]
