"""``Client.update``: the optimistic read-modify-write loop never loses a write.

Twenty threads share one client (one connection pool) and each updates the
same namespace of a real gunicorn (two workers) at once: a counter and a
member of its own. Every update must survive: the counter ends at 20 and
every member is there.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import redis
from sessionator_client import Client, Conflict, ConnectionFailed, NotFound, Retry

from tests.httpclient import HttpClient
from tests.stored import stored, stored_json

UPDATERS = 20


@pytest.fixture
def sessions(http: HttpClient) -> Iterator[Client]:
    with Client(f"http://{http.host}:{http.port}", max_connections=UPDATERS) as client:
        yield client


def add_one(name: str) -> Any:
    def change(data: dict[str, Any] | None) -> dict[str, Any]:
        data = data or {"count": 0}
        return {**data, "count": data["count"] + 1, name: True}

    return change


def test_twenty_concurrent_updaters_lose_nothing(sessions: Client, store: redis.Redis) -> None:
    start = threading.Barrier(UPDATERS)

    def updater(number: int) -> int:
        start.wait(timeout=10)
        return int(sessions.update("s1", "counter", add_one(f"by{number}")).data["count"])

    with ThreadPoolExecutor(UPDATERS) as pool:
        counts = list(pool.map(updater, range(UPDATERS), timeout=60))
    assert sorted(counts) == list(range(1, UPDATERS + 1))  # each saw its own increment
    raw = stored(store, "s1", "counter")
    assert raw is not None
    data = {k: v for k, v in json.loads(raw).items() if not k.startswith("_")}
    assert data == {"count": UPDATERS, **{f"by{n}": True for n in range(UPDATERS)}}


def test_update_creates_a_namespace_that_does_not_exist(sessions: Client) -> None:
    seen: list[dict[str, Any] | None] = []

    def change(data: dict[str, Any] | None) -> dict[str, Any]:
        seen.append(data)
        return {"created": True}

    document = sessions.update("s1", "fresh", change)
    assert (seen, document.data) == ([None], {"created": True})
    assert sessions.get("s1", "fresh") == document


def test_update_starts_again_from_what_another_writer_stored(sessions: Client) -> None:
    sessions.put("s1", "ns", {"items": ["a"]})
    seen: list[dict[str, Any] | None] = []

    def change(data: dict[str, Any] | None) -> dict[str, Any]:
        seen.append(data)
        if len(seen) == 1:  # someone else writes between this read and the write
            sessions.put("s1", "ns", {"items": ["a", "b"]})
        return {"items": [*(data or {"items": []})["items"], "c"]}

    assert sessions.update("s1", "ns", change).data == {"items": ["a", "b", "c"]}
    assert seen == [{"items": ["a"]}, {"items": ["a", "b"]}]


def test_update_gives_up_after_its_attempts_with_a_write_conflict(sessions: Client) -> None:
    sessions.put("s1", "ns", {"n": 0})
    calls = 0

    def always_overtaken(data: dict[str, Any] | None) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        sessions.put("s1", "ns", {"n": -calls})  # another write, every time
        return {"n": 1}

    with pytest.raises(Conflict) as gave_up:
        sessions.update("s1", "ns", always_overtaken, attempts=3)
    assert (gave_up.value.status, gave_up.value.code, calls) == (409, "write_conflict", 3)
    assert sessions.get("s1", "ns").data == {"n": -3}


class LosesFirstAnswer(httpx.BaseTransport):
    """Sends every request to the real service, but loses the answer to the first ``method``:
    the service applied it, and the client sees a timeout."""

    def __init__(self, method: str) -> None:
        self.method, self.lost = method, False
        self.real = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.real.handle_request(request)
        if request.method == self.method and not self.lost:
            self.lost = True
            response.read()
            response.close()
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response

    def close(self) -> None:
        self.real.close()


def losing_first(http: HttpClient, method: str) -> Client:
    """A client whose first ``method`` request is applied but answered with a timeout."""
    client = Client(f"http://{http.host}:{http.port}", retry=Retry(backoff=0.001))
    client.http.close()
    client.http = httpx.Client(
        base_url=str(client.http.base_url), transport=LosesFirstAnswer(method)
    )
    client.transport.http = client.http
    return client


def test_an_update_whose_answer_is_lost_is_applied_once_and_says_so(
    http: HttpClient, store: redis.Redis
) -> None:
    with Client(f"http://{http.host}:{http.port}") as plain:
        plain.put("s1", "counter", {"count": 0})
    with losing_first(http, "PUT") as sessions, pytest.raises(ConnectionFailed) as unknown:
        sessions.update("s1", "counter", add_one("me"))
    # The write landed; its retry met 412, which says nothing about whether it had: the
    # client raises the lost answer instead of calling change on its own write again.
    assert stored_json(store, "s1", "counter")["count"] == 1
    assert "may have taken effect" in "".join(unknown.value.__notes__)


def test_a_delete_whose_answer_is_lost_is_not_reported_missing(http: HttpClient) -> None:
    with Client(f"http://{http.host}:{http.port}") as plain:
        plain.put("s1", "ns", {"a": 1})
    with losing_first(http, "DELETE") as sessions, pytest.raises(ConnectionFailed):
        sessions.delete("s1", "ns")  # applied; its retry's 404 proves nothing either way
    with Client(f"http://{http.host}:{http.port}") as plain, pytest.raises(NotFound):
        plain.get("s1", "ns")
