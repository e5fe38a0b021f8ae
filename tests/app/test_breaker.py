"""The circuit breaker's states, on a clock the test moves by hand."""

from __future__ import annotations

from app.store.breaker import Breaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_closed_breaker_lets_every_call_through() -> None:
    breaker = Breaker(0.5, Clock())
    assert [breaker.allow() for _ in range(3)] == [True, True, True]
    assert breaker.is_open is False


def test_after_a_failure_calls_fail_fast_until_the_cool_off_ends() -> None:
    clock = Clock()
    breaker = Breaker(0.5, clock)
    breaker.failed()
    assert (breaker.is_open, breaker.allow()) == (True, False)
    clock.now += 0.49
    assert breaker.allow() is False


def test_then_one_call_probes_and_the_others_still_fail_fast() -> None:
    clock = Clock()
    breaker = Breaker(0.5, clock)
    breaker.failed()
    clock.now += 0.5
    assert [breaker.allow() for _ in range(3)] == [True, False, False]
    breaker.succeeded()  # the probe reached Redis
    assert (breaker.is_open, breaker.allow(), breaker.allow()) == (False, True, True)


def test_a_failed_probe_opens_the_breaker_again() -> None:
    clock = Clock()
    breaker = Breaker(0.5, clock)
    breaker.failed()
    clock.now += 0.6
    assert breaker.allow() is True
    breaker.failed()
    assert breaker.allow() is False
    clock.now += 0.5
    assert breaker.allow() is True
