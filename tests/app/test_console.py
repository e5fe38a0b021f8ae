"""The console's access rules, through Flask's test client: sign-in, cookie, CSRF, off switch, logs.

The pages themselves (look-up, edit, schemas, health) are in
test_console_pages.py; a real browser on a real gunicorn in
test_console_browser.py.
"""

from __future__ import annotations

import html
import json
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from app.access.tenants import generate_key, key_digest
from app.console.guard import CONTENT_SECURITY_POLICY, SINCE
from app.logs import JsonFormatter
from tests.console import GOOD, KEYS, SCHEMA_NS, Console, console_tenants

PAGES = ("/console", "/console/me", "/console/session", "/console/schemas", "/console/health")
NOT_FOUND = {"error": "not_found", "message": "No such resource."}


@pytest.fixture
def app(make_app: Callable[..., Flask], tmp_path: Path) -> Flask:
    """The service with the console's tenants and the shipped schemas; the console on."""
    return make_app(TENANTS_FILE=console_tenants(tmp_path))


@pytest.fixture
def console(app: Flask) -> Console:
    return Console(app.test_client())


def signed_in(app: Flask, tenant: str) -> Console:
    browser = Console(app.test_client())
    browser.sign_in(tenant)
    return browser


def api(client: FlaskClient, tenant: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[tenant]}"}


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("path", ["/console", "/console/sign-in", "/console/static/console.css"])
def test_with_the_console_off_its_paths_are_the_json_404_of_any_unknown_path(
    make_app: Callable[..., Flask], tmp_path: Path, method: str, path: str
) -> None:
    client = make_app(TENANTS_FILE=console_tenants(tmp_path), CONSOLE="off").test_client()
    reply = client.open(path, method=method)
    assert (reply.status_code, reply.get_json()) == (404, NOT_FOUND)


@pytest.mark.parametrize(("switch", "served"), [({}, False), ({"CONSOLE": "on"}, True)])
def test_production_serves_the_console_only_when_switched_on(
    make_app: Callable[..., Flask], tmp_path: Path, switch: dict[str, str], served: bool
) -> None:
    app = make_app(TENANTS_FILE=console_tenants(tmp_path), SESSIONATOR_ENV="production", **switch)
    reply = app.test_client().get("/console/sign-in")
    assert reply.status_code == (200 if served else 404)


def test_an_unknown_console_path_is_the_json_404(console: Console) -> None:
    reply = console.get("/console/nowhere")
    assert (reply.status_code, reply.get_json()) == (404, NOT_FOUND)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_a_browser_without_a_sign_in_to_the_sign_in_page(
    console: Console, path: str
) -> None:
    reply = console.get(path)
    assert (reply.status_code, reply.headers["Location"]) == (303, "/console/sign-in")


def test_a_valid_key_signs_in_and_the_page_says_what_its_tenant_may_do(console: Console) -> None:
    console.sign_in("support")
    page = console.get("/console/me").get_data(as_text=True)
    assert "Tenant <code>support</code>" in page
    assert '<dt>May read</dt><dd><code class="pattern">*</code> </dd>' in page
    assert '<dt>May write</dt><dd><code class="pattern">teamName.*</code> </dd>' in page
    assert "<dt>Delete whole sessions</dt><dd>no</dd>" in page
    assert "<dt>Rate limit</dt><dd>1000/second per key</dd>" in page


def test_a_wrong_key_is_refused_and_nothing_is_signed_in(console: Console) -> None:
    console.get("/console/sign-in")
    reply = console.post("/console/sign-in", key="ssn_not-a-key")
    assert reply.status_code == 401
    assert "The API key is not valid: unknown, revoked or mistyped." in reply.get_data(True)
    assert console.get("/console/me").status_code == 303


