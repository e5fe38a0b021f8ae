"""Changing a schema in place, through a real gunicorn (2 workers) that reloads every 200 ms.

A breaking edit is refused within the reload interval and reported where an
operator looks (GET /v1/schemas/{name}, /readyz, the log); a compatible edit
and an opted-out breaking one apply. The linter and the audit read the
versions in force from the running service, with an API key. Each test uses
schema names of its own, so they share one service.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from app.access.tenants import generate_key, key_digest
from app.store.embedded import EmbeddedStore
from tests.clirun import sessionator
from tests.conftest import start_gunicorn, stop_process
from tests.httpclient import HttpClient, Reply

pytestmark = pytest.mark.gunicorn

USER = "type: object\nproperties:\n  name: {type: string, min: 1}\n"
USER_STRICTER = "type: object\nproperties:\n  name: {type: string, min: 2}\n"
USER_WIDER = "type: object\nproperties:\n  name: {type: string}\n"
POLL_SECONDS = 0.2
KEY = generate_key()


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def advice(name: str) -> str:
    return f"publish it as {name[:-1]}2 instead, or opt out with 'compatibility: none'"


@dataclass
class Service:
    """The module's gunicorn, its schema directory and its log."""

    url: str
    dir: Path
    log: Path

    def call(self, method: str, path: str, body: object = None) -> Reply:
        headers = {"Authorization": f"Bearer {KEY}"}
        data = None if body is None else json.dumps(body).encode()
        if data is not None:
            headers["Content-Type"] = "application/json"
        return HttpClient(self.url).request(method, path, data, headers)

    def schema(self, name: str) -> dict[str, object]:
        reply = self.call("GET", f"/v1/schemas/{name}")
        return reply.json() if reply.status == 200 else {}  # type: ignore[no-any-return]

    def put(self, name: str, document: object, sid: str = "s1") -> Reply:
        return self.call("PUT", f"/v1/sessions/{sid}/{name}", document)

    def write(self, name: str, text: str) -> None:
        (self.dir / f"{name}.yaml").write_text(text)

    def settle(self, condition: Callable[[], bool], timeout: float = 3.0) -> float:
        """Seconds until ``condition`` held on 10 requests in a row; then, once every worker
        must have polled, it must still hold.
        """
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if all(condition() for _ in range(10)):
                elapsed = time.monotonic() - started
                time.sleep(POLL_SECONDS * 2)
                assert all(condition() for _ in range(10)), "a worker disagrees"
                return elapsed
            time.sleep(0.02)
        raise AssertionError(f"not settled within {timeout} s")

    def publish(self, name: str, text: str) -> None:
        """Write a schema file and wait until every worker has it in force."""
        self.write(name, text)
        self.settle(lambda: self.schema(name).get("inForce") == digest(text))


