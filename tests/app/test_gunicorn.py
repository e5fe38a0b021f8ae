"""Smoke and edge tests through a real gunicorn (two workers) on a real Valkey."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest
import redis

from tests.conftest import SCHEMA_DIR, as_stored, start_gunicorn, stop_process
from tests.httpclient import HttpClient
from tests.parallel import run_parallel
from tests.stored import KEYS, namespaces, stored

JSON = {"Content-Type": "application/json"}


def test_every_endpoint_through_gunicorn(http: HttpClient, store: redis.Redis) -> None:
    assert http.get("/v1/sessions/u1").json() == {"_session": "u1", "_namespaces": []}
    put = http.put_json("/v1/sessions/u1/favoriteThings", {"things": ["cats", "dogs"]})
    assert put.status == 200
    assert put.headers["Content-Type"] == "application/json"
    assert as_stored(http.get("/v1/sessions/u1/favoriteThings").body) == as_stored(put.body)
    http.put_json("/v1/sessions/u1/lastSeen", {"when": "2017-03-26T15:25:25Z"})
    both = http.get("/v1/sessions/u1?namespaces=favoriteThings&namespaces=lastSeen").json()
    assert both["_namespaces"] == ["favoriteThings", "lastSeen"]
    assert {k: v for k, v in both["favoriteThings"].items() if k != "_expires"} == json.loads(
        as_stored(put.body)
    )
    assert http.delete("/v1/sessions/u1/lastSeen").json() == {"success": True}
    assert http.delete("/v1/sessions/u1").json() == {"removed": 1}
    assert store.keys("*") == []


def test_errors_through_gunicorn_are_json(http: HttpClient) -> None:
    cases = [
        (http.get("/nope"), 404, "not_found"),
        (http.request("POST", "/v1/sessions/s1"), 405, "method_not_allowed"),
        (http.request("PUT", "/v1/sessions/s1/ns", b"{", JSON), 400, "invalid_json"),
        (http.request("PUT", "/v1/sessions/s1/ns", b"{}"), 415, "unsupported_media_type"),
        (http.get("/v1/sessions/" + "s" * 257), 400, "invalid_session_id"),
    ]
    for reply, status, code in cases:
        assert (reply.status, reply.headers["Content-Type"]) == (status, "application/json")
        assert reply.json()["error"] == code


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/v1/sessions/a%2Fb", "invalid_session_id"),
        ("/v1/sessions/a%2fb/ns", "invalid_session_id"),
        ("/v1/sessions/s1/ns%2Fother", "invalid_namespace"),
        ("/v1/sessions/%2E%2E%2Fetc", "invalid_session_id"),
    ],
)
def test_percent_encoded_slashes_stay_in_their_segment(
    http: HttpClient, store: redis.Redis, path: str, code: str
) -> None:
    http.put_json("/v1/sessions/a/b", {"secret": 1})
    http.put_json("/v1/sessions/s1/ns", {"secret": 2})
    for method in ("GET", "DELETE"):
        reply = http.request(method, path)
        assert (reply.status, reply.json()["error"]) == (400, code)
    assert sorted(k.decode() for k in store.keys("*")) == [KEYS.session("a"), KEYS.session("s1")]
    assert (namespaces(store, "a"), namespaces(store, "s1")) == (["b"], ["ns"])


def test_percent_encoded_letters_are_the_same_identifier(http: HttpClient) -> None:
    http.put_json("/v1/sessions/abc/ns", {"v": 1})
    assert http.get("/v1/sessions/%61bc/n%73").json()["_session"] == "abc"


def test_chunked_body_is_accepted(http: HttpClient, store: redis.Redis) -> None:
    chunks = iter([b'{"things":', b' ["cats",', b' "dogs"]}'])
    reply = http.request("PUT", "/v1/sessions/s1/ns", chunks, JSON, chunked=True)
    assert reply.status == 200
    assert json.loads(stored(store, "s1", "ns"))["things"] == ["cats", "dogs"]


def test_chunked_body_over_the_limit_is_413(http: HttpClient, store: redis.Redis) -> None:
    chunks = iter([b'{"p":"', *([b"x" * 8192] * 9), b'"}'])
    reply = http.request("PUT", "/v1/sessions/s1/ns", chunks, JSON, chunked=True)
    assert (reply.status, reply.json()["error"]) == (413, "payload_too_large")
    assert store.keys("*") == []


def test_declared_oversized_body_is_refused(http: HttpClient, store: redis.Redis) -> None:
    reply = http.request("PUT", "/v1/sessions/s1/ns", b"{" + b" " * 70000 + b"}", JSON)
    assert (reply.status, reply.json()["error"]) == (413, "payload_too_large")
    assert store.keys("*") == []


def test_longest_contract_read_is_served(http: HttpClient) -> None:
    names = [f"n{i:03d}" + "x" * 124 for i in range(100)]
    http.put_json(f"/v1/sessions/{'s' * 256}/{names[99]}", {"last": True})
    query = "&".join(f"namespaces={name}" for name in names)
    reply = http.get(f"/v1/sessions/{'s' * 256}?{query}")
    assert reply.status == 200
    assert reply.json()[names[99]]["last"] is True


def test_parallel_writes_to_different_namespaces_all_survive(
    http: HttpClient, store: redis.Redis
) -> None:
    replies = run_parallel(20, lambda i: http.put_json(f"/v1/sessions/s1/ns{i:02d}", {"i": i}))
    assert [r.status for r in replies] == [200] * 20  # type: ignore[attr-defined]
    listed = http.get("/v1/sessions/s1").json()["_namespaces"]
    assert listed == [f"ns{i:02d}" for i in range(20)]
    for i in range(20):
        assert json.loads(stored(store, "s1", f"ns{i:02d}"))["i"] == i


def test_parallel_writes_to_one_namespace_leave_exactly_one(
    http: HttpClient, store: redis.Redis
) -> None:
    def write(i: int) -> object:
        return http.put_json("/v1/sessions/s1/ns", {f"k{j}": i for j in range(50)})

    replies = run_parallel(20, write)
    assert [r.status for r in replies] == [200] * 20  # type: ignore[attr-defined]
    document = json.loads(stored(store, "s1", "ns"))
    values = {value for key, value in document.items() if key.startswith("k")}
    assert len(values) == 1 and len(document) == 53
    winner = values.pop()
    assert document == json.loads(as_stored(replies[winner].body))  # type: ignore[attr-defined]
    assert http.get("/v1/sessions/s1").json()["_namespaces"] == ["ns"]


@pytest.fixture
def doomed_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from app.store.embedded import EmbeddedStore

    store = EmbeddedStore(tmp_path_factory.mktemp("doomed"), persistent=False)
    store.start()
    yield store
    store.stop()


def test_store_outage_is_503_and_recovers(doomed_store: object) -> None:
    store = doomed_store
    process, port = start_gunicorn(
        {"REDIS_URL": store.url, "SCHEMA_DIR": str(SCHEMA_DIR)}  # type: ignore[attr-defined]
    )
    http = HttpClient(f"http://127.0.0.1:{port}")
    try:
        assert http.put_json("/v1/sessions/s1/ns", {"v": 1}).status == 200
        store.kill()  # type: ignore[attr-defined]
        for _ in range(4):
            reply = http.get("/v1/sessions/s1/ns")
            assert (reply.status, reply.headers["Retry-After"]) == (503, "1")
            assert reply.json()["error"] == "store_unavailable"
        store.start()  # type: ignore[attr-defined]
        # Each worker fails fast for 0.5 s, then probes (app/store/breaker.py).
        back = time.monotonic()
        while (reply := http.put_json("/v1/sessions/s1/ns", {"v": 2})).status != 200:
            assert reply.status == 503 and time.monotonic() - back < 2.0
            time.sleep(0.05)
    finally:
        stop_process(process)


def raw_exchange(http: HttpClient, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are; return the status, headers and body of the answer."""
    with socket.create_connection((http.host, http.port), timeout=5) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (b"GET /v1/sessions/s1 HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400, "bad_request"),
        (b"GET /v1/sessions/s1 HTTP/9.9\r\nHost: x\r\n\r\n", 400, "bad_request"),
        (b"G\x00T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
        (
            b"GET /v1/sessions/s1 HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n",
            431,
            "request_header_fields_too_large",
        ),
        (
            b"GET /v1/sessions/s1 HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-%d: 1\r\n" % i for i in range(51))
            + b"\r\n",
            431,
            "request_header_fields_too_large",
        ),
        (
            b"GET /v1/sessions/s1?" + b"a" * (16 * 1024) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            414,
            "uri_too_long",
        ),
        (
            b"GET /v1/sessions/s1?" + b"a" * (256 * 1024) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            414,
            "uri_too_long",
        ),
    ],
    ids=[
        "header-without-colon",
        "bad-version",
        "bad-method",
        "huge-header",
        "too-many-headers",
        "line-over-16KiB",
        "line-of-256KiB",
    ],
)
def test_requests_gunicorn_refuses_get_json_not_html(
    http: HttpClient, request_bytes: bytes, status: int, code: str
) -> None:
    got_status, headers, body = raw_exchange(http, request_bytes)
    assert (got_status, headers["Content-Type"]) == (status, "application/json")
    assert json.loads(body)["error"] == code
    assert b"<html" not in body
