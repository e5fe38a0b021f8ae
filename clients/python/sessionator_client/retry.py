"""When to send a request again, and after how long.

Only requests that are safe to repeat are retried: GET, PUT and DELETE (the
same request twice leaves the same state), and a PATCH made conditional by an
``If-Match`` ETag (a repeat of one that was applied gets ``412``, never a
second change). A retry follows ``429 rate_limited`` and ``503`` (the store or
a schema unavailable), waiting exactly the ``Retry-After`` the service asked
for, and a request that got no answer, after a jittered exponential
back-off. Both the number of attempts and the time spent are bounded: a wait
that would end past ``total_seconds`` is not taken, and the error is raised.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sessionator_client.errors import ConnectionFailed, SessionatorError

RETRIED_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class Retry:
    """How often and how long to retry a request that is safe to repeat."""

    attempts: int = 4  # tries in all, the first one included; 1: never retry
    total_seconds: float = 10.0  # no wait may end later than this after the first try
    backoff: float = 0.1  # the longest first wait when the service asked for none
    max_backoff: float = 2.0  # the longest wait when the service asked for none

    def delay(self, failure: SessionatorError, attempt: int, elapsed: float) -> float | None:
        """Seconds to wait before try ``attempt + 1``, or None: raise ``failure`` now.

        ``elapsed`` is the time since the first try began.
        """
        if attempt >= self.attempts:
            return None
        if isinstance(failure, ConnectionFailed):
            wait = self.jittered(attempt)
        elif failure.status in RETRIED_STATUSES:
            asked = failure.retry_after
            wait = asked if asked is not None else self.jittered(attempt)
        else:
            return None
        return wait if elapsed + wait <= self.total_seconds else None

    def jittered(self, attempt: int) -> float:
        """A "full jitter" back-off: uniform up to ``backoff * 2**(attempt - 1)``, capped."""
        return random.uniform(0, min(self.max_backoff, self.backoff * 2 ** (attempt - 1)))


NEVER = Retry(attempts=1)
