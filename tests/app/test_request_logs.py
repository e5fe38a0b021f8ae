"""One JSON line per request, and every line gunicorn writes is JSON."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import SCHEMA_DIR, start_gunicorn, stop_process
from tests.httpclient import HttpClient
from tests.tenants_file import TEAM_KEY, write_tenants

FIELDS = {"event", "requestId", "method", "route", "status", "durationMs", "tenant"}
SECRET = "do-not-log-this-value"


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The fields of each request line logged so far."""
    return [r.fields for r in caplog.records if r.name == "app.requests"]  # type: ignore[attr-defined]


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="app.requests")
    return caplog


def test_each_request_logs_one_line_with_its_id_route_and_outcome(
    client: FlaskClient, logged: pytest.LogCaptureFixture
) -> None:
    reply = client.put("/v1/sessions/s1/ns", json={"v": 1}, headers={"X-Request-ID": "abc-123"})
    assert reply.headers["X-Request-ID"] == "abc-123"
    [line] = request_lines(logged)
    assert set(line) == FIELDS
    assert {k: v for k, v in line.items() if k != "durationMs"} == {
        "event": "request",
        "requestId": "abc-123",
        "method": "PUT",
        "route": "/v1/sessions/<sid>/<ns>",
        "status": 200,
        "tenant": "open",
    }
    assert 0 < line["durationMs"] < 5000


def test_a_request_without_an_id_gets_one_and_it_is_echoed(
    client: FlaskClient, logged: pytest.LogCaptureFixture
) -> None:
    reply = client.get("/v1/sessions/s1", headers={"X-Request-ID": "not a token!"})
    [line] = request_lines(logged)
    assert line["requestId"] == reply.headers["X-Request-ID"] != "not a token!"
    assert len(line["requestId"]) == 32


def test_errors_are_logged_once_each_with_their_status(
    client: FlaskClient, logged: pytest.LogCaptureFixture
) -> None:
    client.get("/nowhere")
    client.put("/v1/sessions/s1/checkout.cart.v1", json={"currency": "XXX"})
    client.put("/v1/sessions/s1/ns", data="{", content_type="application/json")
    client.open("/v1/sessions/s1", method="POST")
    lines = request_lines(logged)
    assert [(line["route"], line["status"]) for line in lines] == [
        (None, 404),
        ("/v1/sessions/<sid>/<ns>", 422),
        ("/v1/sessions/<sid>/<ns>", 400),
        (None, 405),
    ]


def test_a_store_outage_is_logged_as_a_warning(
    make_app: Callable[..., Flask], tmp_path: Path, logged: pytest.LogCaptureFixture
) -> None:
    make_app(REDIS_URL=f"unix://{tmp_path}/none.sock").test_client().get("/v1/sessions/s1/ns")
    [record] = [r for r in logged.records if r.name == "app.requests"]
    assert (record.levelname, record.fields["status"]) == ("WARNING", 503)  # type: ignore[attr-defined]


def test_probes_and_scrapes_are_logged_at_debug_when_they_succeed(
    client: FlaskClient, logged: pytest.LogCaptureFixture
) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/v1/sessions/s1"):
        client.get(path)
    levels = [(r.fields["route"], r.levelname) for r in logged.records if r.name == "app.requests"]  # type: ignore[attr-defined]
    assert levels == [
        ("/healthz", "DEBUG"),
        ("/readyz", "DEBUG"),
        ("/metrics", "DEBUG"),
        ("/v1/sessions/<sid>", "INFO"),
    ]


def test_the_line_names_the_tenant_never_the_key_path_query_or_body(
    make_app: Callable[..., Flask], tmp_path: Path, logged: pytest.LogCaptureFixture
) -> None:
    tenants = write_tenants(tmp_path / "tenants.yaml")
    client = make_app(TENANTS_FILE=str(tenants)).test_client()
    auth = {"Authorization": f"Bearer {TEAM_KEY}"}
    client.put(f"/v1/sessions/{SECRET}-sid/team.x", json={"v": SECRET}, headers=auth)
    client.get(f"/v1/sessions/s1?namespaces=team.{SECRET}", headers=auth)
    client.get("/v1/sessions/s1")  # no key: no tenant
    lines = request_lines(logged)
    assert [(line["tenant"], line["status"]) for line in lines] == [
        ("team", 200),
        ("team", 200),
        (None, 401),
    ]
    text = json.dumps(lines) + " ".join(r.getMessage() for r in logged.records)
    assert SECRET not in text and TEAM_KEY not in text


@pytest.mark.gunicorn
def test_every_line_gunicorn_writes_is_json(tmp_path: Path, redis_url: str) -> None:
    log = tmp_path / "gunicorn.log"
    env = {"REDIS_URL": redis_url, "SCHEMA_DIR": str(SCHEMA_DIR), "LOG_LEVEL": "INFO"}
    process, port = start_gunicorn(env, workers=2, log=log)
    http = HttpClient(f"http://127.0.0.1:{port}")
    try:
        http.put_json("/v1/sessions/s1/ns", {"v": 1})
        http.get("/v1/sessions/s1/ns", headers={"X-Request-ID": "trace-1"})
        http.get("/nowhere")
    finally:
        stop_process(process)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    loggers = {line["logger"] for line in lines}
    assert {"gunicorn.error", "app.requests", "app.access.audit", "app.reloading"} <= loggers
    requests = [line for line in lines if line.get("event") == "request"]
    assert [(r["method"], r["route"], r["status"]) for r in requests] == [
        ("PUT", "/v1/sessions/<sid>/<ns>", 200),
        ("GET", "/v1/sessions/<sid>/<ns>", 200),
        ("GET", None, 404),
    ]  # the readiness polls of start_gunicorn are at DEBUG
    assert requests[1]["requestId"] == "trace-1"
    assert any(line["message"].startswith("Booting worker") for line in lines)