@pytest.fixture(scope="module")
def service(valkey: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    folder = tmp_path_factory.mktemp("schema-changes")
    (folder / "schemas").mkdir()
    tenants = folder / "tenants.yaml"
    tenants.write_text(
        f'tenants:\n  ops:\n    keys: ["{key_digest(KEY)}"]\n    read: ["*"]\n    write: ["*"]\n'
    )
    env = {
        "REDIS_URL": valkey.url,
        "SCHEMA_DIR": str(folder / "schemas"),
        "SCHEMA_POLL_MS": str(int(POLL_SECONDS * 1000)),
        "TENANTS_FILE": str(tenants),
        "RATE_LIMIT": "",
    }
    process, port = start_gunicorn(env, log=folder / "gunicorn.log")
    yield Service(f"http://127.0.0.1:{port}", folder / "schemas", folder / "gunicorn.log")
    stop_process(process)


def test_a_breaking_edit_is_refused_within_the_reload_interval_and_reported(
    service: Service,
) -> None:
    name = "team.refused.v1"
    service.publish(name, USER)
    written_at = time.monotonic()
    service.write(name, USER_STRICTER)
    while service.schema(name).get("status") != "stale":
        assert time.monotonic() - written_at < 1.0, "not refused within 1 s"  # 5 intervals
        time.sleep(0.01)
    service.settle(lambda: service.schema(name).get("status") == "stale")  # every worker
    problem = (
        f"{service.dir}/{name}.yaml:3: properties.name.min: breaking change: min raised from 1"
        f" to 2: stored lengths below 2 would fail; {advice(name)}"
    )
    body = service.schema(name)
    assert (body["status"], body["digest"], body["inForce"]) == (
        "stale",
        digest(USER_STRICTER),
        digest(USER),
    )
    assert (body["problems"], body["yaml"]) == ([problem], USER)
    written = service.put(name, {"name": "A"})  # valid under the version in force only
    assert (written.status, written.json()["_schemaVersion"]) == (200, digest(USER))
    schemas = service.call("GET", "/readyz").json()["schemas"]
    assert name in schemas["stale"] and problem in schemas["problems"]
    logged = [json.loads(line) for line in service.log.read_text().splitlines()]
    reported = [line["level"] for line in logged if line["message"] == f"Schema problem: {problem}"]
    assert reported and set(reported) == {"error"}


def test_a_compatible_edit_applies(service: Service) -> None:
    name = "team.widened.v1"
    service.publish(name, USER)
    assert service.put(name, {"name": ""}).status == 422
    service.write(name, USER_WIDER)
    service.settle(lambda: service.put(name, {"name": ""}).status == 200)
    body = service.schema(name)
    assert (body["status"], body["inForce"], body["problems"]) == ("ok", digest(USER_WIDER), [])
    assert service.put(name, {"name": ""}).json()["_schemaVersion"] == digest(USER_WIDER)


def test_compatibility_none_applies_a_breaking_edit(service: Service) -> None:
    name = "team.optout.v1"
    service.publish(name, USER)
    opted_out = "compatibility: none\n" + USER_STRICTER
    service.write(name, opted_out)
    service.settle(lambda: service.put(name, {"name": "A"}).status == 422)
    body = service.schema(name)
    assert (body["status"], body["inForce"], body["problems"]) == ("ok", digest(opted_out), [])


def test_check_against_the_running_service_reads_its_versions_in_force(
    service: Service, tmp_path: Path
) -> None:
    name = "team.linted.v1"
    service.publish(name, USER)
    (tmp_path / f"{name}.yaml").write_text(USER_STRICTER)
    result = sessionator(
        "schemas", "check", str(tmp_path), "--against", service.url, SESSIONATOR_KEY=KEY
    )
    assert (result.returncode, result.stdout) == (
        1,
        f"{tmp_path}/{name}.yaml:3: properties.name.min: breaking change: min raised from 1 to"
        f" 2: stored lengths below 2 would fail; {advice(name)}\n",
    )
    (tmp_path / f"{name}.yaml").write_text(USER_WIDER)
    result = sessionator(
        "schemas", "check", str(tmp_path), "--against", service.url, SESSIONATOR_KEY=KEY
    )
    assert (result.returncode, result.stdout) == (0, "")


def test_check_against_a_service_without_a_key_cannot_run(service: Service, tmp_path: Path) -> None:
    result = sessionator("schemas", "check", str(tmp_path), "--against", service.url + "/")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"sessionator: {service.url}/v1/schemas answered 401: "
        "set SESSIONATOR_KEY to an API key of that service\n"
    )


def test_audit_against_the_version_in_force_at_the_service(
    service: Service, redis_url: str, valkey: EmbeddedStore
) -> None:
    name = "team.audited.v1"
    service.publish(name, USER_WIDER)
    for sid, document in (("a1", {"name": "Ada"}), ("a2", {"name": ""})):
        assert service.put(name, document, sid=sid).status == 200
    result = sessionator(
        "schemas", "audit", name, "--schemas", service.url, REDIS_URL=valkey.url,
        SESSIONATOR_KEY=KEY,
    )  # fmt: skip
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        f"{name}, checked against {digest(USER_WIDER)} ({service.url}/v1/schemas/{name})",
        "documents: 2, failing: 0",
        "documents per _schemaVersion:",
        f"  2  {digest(USER_WIDER)}  (this version)",
    ]


def test_schema_compatibility_none_applies_breaking_edits_for_the_whole_deployment(
    tmp_path: Path, make_app: Callable[..., Flask]
) -> None:
    (tmp_path / "team.user.v1.yaml").write_text(USER)
    app = make_app(SCHEMA_DIR=str(tmp_path), SCHEMA_COMPATIBILITY="none")
    (tmp_path / "team.user.v1.yaml").write_text(USER_STRICTER + "# a breaking edit\n")
    holder = app.extensions["sessionator"].schemas
    assert holder.reload_if_changed()
    entry = holder.registry.entry("team.user.v1")
    assert (entry.status, entry.problems) == ("ok", ())
    client = app.test_client()
    reply = client.put("/v1/sessions/s1/team.user.v1", json={"name": "A"})
    assert reply.status_code == 422


@pytest.fixture
def impostor() -> Iterator[str]:
    """A server that is not Sessionator: ``/json/...`` answers ``{}``, anything else garbage."""

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/json/"):
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
            else:
                self.wfile.write(b"garbage\r\n\r\n")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_check_against_a_url_that_is_not_the_service_cannot_run(
    impostor: str, tmp_path: Path
) -> None:
    other_json = sessionator("schemas", "check", str(tmp_path), "--against", f"{impostor}/json")
    assert (other_json.returncode, other_json.stdout) == (2, "")
    assert other_json.stderr == (
        f"sessionator: {impostor}/json/v1/schemas did not list schemas: is it Sessionator's?\n"
    )
    not_http = sessionator("schemas", "check", str(tmp_path), "--against", impostor)
    assert (not_http.returncode, not_http.stdout) == (2, "")
    assert not_http.stderr.startswith(f"sessionator: cannot reach {impostor}/v1/schemas: ")