def test_the_key_cookie_is_httponly_samesite_strict_and_only_sent_to_the_console(
    console: Console,
) -> None:
    console.get("/console/sign-in")
    reply = console.post("/console/sign-in", key=KEYS["support"])
    cookie = reply.headers["Set-Cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert attributes == {"httponly", "path", "samesite"}
    assert "Path=/console" in cookie and "SameSite=Strict" in cookie
    assert KEYS["support"] not in reply.headers["Location"]


def test_in_production_the_cookie_is_sent_over_tls_only(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = make_app(
        TENANTS_FILE=console_tenants(tmp_path), SESSIONATOR_ENV="production", CONSOLE="on"
    )
    reply = app.test_client().get("/console/sign-in")
    assert "; Secure;" in reply.headers["Set-Cookie"] + ";"


def test_a_tampered_cookie_is_no_sign_in(app: Flask, console: Console) -> None:
    browser = signed_in(app, "support")
    cookie = browser.client.get_cookie("sessionator_console", path="/console")
    assert cookie is not None
    forged = cookie.value[:-2] + ("AA" if not cookie.value.endswith("AA") else "BB")
    browser.client.set_cookie("sessionator_console", forged, path="/console")
    assert browser.get("/console/me").status_code == 303


@pytest.mark.parametrize("token", ["missing", "wrong", "another browser's"])
def test_a_save_without_this_browsers_csrf_token_is_refused_and_changes_nothing(
    app: Flask, store: redis.Redis, token: str
) -> None:
    client = app.test_client()
    client.put(f"/v1/sessions/u1/{SCHEMA_NS}", json=GOOD, headers=api(client, "support"))
    before = client.get(f"/v1/sessions/u1/{SCHEMA_NS}", headers=api(client, "support")).data
    browser = signed_in(app, "support")
    browser.look_up("u1")
    browser.open_editor(SCHEMA_NS)
    form = {"ns": SCHEMA_NS, "etag": browser.etag(), "text": json.dumps({**GOOD, "age": 1})}
    if token == "wrong":
        form["csrf"] = "x" * 43
    elif token == "another browser's":
        form["csrf"] = signed_in(app, "support").csrf()
    reply = browser.client.post("/console/save", data=form)  # no token added
    assert reply.status_code == 403
    assert "its security token does not match" in reply.get_data(as_text=True)
    after = client.get(f"/v1/sessions/u1/{SCHEMA_NS}", headers=api(client, "support")).data
    assert after == before


def test_signing_in_needs_the_csrf_token_of_the_sign_in_page(console: Console) -> None:
    console.get("/console/sign-in")
    reply = console.client.post("/console/sign-in", data={"key": KEYS["support"]})
    assert reply.status_code == 403
    assert console.get("/console/me").status_code == 303


def test_sign_out_forgets_the_key(app: Flask) -> None:
    browser = signed_in(app, "support")
    reply = browser.post("/console/sign-out")
    assert (reply.status_code, reply.headers["Location"]) == (303, "/console/sign-in")
    assert "You are signed out." in browser.get("/console/sign-in").get_data(as_text=True)
    assert browser.get("/console/me").status_code == 303


def test_a_revoked_key_signs_the_browser_out_on_its_next_page(app: Flask, tmp_path: Path) -> None:
    browser = signed_in(app, "support")
    tenants = tmp_path / "tenants.yaml"
    revoked = tenants.read_text().replace(key_digest(KEYS["support"]), key_digest(generate_key()))
    tenants.write_text(revoked + "# support's key revoked\n")
    assert app.extensions["sessionator"].tenants.reload_if_changed()
    reply = browser.get("/console/me")
    assert (reply.status_code, reply.headers["Location"]) == (303, "/console/sign-in")
    page = browser.get("/console/sign-in").get_data(as_text=True)
    assert "Your API key is no longer valid (revoked?); sign in again." in page


def test_a_sign_in_lasts_at_most_eight_hours(app: Flask) -> None:
    browser = signed_in(app, "support")
    with browser.client.session_transaction("/console/me") as session:
        session[SINCE] = int(time.time()) - 8 * 3600 - 1
    assert browser.get("/console/me").status_code == 303
    assert "over 8 hours old" in browser.get("/console/sign-in").get_data(as_text=True)


@pytest.mark.parametrize("path", [*PAGES, "/console/sign-in", "/console/static/console.css"])
def test_every_console_answer_forbids_scripts_framing_and_caching(app: Flask, path: str) -> None:
    for browser in (Console(app.test_client()), signed_in(app, "support")):
        reply = browser.get(path)
        assert reply.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert reply.headers["Cache-Control"] == "no-store"
        assert reply.headers["X-Frame-Options"] == "DENY"
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert reply.headers["Referrer-Policy"] == "no-referrer"


def test_no_form_or_link_puts_anything_in_a_url_query(app: Flask) -> None:
    client = app.test_client()
    client.put(f"/v1/sessions/u1/{SCHEMA_NS}", json=GOOD, headers=api(client, "support"))
    browser = signed_in(app, "support")
    pages = [browser.look_up("u1"), browser.open_editor(SCHEMA_NS)]
    pages += [browser.get(path) for path in PAGES[1:] if path != "/console/session"]
    for page in pages:
        targets = re.findall(r'(?:action|href)="([^"]*)"', page.get_data(as_text=True))
        assert targets and not [target for target in targets if "?" in target]
        assert re.findall(r'<form method="post"', page.get_data(as_text=True))


def test_no_log_line_holds_the_key_and_only_a_saves_audit_line_the_session_id(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sid = "sid-that-stays-out-of-logs"
    client = app.test_client()
    client.put(f"/v1/sessions/{sid}/{SCHEMA_NS}", json=GOOD, headers=api(client, "support"))
    caplog.clear()
    browser = signed_in(app, "support")
    browser.look_up(sid)
    browser.open_editor(SCHEMA_NS)
    browser.post("/console/save", ns=SCHEMA_NS, etag=browser.etag(), text=json.dumps(GOOD))
    for path in PAGES:
        browser.get(path)
    lines = [JsonFormatter().format(record) for record in caplog.records]
    assert len(lines) > 10
    assert not [line for line in lines if KEYS["support"] in line]
    with_sid = [json.loads(line) for line in lines if sid in line]
    assert [(line["event"], line["via"]) for line in with_sid] == [("audit", "console")]


def test_every_save_attempt_leaves_the_audit_line_a_put_would(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="app.access.audit")
    browser = signed_in(app, "support")
    browser.look_up("u1")
    browser.open_editor(SCHEMA_NS)
    etag = browser.etag()
    browser.post("/console/save", ns=SCHEMA_NS, etag=etag, text='{"age": "old"}')  # 422
    browser.post("/console/save", ns=SCHEMA_NS, etag=etag, text=json.dumps(GOOD))  # 200
    browser.get("/console/session")
    browser.post("/console/save", ns="payments.card.v1", etag="", text="{}")  # 403
    browser.post("/console/save", ns=SCHEMA_NS, etag=etag, text="{}", csrf="forged")  # 403
    lines = [r.fields for r in caplog.records if r.name == "app.access.audit"]  # type: ignore[attr-defined]
    shown = [(line["namespace"], line["status"]) for line in lines]
    refused = ("payments.card.v1", 403)
    assert shown == [(SCHEMA_NS, 422), (SCHEMA_NS, 200), refused, (SCHEMA_NS, 403)]
    key_id = lines[0]["keyId"]
    for line in lines:
        assert {k: v for k, v in line.items() if k not in ("namespace", "status", "requestId")} == {
            "event": "audit",
            "tenant": "support",
            "keyId": key_id,
            "session": "u1",
            "action": "put",
            "via": "console",
        }


def test_an_open_service_needs_no_sign_in_and_says_it_is_open(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app()
    browser = Console(app.test_client())
    assert browser.get("/console/sign-in").headers["Location"] == "/console/me"
    page = browser.get("/console/me").get_data(as_text=True)
    assert "Tenant <code>open</code>" in page
    assert "This service runs <strong>open</strong>" in page
    assert "Sign out" not in page


def test_a_console_over_its_keys_rate_is_refused_like_the_api_and_audited(
    make_app: Callable[..., Flask], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="app.access.audit")
    app = make_app(TENANTS_FILE=console_tenants(tmp_path), RATE_LIMIT="5/minute")
    browser = signed_in(app, "support")  # sign-in and its page: 2 requests counted
    browser.look_up("u1")  # 2 more
    browser.open_editor(SCHEMA_NS)  # the fifth
    reply = browser.post("/console/save", ns=SCHEMA_NS, etag="", text=json.dumps(GOOD))
    assert reply.status_code == 429 and int(reply.headers["Retry-After"]) >= 1
    page = html.unescape(reply.get_data(as_text=True))
    assert "Tenant 'support' is over its rate limit of 5/minute per key" in page
    [line] = [r.fields for r in caplog.records if r.name == "app.access.audit"]  # type: ignore[attr-defined]
    assert (line["namespace"], line["status"], line["via"]) == (SCHEMA_NS, 429, "console")
