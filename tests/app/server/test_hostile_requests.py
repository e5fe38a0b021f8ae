"""Hostile and malformed requests through a real gunicorn: clear answers, private logs.

One gunicorn at LOG_LEVEL=DEBUG with a tenants file serves every request of
this module; its whole log is then read back. No line may hold a session id
(but the audit trail of writes, as documented), a query string, an API key
or a byte of a body.
"""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from app.access.tenants import generate_key, key_digest
from app.store.embedded import EmbeddedStore
from tests.conftest import SCHEMA_DIR, start_gunicorn, stop_process

KEY = generate_key()
SECRET = "Zq7secretsession"  # in session ids, queries and bodies: must reach no log line
WRITTEN = "Wr1ttenSession"  # a session that is written: only the audit trail may name it
JSON_HEAD = "Content-Type: application/json\r\n"


@dataclass
class Served:
    port: int
    log: Path
    store: redis.Redis

    def raw(self, data: bytes, half_close: bool = False) -> tuple[int, Any]:
        """Send raw bytes; the status and JSON body answered."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer and _whole(answer):
                    break
        head, _, body = answer.partition(b"\r\n\r\n")
        return int(head.split()[1]), json.loads(body) if body else None

    def log_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines()]


def _whole(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


@pytest.fixture(scope="module")
def served(valkey: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    work = tmp_path_factory.mktemp("hostile")
    tenants = work / "tenants.yaml"
    tenants.write_text(
        f'tenants:\n  ops:\n    keys: ["{key_digest(KEY)}"]\n    read: ["*"]\n    write: ["*"]\n'
    )
    env = {
        "REDIS_URL": valkey.url,
        "SCHEMA_DIR": str(SCHEMA_DIR),
        "TENANTS_FILE": str(tenants),
        "LOG_LEVEL": "DEBUG",
    }
    log = work / "gunicorn.log"
    process, port = start_gunicorn(env, log=log)
    client = redis.Redis.from_url(valkey.url)
    client.flushall()
    yield Served(port, log, client)
    client.close()
    stop_process(process)


def request(method: str, path: str, headers: str = "", body: bytes = b"") -> bytes:
    auth = f"Authorization: Bearer {KEY}\r\n"
    length = f"Content-Length: {len(body)}\r\n" if body else ""
    return f"{method} {path} HTTP/1.1\r\nHost: x\r\n{auth}{headers}{length}\r\n".encode() + body


CHUNKED = "Transfer-Encoding: chunked\r\n" + JSON_HEAD
BROKEN_BODIES = {
    "hex prefix": b'0x7\r\n{"a":1}\r\n0\r\n\r\n',
    "negative size": b'-7\r\n{"a":1}\r\n0\r\n\r\n',
    "no CRLF after the data": b'7\r\n{"a":1}XX0\r\n\r\n',
}


@pytest.mark.parametrize("body", BROKEN_BODIES.values(), ids=BROKEN_BODIES.keys())
def test_a_broken_chunked_body_is_400_and_stores_nothing(served: Served, body: bytes) -> None:
    path = f"/v1/sessions/{WRITTEN}/broken"
    status, answer = served.raw(request("PUT", path, CHUNKED, b"") + body)
    assert (status, answer["error"]) == (400, "bad_request")
    assert served.store.keys("*broken*") == []


def test_a_broken_chunked_console_form_is_a_400_page(served: Served) -> None:
    form = "Transfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    broken = request("POST", "/console/sign-in", form) + b"0x9\r\nkey=a&b=1\r\n0\r\n\r\n"
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        sock.sendall(broken)
        answer = b""
        while not _whole(answer) and (chunk := sock.recv(65536)):
            answer += chunk
    assert answer.split(b"\r\n", 1)[0] == b"HTTP/1.1 400 BAD REQUEST"
    assert b"not valid HTTP" in answer


def test_a_client_that_stops_mid_body_is_400_and_stores_nothing(served: Served) -> None:
    path = f"/v1/sessions/{WRITTEN}/cut"
    status, answer = served.raw(request("PUT", path, CHUNKED) + b'9\r\n{"a":', half_close=True)
    assert (status, answer["error"]) == (400, "bad_request")
    assert served.store.keys("*cut*") == []


def test_requests_gunicorn_refuses_are_answered_in_json(served: Served) -> None:
    no_colon = (
        f"GET /v1/sessions/{SECRET} HTTP/1.1\r\nHost: x\r\nAuthorization Bearer {KEY}\r\n\r\n"
    )
    assert served.raw(no_colon.encode())[0] == 400
    non_ascii = f"GET /v1/sessions/{SECRET}\xff HTTP/1.1\r\nHost: x\r\n\r\n".encode("latin-1")
    assert served.raw(non_ascii)[0] == 400


def test_reads_writes_and_refusals_with_private_data_are_served(served: Served) -> None:
    body = json.dumps({"note": SECRET}).encode()
    basic = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    answers = [
        served.raw(request("GET", f"/v1/sessions/{SECRET}?namespaces={SECRET}"))[0],
        served.raw(request("GET", f"/v1/sessions/{SECRET}/ns?{SECRET}=1"))[0],
        served.raw(request("PUT", f"/v1/sessions/{WRITTEN}/ns", JSON_HEAD, body))[0],
        served.raw(request("PUT", f"/v1/sessions/{WRITTEN}/ns", JSON_HEAD, body[:-3]))[0],
        served.raw(
            f"GET /v1/sessions/{SECRET} HTTP/1.1\r\nAuthorization: Basic {basic}\r\n\r\n".encode()
        )[0],
        served.raw(request("GET", f"/v1/sessions/{SECRET}\x00"))[0],
    ]
    assert answers == [200, 400, 200, 400, 401, 400]


def test_a_client_that_leaves_mid_head_is_dropped_and_nothing_it_sent_is_logged(
    served: Served,
) -> None:
    """Gunicorn logs a premature disconnection at DEBUG, with the bytes it had read."""
    head = f"GET /v1/sessions/{SECRET} HTTP/1.1\r\nAuthorization: Bearer {KEY}\r\n"
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        sock.sendall(head.encode())
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(65536) == b""  # no answer: the connection is closed
    # The last test of the module reads the whole log for SECRET and KEY.


def test_gunicorn_names_the_address_it_listens_at(served: Served) -> None:
    starting = [
        line["message"] for line in served.log_lines() if line["message"].startswith("Listening at")
    ]
    assert len(starting) == 1
    assert starting[0].startswith(f"Listening at: http://127.0.0.1:{served.port} (")


def test_no_log_line_holds_a_session_id_a_query_a_key_or_a_body_byte(served: Served) -> None:
    """Runs last in the module (pytest keeps file order): the log then holds every request."""
    lines = served.log_lines()
    assert len(lines) > 20
    for line in lines:
        text = json.dumps(line)
        assert SECRET not in text, line
        assert KEY not in text and KEY[4:20] not in text, line
        assert '"a":' not in text and '{\\"a\\"' not in text, line
        if WRITTEN in text:
            assert line["event"] == "audit" and line["session"] == WRITTEN, line
    refusals = [line for line in lines if line["message"].startswith("Refused a request")]
    assert len(refusals) >= 2
    assert not [line for line in lines if "exception" in line]
