"""The client's retries, against real refusals: a real 429 and a real 503, each with Retry-After.

429 comes from a gunicorn whose tenants file gives a tenant 2 requests a
second; 503 from a gunicorn whose Valkey is killed (and, for one test,
started again 1.5 s later). The back-off the client would use on its own is
made tiny, so a wait of a second or more can only be the service's
Retry-After. Each retry is one INFO line of the ``sessionator_client`` logger,
with the status, code and wait as fields.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import redis
from sessionator_client import (
    Client,
    ConnectionFailed,
    Forbidden,
    RateLimited,
    Retry,
    ServiceUnavailable,
    Unauthorized,
)
from sessionator_client.errors import retry_after_seconds

from app.access.tenants import generate_key, key_digest
from app.store.embedded import EmbeddedStore, answers
from tests.conftest import SCHEMA_DIR, free_port, start_gunicorn, stop_process

TEAM_KEY, SLOW_KEY = generate_key(), generate_key()
NO_BACKOFF = {"backoff": 0.001, "max_backoff": 0.001}  # a wait of 1 s is the service's


def tenants_yaml() -> str:
    return f"""tenants:
  team:
    keys: ["{key_digest(TEAM_KEY)}"]
    read: ["team.*"]
    write: ["team.*"]
    rate_limit: 2/second
  slow:
    keys: ["{key_digest(SLOW_KEY)}"]
    read: ["*"]
    write: ["*"]
    rate_limit: 1/minute
"""


@pytest.fixture(scope="module")
def limited_url(valkey: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gunicorn with a tenants file whose tenants have small rate limits."""
    folder = tmp_path_factory.mktemp("limited")
    (folder / "tenants.yaml").write_text(tenants_yaml())
    env = {"REDIS_URL": valkey.url, "SCHEMA_DIR": str(SCHEMA_DIR)}
    env["TENANTS_FILE"] = str(folder / "tenants.yaml")
    process, port = start_gunicorn(env, log=folder / "gunicorn.log")
    yield f"http://127.0.0.1:{port}"
    stop_process(process)


SYNC_S = 0.1  # RATE_SYNC_MS: how often the workers share their rate counts


@pytest.fixture
def limited(limited_url: str, valkey: EmbeddedStore) -> str:
    """The limited gunicorn's URL, with the rate counters emptied.

    Each worker counts in memory and syncs every 100 ms, so the store is emptied
    once the previous test's last counts have been synced, and the test starts
    once every worker has read the emptied counters back.
    """
    time.sleep(2.5 * SYNC_S)
    client = redis.Redis.from_url(valkey.url)
    client.flushall()
    client.close()
    time.sleep(2.5 * SYNC_S)
    return limited_url


@pytest.fixture(scope="module")
def outage_service(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, EmbeddedStore]]:
    """A gunicorn on a Valkey of its own, which tests kill and start again."""
    store = EmbeddedStore(tmp_path_factory.mktemp("outage"), persistent=False)
    store.start()
    process, port = start_gunicorn({"REDIS_URL": store.url, "SCHEMA_DIR": str(SCHEMA_DIR)})
    yield f"http://127.0.0.1:{port}", store
    stop_process(process)
    store.stop()


@pytest.fixture
def outage(outage_service: tuple[str, EmbeddedStore]) -> tuple[str, EmbeddedStore]:
    """That gunicorn, its store running again if a test left it killed."""
    _, store = outage_service
    if not answers(store.socket_path):
        store.start()
    return outage_service


def retries(caplog: pytest.LogCaptureFixture) -> list[tuple[Any, ...]]:
    """(status, code, wait) of each retry the client logged."""
    return [
        (record.status, record.code, record.wait)  # type: ignore[attr-defined]
        for record in caplog.records
        if record.name == "sessionator_client"
    ]


def test_a_rate_limited_read_waits_the_retry_after_it_is_given_then_succeeds(
    limited: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="sessionator_client")
    with Client(limited, TEAM_KEY, retry=Retry(attempts=5, **NO_BACKOFF)) as sessions:
        written = sessions.put("s1", "team.a", {"n": 1})
        started = time.monotonic()
        reads = [sessions.get("s1", "team.a") for _ in range(3)]  # over 2 a second
        elapsed = time.monotonic() - started
    assert reads == [written] * 3
    waited = retries(caplog)
    assert waited and all(status == 429 and code == "rate_limited" for status, code, _ in waited)
    assert all(wait >= 1.0 and wait == int(wait) for _, _, wait in waited), waited
    assert elapsed >= sum(wait for _, _, wait in waited)


def test_requests_unsafe_to_repeat_are_never_retried(
    limited: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="sessionator_client")
    with Client(limited, TEAM_KEY, retry=Retry(attempts=5, **NO_BACKOFF)) as sessions:
        written = sessions.put("s1", "team.a", {"n": 1})
        sessions.get("s1", "team.a")
        started = time.monotonic()
        for unsafe in (
            lambda: sessions.touch("s1"),
            lambda: sessions.merge_patch("s1", "team.a", {"n": 2}),
            lambda: sessions.json_patch("s1", "team.a", [], if_match="*"),
        ):
            with pytest.raises(RateLimited) as refused:
                unsafe()
            assert refused.value.retry_after is not None and refused.value.retry_after >= 1
        assert time.monotonic() - started < 0.9
        assert retries(caplog) == []
        patched = sessions.merge_patch("s1", "team.a", {"n": 2}, if_match=written.etag)
    assert patched.data == {"n": 2}  # conditional: retried until the limit let it through
    assert retries(caplog) and {status for status, _, _ in retries(caplog)} == {429}


