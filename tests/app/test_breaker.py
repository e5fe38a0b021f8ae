"""The circuit breaker's states, on a clock the test moves by hand."""

from __future__ import annotations

import pytest
import redis

from app.errors import StoreUnavailable
from app.store.breaker import Breaker, Outcome, StoreGuard


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def opened(clock: Clock) -> Breaker:
    breaker = Breaker(0.5, clock)
    breaker.resolve(Outcome.UNREACHABLE, probe=False)
    return breaker


def test_a_closed_breaker_lets_every_call_through_and_none_is_a_probe() -> None:
    breaker = Breaker(0.5, Clock())
    assert [breaker.admit() for _ in range(3)] == [False, False, False]
    assert breaker.is_open is False


def test_an_unreachable_store_opens_the_breaker_for_the_cool_off() -> None:
    clock = Clock()
    breaker = opened(clock)
    assert (breaker.is_open, breaker.admit()) == (True, None)
    clock.now += 0.49
    assert breaker.admit() is None


def test_after_the_cool_off_exactly_one_call_probes() -> None:
    clock = Clock()
    breaker = opened(clock)
    clock.now += 0.5
    assert [breaker.admit() for _ in range(3)] == [True, None, None]


def test_a_probe_that_reached_redis_closes_the_breaker() -> None:
    clock = Clock()
    breaker = opened(clock)
    clock.now += 0.5
    breaker.resolve(Outcome.REACHED, probe=breaker.admit() is True)
    assert (breaker.is_open, breaker.admit(), breaker.admit()) == (False, False, False)


def test_a_probe_that_could_not_reach_redis_opens_the_breaker_again() -> None:
    clock = Clock()
    breaker = opened(clock)
    clock.now += 0.5
    assert breaker.admit() is True
    breaker.resolve(Outcome.UNREACHABLE, probe=True)
    assert breaker.admit() is None
    clock.now += 0.5
    assert breaker.admit() is True


def test_a_probe_that_learned_nothing_hands_the_probe_to_the_next_call() -> None:
    clock = Clock()
    breaker = opened(clock)
    clock.now += 0.5
    assert breaker.admit() is True
    breaker.resolve(Outcome.UNKNOWN, probe=True)
    assert (breaker.is_open, breaker.admit()) == (True, True)


@pytest.mark.parametrize(
    ("raised", "outcome"),
    [
        (redis.ConnectionError("reset"), Outcome.UNREACHABLE),
        (redis.TimeoutError("timed out"), Outcome.UNREACHABLE),
        (redis.exceptions.BusyLoadingError("LOADING"), Outcome.UNREACHABLE),
        (redis.exceptions.ReadOnlyError("READONLY"), Outcome.REACHED),
        (redis.exceptions.OutOfMemoryError("OOM"), Outcome.REACHED),
        (redis.ResponseError("MISCONF"), Outcome.REACHED),
        (redis.exceptions.NoScriptError("NOSCRIPT"), Outcome.REACHED),
        (redis.exceptions.SlotNotCoveredError("no primary"), Outcome.UNREACHABLE),
        (redis.exceptions.RedisClusterUnreachableError("no node"), Outcome.UNREACHABLE),
        (RuntimeError("a bug"), Outcome.UNKNOWN),
    ],
)
def test_the_guard_resolves_the_probe_whatever_the_call_raises(
    raised: Exception, outcome: Outcome
) -> None:
    clock = Clock()
    breaker = opened(clock)
    clock.now += 0.5
    seen: list[tuple[str, bool]] = []
    guard = StoreGuard(breaker, observer=lambda name, seconds, failed: seen.append((name, failed)))
    expected = RuntimeError if isinstance(raised, RuntimeError) else StoreUnavailable
    with pytest.raises(expected), guard.call("put"):
        raise raised
    assert seen == [("put", True)]
    assert breaker.is_open is (outcome is not Outcome.REACHED)
    assert breaker.admit() is ({Outcome.REACHED: False, Outcome.UNKNOWN: True}.get(outcome))


def test_an_open_breaker_fails_fast_without_calling_redis() -> None:
    breaker = opened(Clock())
    called = []
    with pytest.raises(StoreUnavailable) as refused, StoreGuard(breaker).call("read"):
        called.append(True)
    assert (called, refused.value.reason) == ([], "breaker_open")
