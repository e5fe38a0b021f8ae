"""Slow and stalled clients cost a socket, not a thread: everyone else is still served.

Before the read-ahead worker, eight clients sending their headers a byte at a
time held every thread of the default service (two workers of two threads)
and nobody else was answered for as long as they went on.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from app.store.embedded import EmbeddedStore
from tests.conftest import SCHEMA_DIR, start_gunicorn, stop_process
from tests.httpclient import HttpClient

READ_TIMEOUT_S = 2.0
TRICKLE_S = 0.25  # a byte every quarter second: a request takes a minute to arrive
HEAD = b"GET /v1/sessions/slow HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"p" * 200 + b"\r\n\r\n"
BODY_HEAD = (
    b"PUT /v1/sessions/slow/ns HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Content-Length: 200\r\n\r\n"
)


@dataclass
class Trickler:
    """One client sending ``data`` a byte at a time, then reading what it is answered."""

    port: int
    data: bytes
    answer: bytes = b""
    answered_after: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            for byte in self.data:
                if self._stop.is_set():
                    return
                try:
                    sock.send(bytes([byte]))
                except OSError:
                    break  # the server closed it
                sock.settimeout(TRICKLE_S)
                try:
                    self.answer += sock.recv(4096)
                except TimeoutError:
                    continue
                if self.answer:
                    break
            self.answered_after = time.monotonic() - started
            sock.settimeout(5)
            with contextlib.suppress(OSError):  # closed with our unread bytes: a reset
                while chunk := sock.recv(4096):
                    self.answer += chunk


@pytest.fixture
def served(valkey: EmbeddedStore) -> Iterator[HttpClient]:
    env = {
        "REDIS_URL": valkey.url,
        "SCHEMA_DIR": str(SCHEMA_DIR),
        "REQUEST_READ_TIMEOUT_MS": str(int(READ_TIMEOUT_S * 1000)),
    }
    process, port = start_gunicorn(env)
    yield HttpClient(f"http://127.0.0.1:{port}", timeout=5)
    stop_process(process)


def test_slow_clients_do_not_keep_anyone_else_from_being_served(served: HttpClient) -> None:
    slow = [Trickler(served.port, HEAD) for _ in range(8)]
    slow += [Trickler(served.port, BODY_HEAD + b'{"a":"' + b"x" * 192 + b'"}') for _ in range(8)]
    threads = [threading.Thread(target=t.run, daemon=True) for t in slow]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # every slow client is connected and trickling
    answered = []
    for _ in range(12):
        sent = time.monotonic()
        reply = served.get("/v1/sessions/normal")
        answered.append((reply.status, time.monotonic() - sent))
        time.sleep(0.2)
    for thread in threads:
        thread.join(READ_TIMEOUT_S + 5)
    assert [status for status, _ in answered] == [200] * 12
    assert max(took for _, took in answered) < 0.5
    for client in slow:  # each got the contract's JSON 408 once its deadline passed
        head, _, body = client.answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 Request Timeout"), client.answer[:100]
        assert json.loads(body)["error"] == "request_timeout"
        assert READ_TIMEOUT_S <= client.answered_after < READ_TIMEOUT_S + 1.5


def test_a_request_trickled_in_within_the_deadline_is_served(served: HttpClient) -> None:
    document = b'{"n":1}'
    request = BODY_HEAD.replace(b"200", str(len(document)).encode()) + document
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        for piece in (request[:10], request[10:60], request[60:-1], request[-1:]):
            sock.sendall(piece)
            time.sleep(0.2)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200 OK"), answer[:200]
    assert b'"n":1' in answer