def test_a_retry_after_beyond_the_time_budget_is_not_waited_for(
    limited: str, caplog: pytest.LogCaptureFixture
) -> None:
    # 1/minute answers Retry-After from 1 s (the window's last second) to 60 s,
    # so only a budget under a second is exceeded by every answer it can get.
    caplog.set_level("INFO", logger="sessionator_client")
    budget = Retry(attempts=5, total_seconds=0.5, **NO_BACKOFF)
    with Client(limited, SLOW_KEY, retry=budget) as sessions:
        assert sessions.list_namespaces("s1") == []  # the one request of this minute
        started = time.monotonic()
        with pytest.raises(RateLimited) as refused:
            sessions.list_namespaces("s1")
    assert time.monotonic() - started < 0.5
    assert refused.value.retry_after is not None and 1 <= refused.value.retry_after <= 60
    assert retries(caplog) == []


def test_keys_and_grants_refusals_are_their_own_errors(limited: str) -> None:
    with Client(limited, "not-a-key") as stranger, pytest.raises(Unauthorized) as unknown:
        stranger.list_namespaces("s1")
    assert (unknown.value.status, unknown.value.code) == (401, "unauthorized")
    with Client(limited, TEAM_KEY) as team, pytest.raises(Forbidden) as refused:
        team.put("s1", "other.ns", {"a": 1})
    assert refused.value.details == {
        "tenant": "team", "action": "write", "namespaces": ["other.ns"],
    }  # fmt: skip


def test_a_write_during_a_store_outage_is_retried_as_asked_until_the_store_is_back(
    outage: tuple[str, EmbeddedStore], caplog: pytest.LogCaptureFixture
) -> None:
    url, store = outage
    caplog.set_level("INFO", logger="sessionator_client")
    store.kill()
    with (
        Client(url, retry=Retry(attempts=8, total_seconds=15, **NO_BACKOFF)) as sessions,
        ThreadPoolExecutor(1) as writer,  # the store starts from this thread: it dies with it
    ):
        started = time.monotonic()
        writing = writer.submit(sessions.put, "s1", "ns", {"a": 1})
        time.sleep(1.5)
        store.start()
        written = writing.result(timeout=20)
        elapsed = time.monotonic() - started
        assert sessions.get("s1", "ns") == written
    waited = retries(caplog)
    assert waited and set(waited) == {(503, "store_unavailable", 1.0)}
    assert elapsed >= 1.5 and elapsed >= len(waited)


def test_retries_stop_after_their_attempts_or_their_time_budget(
    outage: tuple[str, EmbeddedStore], caplog: pytest.LogCaptureFixture
) -> None:
    url, store = outage
    caplog.set_level("INFO", logger="sessionator_client")
    store.kill()
    for retry, tries in ((Retry(attempts=2, **NO_BACKOFF), 2), (Retry(30, 1.5, **NO_BACKOFF), 2)):
        caplog.clear()
        with Client(url, retry=retry) as sessions:
            started = time.monotonic()
            with pytest.raises(ServiceUnavailable) as down:
                sessions.get("s1", "ns")
            elapsed = time.monotonic() - started
        assert (down.value.status, down.value.code, down.value.retry_after) == (
            503, "store_unavailable", 1.0,
        )  # fmt: skip
        assert len(retries(caplog)) == tries - 1
        assert tries - 1 <= elapsed < tries + 1


def test_no_answer_is_a_connection_failure_retried_with_back_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="sessionator_client")
    nobody = f"http://127.0.0.1:{free_port()}"
    with (
        Client(nobody, retry=Retry(attempts=3, backoff=0.01)) as sessions,
        pytest.raises(ConnectionFailed) as failed,
    ):
        sessions.get("s1", "ns")
    assert failed.value.status is None
    assert [(status, code) for status, code, _ in retries(caplog)] == [(None, "")] * 2
    assert all(wait <= 0.02 for _, _, wait in retries(caplog))


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    assert retry_after_seconds("12") == 12.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    seconds = retry_after_seconds(later)
    assert seconds is not None and 28 <= seconds <= 30
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # already past
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_the_policy_waits_for_safe_failures_only_and_within_bounds() -> None:
    policy = Retry(attempts=3, total_seconds=5, backoff=0.1, max_backoff=0.15)
    asked = ServiceUnavailable("down", status=503, retry_after=2.0)
    assert policy.delay(asked, attempt=1, elapsed=0.0) == 2.0
    assert policy.delay(asked, attempt=1, elapsed=3.5) is None  # would end past 5 s
    assert policy.delay(asked, attempt=3, elapsed=0.0) is None  # no fourth try
    for attempt in (1, 2):
        wait = policy.delay(RateLimited("slow", status=429), attempt, 0.0)
        assert wait is not None and 0 <= wait <= min(0.15, 0.1 * 2 ** (attempt - 1))
    assert policy.delay(Forbidden("no", status=403), 1, 0.0) is None
