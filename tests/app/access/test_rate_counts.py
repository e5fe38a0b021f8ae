"""A worker's own counting while its syncs fail: the limit still holds per window, no longer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.access.ratelimit import RateLimiter
from app.access.tenants import Caller, Tenant
from app.errors import RateLimited, StoreUnavailable
from tests.conftest import free_port

CALLER = Caller(Tenant("team", rate_limit="10/second"), key_id="0123456789ab")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def unsynced(clock: Clock) -> Iterator[RateLimiter]:
    """A limiter whose store never answers: every sync fails, as in an outage or a failover."""
    client = redis.Redis(port=free_port(), retry=Retry(NoBackoff(), 0))
    limiter = RateLimiter(client, "", "sessionator", sync_seconds=3600, clock=clock)
    yield limiter  # the tests sync by hand, on their clock, instead of the thread
    limiter.close()


def failed_sync(limiter: RateLimiter) -> None:
    with pytest.raises(StoreUnavailable):
        limiter.sync()


def admitted(limiter: RateLimiter) -> bool:
    try:
        limiter.hit(CALLER)
    except RateLimited:
        return False
    return True


def test_while_syncs_fail_a_key_under_its_rate_is_never_refused(
    unsynced: RateLimiter, clock: Clock
) -> None:
    answers = []
    for n in range(150):  # 5 a second for 30 s, against 10 a second
        answers.append(admitted(unsynced))
        if n % 5 == 4:
            failed_sync(unsynced)
        clock.now += 0.2
    assert answers.count(False) == 0


def test_while_syncs_fail_the_limit_still_holds_in_each_window(
    unsynced: RateLimiter, clock: Clock
) -> None:
    first = [admitted(unsynced) for _ in range(12)]
    assert first == [True] * 10 + [False] * 2
    failed_sync(unsynced)
    clock.now += 1.5  # half way through the next window: half of the last one still counts
    second = [admitted(unsynced) for _ in range(12)]
    assert second == [True] * 5 + [False] * 7
