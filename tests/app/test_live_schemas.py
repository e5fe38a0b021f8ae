"""Living schemas, observed from outside over HTTP: a real gunicorn (2 workers), a real Valkey.

Each test writes schema files into a directory of its own, served by a
gunicorn started for the test with the default reload interval, and polls the
API until every worker shows the change.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import jsonschema
import pytest

from app.store.embedded import EmbeddedStore
from tests.conftest import REPO, start_gunicorn, stop_process
from tests.httpclient import HttpClient, Reply

USER = "type: object\nproperties:\n  name: {type: string, min: 1}\n"
PROFILE = "type: object\nproperties:\n  owner: {type: team.user.v1}\n  age: {type: integer}\n"
BROKEN = "type: object\nproperties:\n  name: {type: strin}\n"
RELOAD_INTERVAL = 1.0  # SCHEMA_POLL_MS's default, which these tests run with


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


class Service:
    """A gunicorn serving one schema directory, and helpers to watch it change."""

    def __init__(self, http: HttpClient, schema_dir: Path) -> None:
        self.http = http
        self.dir = schema_dir

    def write(self, name: str, text: str) -> None:
        (self.dir / f"{name}.yaml").write_text(text)

    def put(self, ns: str, document: object, sid: str = "s1") -> Reply:
        return self.http.put_json(f"/v1/sessions/{sid}/{ns}", document)

    def settle(self, condition: Callable[[], bool], timeout: float = 2.0) -> float:
        """Seconds until ``condition`` first held on 10 requests in a row, failing after
        ``timeout``; returns once every worker must have reloaded too.

        Sequential connections may all be accepted by one worker, so 10 good answers
        prove one worker reloaded. Every worker polls once a second, so 1.2 s later all
        have: the condition must then still hold.
        """
        started = time.monotonic()
        while time.monotonic() - started < timeout + 1:
            if all(condition() for _ in range(10)):
                elapsed = time.monotonic() - started
                time.sleep(RELOAD_INTERVAL + 0.2)
                assert all(condition() for _ in range(10)), "a worker disagrees"
                return elapsed
            time.sleep(0.05)
        raise AssertionError(f"not settled within {timeout + 1} s")


@pytest.fixture
def service(tmp_path: Path, valkey: EmbeddedStore, redis_url: str) -> Iterator[Service]:
    schema_dir = tmp_path / "schemas"
    schema_dir.mkdir()
    (schema_dir / "team.user.v1.yaml").write_text(USER)
    process, port = start_gunicorn({"REDIS_URL": redis_url, "SCHEMA_DIR": str(schema_dir)})
    yield Service(HttpClient(f"http://127.0.0.1:{port}"), schema_dir)
    stop_process(process)


def test_a_new_schema_applies_in_every_worker_within_two_seconds(service: Service) -> None:
    assert service.put("team.profile.v1", {"age": "old"}).status == 200
    service.write("team.profile.v1", PROFILE)
    elapsed = service.settle(lambda: service.put("team.profile.v1", {"age": "old"}).status == 422)
    assert elapsed < 2.0
    reply = service.put("team.profile.v1", {"owner": {"name": ""}, "age": 3.5})
    assert reply.json()["details"] == {
        "age": ["Not a valid integer."],
        "owner.name": ["Shorter than minimum length 1."],
    }


def test_an_edit_to_a_broken_file_keeps_the_last_good_version(service: Service) -> None:
    service.write("team.profile.v1", PROFILE)
    service.settle(lambda: service.put("team.profile.v1", {"age": 1}).status == 422)
    service.write("team.profile.v1", BROKEN)
    service.settle(
        lambda: service.http.get("/v1/schemas/team.profile.v1").json()["status"] == "stale"
    )
    good = service.put("team.profile.v1", {"owner": {"name": "Ada"}, "age": 1})
    assert good.status == 200
    assert good.json()["_schemaVersion"] == digest(PROFILE)
    assert service.put("team.profile.v1", {"age": 1}).status == 422
    listing = service.http.get("/v1/schemas/team.profile.v1").json()
    assert listing["digest"] == digest(BROKEN)
    assert listing["inForce"] == digest(PROFILE)
    assert listing["problems"] == [
        f"{service.dir}/team.profile.v1.yaml:3: properties.name.type: "
        + listing["problems"][0].split("properties.name.type: ", 1)[1]
    ]


def test_a_new_broken_schema_refuses_writes_until_fixed(service: Service) -> None:
    service.write("team.broken.v1", BROKEN)
    service.settle(lambda: service.put("team.broken.v1", {"name": "x"}).status == 503)
    reply = service.put("team.broken.v1", {"name": "x"}, sid="refused")
    assert (reply.status, reply.json()["error"]) == (503, "schema_unavailable")
    assert f"{service.dir}/team.broken.v1.yaml" in reply.json()["message"]
    assert service.http.get("/v1/sessions/refused").json()["_namespaces"] == []
    service.write("team.broken.v1", USER)
    service.settle(lambda: service.put("team.broken.v1", {"name": "x"}).status == 200)


def test_deleting_a_schema_makes_its_namespace_free_form(service: Service) -> None:
    service.write("team.profile.v1", PROFILE)
    service.settle(lambda: service.put("team.profile.v1", {"free": True}).status == 422)
    (service.dir / "team.profile.v1.yaml").unlink()
    service.settle(lambda: service.put("team.profile.v1", {"free": True}).status == 200)
    assert "_schemaVersion" not in service.put("team.profile.v1", {"free": True}).json()


def test_a_change_to_a_referenced_schema_applies_to_its_users(service: Service) -> None:
    service.write("team.profile.v1", PROFILE)
    document = {"owner": {"name": "Ada", "email": "ada@example.com"}, "age": 36}
    service.settle(lambda: service.put("team.profile.v1", document).status == 422)
    service.write("team.user.v1", USER + "allowUnknown: true\n")
    service.settle(lambda: service.put("team.profile.v1", document).status == 200)


def test_no_request_fails_while_schemas_reload(service: Service) -> None:
    failures: list[int] = []
    stop = threading.Event()

    def traffic() -> None:
        while not stop.is_set():
            for reply in (
                service.put("team.user.v1", {"name": "Ada"}, sid="busy"),
                service.http.get("/v1/sessions/busy?namespaces=team.user.v1"),
            ):
                if reply.status != 200:
                    failures.append(reply.status)

    workers = [threading.Thread(target=traffic) for _ in range(3)]
    for worker in workers:
        worker.start()
    for i in range(8):
        service.write("team.user.v1", USER + ("allowUnknown: true\n" if i % 2 else ""))
        service.write(f"team.extra{i}.v1", USER)
        time.sleep(0.3)
    stop.set()
    for worker in workers:
        worker.join()
    assert failures == []


def test_documents_record_the_schema_version_that_accepted_them(service: Service) -> None:
    reply = service.put("team.user.v1", {"name": "Ada", "_schemaVersion": "forged"})
    assert reply.json() == {
        "_session": "s1",
        "_namespace": "team.user.v1",
        "_modified": reply.json()["_modified"],
        "_expires": reply.json()["_expires"],
        "_schemaVersion": digest(USER),
        "name": "Ada",
    }
    free = service.put("team.free.v1", {"_schemaVersion": "mine", "x": 1}).json()
    assert list(free) == ["_session", "_namespace", "_modified", "_expires", "x"]


def test_the_listing_names_source_digest_time_and_status(service: Service) -> None:
    service.write("team.broken.v1", BROKEN)
    service.settle(lambda: len(service.http.get("/v1/schemas").json()["schemas"]) == 2)
    listing = service.http.get("/v1/schemas").json()
    user, broken = listing["schemas"][1], listing["schemas"][0]
    assert (user["name"], user["status"], user["digest"], user["problems"]) == (
        "team.user.v1", "ok", digest(USER), [],
    )  # fmt: skip
    assert str(service.dir / "team.user.v1.yaml") in user["source"]
    assert user["loadedAt"].endswith("Z")
    assert (broken["name"], broken["status"], broken["inForce"]) == (
        "team.broken.v1",
        "broken",
        None,
    )
    assert listing["problems"] == broken["problems"]
    assert service.http.get("/readyz").json()["schemas"]["notInForce"] == ["team.broken.v1"]


def test_one_schema_in_its_language_and_as_json_schema(service: Service) -> None:
    service.write("team.profile.v1", PROFILE)
    service.settle(lambda: service.http.get("/v1/schemas/team.profile.v1").status == 200)
    body = service.http.get("/v1/schemas/team.profile.v1").json()
    assert body["yaml"] == PROFILE
    assert body["definition"] == {
        "type": "object",
        "properties": {"owner": {"type": "team.user.v1"}, "age": {"type": "integer"}},
    }
    validator = jsonschema.Draft202012Validator(body["jsonSchema"])
    assert validator.is_valid({"owner": {"name": "Ada"}, "age": 1})
    assert not validator.is_valid({"owner": {"name": ""}, "age": 1})
    missing = service.http.get("/v1/schemas/team.nothing.v1")
    assert (missing.status, missing.json()["error"]) == (404, "not_found")


def test_start_up_with_a_broken_file_serves_and_fails_closed(
    tmp_path: Path, redis_url: str
) -> None:
    schema_dir = tmp_path / "schemas"
    schema_dir.mkdir()
    (schema_dir / "team.broken.v1.yaml").write_text(BROKEN)
    process, port = start_gunicorn({"REDIS_URL": redis_url, "SCHEMA_DIR": str(schema_dir)})
    http = HttpClient(f"http://127.0.0.1:{port}")
    try:
        assert http.put_json("/v1/sessions/s1/team.broken.v1", {"name": "x"}).status == 503
        assert http.put_json("/v1/sessions/s1/team.other.v1", {"name": "x"}).status == 200
    finally:
        stop_process(process)


def test_schemas_check_prints_one_line_per_problem(tmp_path: Path) -> None:
    (tmp_path / "team.broken.v1.yaml").write_text(BROKEN)
    (tmp_path / "team.user.v1.yaml").write_text(USER)
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "schemas", "check", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stdout.startswith(f"{tmp_path}/team.broken.v1.yaml:3: properties.name.type: ")
    assert len(result.stdout.splitlines()) == 1
    ok = subprocess.run(
        [sys.executable, "-m", "app.cli", "schemas", "check", str(REPO / "schemas")],
        cwd=REPO, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert (ok.returncode, ok.stdout) == (0, "")


def test_schemas_from_an_installed_package_and_a_second_directory(
    tmp_path: Path, redis_url: str, installed_site: Path
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "team.user.v1.yaml").write_text(USER)
    (second / "team.profile.v1.yaml").write_text(PROFILE)
    process, port = start_gunicorn(
        {
            "REDIS_URL": redis_url,
            "SCHEMA_DIR": f"{first}:{second}",
            "PYTHONPATH": str(installed_site),
        }
    )
    http = HttpClient(f"http://127.0.0.1:{port}")
    try:
        names = [s["name"] for s in http.get("/v1/schemas").json()["schemas"]]
        assert names == ["restaurants.favorites.v1", "team.profile.v1", "team.user.v1"]
        source = http.get("/v1/schemas/restaurants.favorites.v1").json()["source"]
        assert "restaurants" in source
        assert http.put_json("/v1/sessions/s1/team.profile.v1", {"owner": {}}).status == 422
        (second / "team.user.v1.yaml").write_text(USER)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            listing = http.get("/v1/schemas").json()
            if listing["problems"]:
                break
            time.sleep(0.1)
        assert any("team.user.v1" in problem for problem in listing["problems"])
    finally:
        stop_process(process)
