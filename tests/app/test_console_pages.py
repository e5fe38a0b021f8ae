"""The console's pages through Flask's test client: look-up, edit, schemas, health.

Data is written through the HTTP API (as clients write it) and checked
through it afterwards, so the console is held to what the API stores.
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.console.guard import TRAFFIC
from app.console.health import Rates, rates_between
from app.documents import stamp
from app.metrics import RequestTotals
from tests.console import GOOD, KEYS, SCHEMA_NS, Console, console_tenants

HIDDEN = ("secret.notes.v1", "teamName.objectType.v1", "checkout.cart.v1")
HIDDEN_TEXT = "only-support-may-see-this"


@pytest.fixture
def app(make_app: Callable[..., Flask], tmp_path: Path) -> Flask:
    """The service with the console's tenants and the shipped schemas; the console on."""
    return make_app(TENANTS_FILE=console_tenants(tmp_path))


def bearer(tenant: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[tenant]}"}


def put(client: FlaskClient, sid: str, ns: str, data: dict[str, Any]) -> str:
    """Write through the API as the platform tenant (every grant); the stored ETag."""
    body, headers = json.dumps(data), {**bearer("platform"), "Content-Type": "application/json"}
    reply = client.put(f"/v1/sessions/{sid}/{ns}", data=body, headers=headers)
    assert reply.status_code == 200, reply.get_json()
    return str(reply.headers["ETag"]).strip('"')


def stored(client: FlaskClient, sid: str, ns: str) -> Any:
    reply = client.get(f"/v1/sessions/{sid}/{ns}", headers=bearer("support"))
    return reply.get_json() if reply.status_code == 200 else reply.status_code


def signed_in(app: Flask, tenant: str) -> Console:
    browser = Console(app.test_client())
    browser.sign_in(tenant)
    return browser


def text(page: Any) -> str:
    return html.unescape(page.get_data(as_text=True))


def test_a_look_up_shows_each_readable_namespace_with_its_metadata(app: Flask) -> None:
    client = app.test_client()
    etag = put(client, "u1", SCHEMA_NS, GOOD)
    put(client, "u1", "notes.free", {"b": [1, 2], "a": "é"})
    page = text(signed_in(app, "support").look_up("u1"))
    document = stored(client, "u1", SCHEMA_NS)
    assert "2 namespaces you may read" in page
    assert f"<code>{document['_modified']}</code>" in page
    assert f"<code>{document['_expires']}</code>" in page
    assert f'<code class="digest">{document["_schemaVersion"]}</code>' in page
    assert f'<code class="etag">"{etag}"</code>' in page
    assert json.dumps(GOOD, indent=2) in page
    assert json.dumps({"b": [1, 2], "a": "é"}, indent=2, ensure_ascii=False) in page
    assert "Valid under the schema in force." in page
    assert "No schema: any JSON object is accepted." in page


def test_a_tenant_sees_nothing_of_a_namespace_it_may_not_read(app: Flask) -> None:
    client = app.test_client()
    for ns in HIDDEN:
        data = GOOD if ns == SCHEMA_NS else {"x": HIDDEN_TEXT}
        if ns == "checkout.cart.v1":
            data = {"currency": "EUR", "items": [], "notes": {"x": HIDDEN_TEXT}}
        put(client, "u1", ns, data)
    put(client, "u1", "payments.card.v1", {"last4": "4242"})
    browser = signed_in(app, "payments")
    pages = [browser.look_up("u1")]
    pages += [browser.get(path) for path in ("/console/me", "/console/schemas", "/console/health")]
    for page in map(text, pages):
        for hidden in (*HIDDEN, "teamName", HIDDEN_TEXT, "Ada"):
            assert hidden not in page
    assert "1 namespace you may read" in text(pages[0])
    assert "No schema governs a namespace you may read." in text(pages[2])


def test_opening_an_unreadable_namespace_is_refused_alike_whether_it_exists_or_not(
    app: Flask,
) -> None:
    put(app.test_client(), "u1", "secret.notes.v1", {"x": HIDDEN_TEXT})
    browser = signed_in(app, "payments")
    browser.look_up("u1")
    existing = browser.open_editor("secret.notes.v1")
    browser.get("/console/session")
    absent = browser.open_editor("secret.other.v1")
    assert existing.status_code == absent.status_code == 403
    assert HIDDEN_TEXT not in text(existing)
    message = "Tenant 'payments' may not read namespace 'secret.notes.v1'."
    assert message in text(existing)
    assert text(absent).count("secret.other.v1") == text(existing).count("secret.notes.v1")


def test_documents_are_shown_escaped(app: Flask) -> None:
    put(app.test_client(), "u1", "notes.x", {"<script>alert(1)</script>": "</pre><b>x</b>"})
    page = signed_in(app, "support").look_up("u1").get_data(as_text=True)
    assert "<script>" not in page and "<b>" not in page
    assert "&#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34;: &#34;&lt;/pre&gt;&lt;b&gt;" in page


def test_a_document_the_schema_in_force_refuses_is_marked_with_its_fields(app: Flask) -> None:
    services = app.extensions["sessionator"]
    document = stamp({**GOOD, "age": "old"}, "u1", SCHEMA_NS, datetime.now(UTC))
    services.repository.put("u1", SCHEMA_NS, document)  # as written before the schema
    page = text(signed_in(app, "support").look_up("u1"))
    assert "Breaks the schema in force." in page
    assert '<tr><td><code class="field">age</code></td><td>Not a valid integer.</td></tr>' in page


def test_a_refused_edit_shows_each_field_error_next_to_the_field_and_stores_nothing(
    app: Flask,
) -> None:
    client = app.test_client()
    put(client, "u1", SCHEMA_NS, GOOD)
    before = stored(client, "u1", SCHEMA_NS)
    browser = signed_in(app, "support")
    browser.look_up("u1")
    browser.open_editor(SCHEMA_NS)
    sent = json.dumps({**GOOD, "age": "36", "language": "fr-FR"})
    reply = browser.post("/console/save", ns=SCHEMA_NS, etag=browser.etag(), text=sent)
    assert reply.status_code == 422
    rows = re.findall(r'<tr class="field-problem">(.*?)</tr>', text(reply))
    assert rows == [
        '<td><code class="field">age</code></td><td><code>"36"</code></td>'
        "<td>Not a valid integer.</td>",
        '<td><code class="field">language</code></td><td><code>"fr-FR"</code></td>'
        "<td>Must be one of: en-US, en-GB, de-DE.</td>",
    ]
    assert "The namespace's schema refused the document; nothing was saved." in text(reply)
    assert f'name="text" rows="8" spellcheck="false">{sent}</textarea>' in text(reply)  # kept
    assert stored(client, "u1", SCHEMA_NS) == before


def test_a_saved_edit_is_stored_as_a_put_with_if_match_stores_it(app: Flask) -> None:
    client = app.test_client()
    put(client, "u1", SCHEMA_NS, GOOD)
    browser = signed_in(app, "support")
    browser.look_up("u1")
    browser.open_editor(SCHEMA_NS)
    changed = {**GOOD, "age": 37, "_session": "ignored"}
    reply = browser.post(
        "/console/save", ns=SCHEMA_NS, etag=browser.etag(), text=json.dumps(changed)
    )
    assert (reply.status_code, reply.headers["Location"]) == (303, "/console/session")
    document = stored(client, "u1", SCHEMA_NS)
    metadata = ("_session", "_namespace", "_modified", "_expires", "_schemaVersion")
    assert {k: v for k, v in document.items() if k not in metadata} == {**GOOD, "age": 37}
    assert document["_session"] == "u1"
    page = text(browser.get("/console/session"))
    assert f"Saved {SCHEMA_NS}." in page and '"age": 37' in page


def test_a_change_made_meanwhile_is_reported_and_kept_not_overwritten(app: Flask) -> None:
    client = app.test_client()
    put(client, "u1", SCHEMA_NS, GOOD)
    browser = signed_in(app, "support")
    browser.look_up("u1")
    browser.open_editor(SCHEMA_NS)
    opened_at = browser.etag()
    theirs = put(client, "u1", SCHEMA_NS, {**GOOD, "name": "Someone else"})
    mine = json.dumps({**GOOD, "name": "Mine"})
    reply = browser.post("/console/save", ns=SCHEMA_NS, etag=opened_at, text=mine)
    assert reply.status_code == 412
    page = text(reply)
    assert "Someone changed this namespace since you opened it; nothing was saved." in page
    assert f'<code class="etag">"{theirs}"</code>' in page and '"Someone else"' in page
    assert stored(client, "u1", SCHEMA_NS)["name"] == "Someone else"


def test_a_new_namespace_is_created_only_if_nobody_created_it_meanwhile(app: Flask) -> None:
    client = app.test_client()
    browser = signed_in(app, "support")
    browser.look_up("u1")
    editor = browser.open_editor("teamName.fresh.v1")
    assert browser.etag() == "" and "a new namespace" in text(editor)
    put(client, "u1", "teamName.fresh.v1", {"first": True})
    reply = browser.post("/console/save", ns="teamName.fresh.v1", etag="", text='{"late": 1}')
    assert reply.status_code == 412
    assert stored(client, "u1", "teamName.fresh.v1")["first"] is True
    browser.get("/console/session")
    browser.open_editor("teamName.other.v1")
    reply = browser.post("/console/save", ns="teamName.other.v1", etag="", text='{"new": 1}')
    assert reply.status_code == 303
    assert stored(client, "u1", "teamName.other.v1")["new"] == 1


@pytest.mark.parametrize(
    ("sent", "status", "message"),
    [
        ("{'a': 1}", 400, "The body is not valid JSON: Expecting property name enclosed in double "
                          "quotes at line 1 column 2."),
        ("[1]", 400, "The body must be a JSON object, not an array."),
        ('{"a": "' + "x" * 200 + '"}', 413, "The document is larger than the 128-byte limit of "
                                            "namespace 'teamName.free' (MAX_BODY_BYTES)."),
    ],
)  # fmt: skip
def test_a_document_the_api_would_refuse_is_refused_with_its_reason(
    make_app: Callable[..., Flask], tmp_path: Path, sent: str, status: int, message: str
) -> None:
    app = make_app(TENANTS_FILE=console_tenants(tmp_path), MAX_BODY_BYTES=128)
    browser = signed_in(app, "support")
    browser.look_up("u1")
    browser.open_editor("teamName.free")
    reply = browser.post("/console/save", ns="teamName.free", etag="", text=sent)
    assert reply.status_code == status
    assert f"{message} Nothing was saved." in text(reply)
    assert stored(app.test_client(), "u1", "teamName.free") == 404


def test_an_invalid_session_id_is_refused_next_to_the_field(app: Flask) -> None:
    browser = signed_in(app, "support")
    browser.get("/console/session")
    reply = browser.post("/console/session", sid="bad id/..")
    assert reply.status_code == 400
    assert re.search(r'<p class="field-error" id="sid-error">A session id is 1 to 256', text(reply))
    assert "Session <code>" not in text(reply)


def test_the_schemas_page_shows_status_problems_yaml_and_json_schema(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "teamName.good.v1.yaml").write_text(
        "type: object\nproperties:\n  n: {type: string}\n"
    )
    (schemas / "teamName.bad.v1.yaml").write_text("type: object\nproperties:\n  n: {type: strin}\n")
    app = make_app(TENANTS_FILE=console_tenants(tmp_path), SCHEMA_DIR=str(schemas))
    page = text(signed_in(app, "support").get("/console/schemas"))
    assert '<span class="badge ok">ok</span>' in page and "broken</span>" in page
    problem = re.search(r"<tr><td><code>([^<]+)</code></td><td>(\d+)</td><td><code>([^<]*)", page)
    assert problem and problem.groups() == (
        str(schemas / "teamName.bad.v1.yaml"),
        "3",
        "properties.n.type",
    )
    assert "type: object\nproperties:\n  n: {type: string}\n" in page
    assert '"$schema": "https://json-schema.org/draft/2020-12/schema"' in page
    assert "nothing: writes are refused" in page


def test_health_shows_the_store_its_durability_and_the_traffic(app: Flask) -> None:
    browser = signed_in(app, "support")
    first = text(browser.get("/console/health"))
    assert "Redis answers." in first
    assert "<dt>eviction policy</dt><dd>noeviction</dd>" in first
    assert "Redis does not persist (appendonly no, no save points)" in first  # the test store
    assert "Rates appear on the next reload" in first
    assert '<meta http-equiv="refresh" content="10">' in first
    with browser.client.session_transaction("/console/health") as session:
        session[TRAFFIC] = [time.time() - 10, 0, 0, 0]
    second = text(browser.get("/console/health"))
    assert re.search(r"<dt>requests</dt><dd><strong>0\.\d</strong> per second</dd>", second)
    assert "Over the last 10 s, every worker" in second


@pytest.mark.parametrize(
    ("previous", "rates"),
    [
        ([990.0, 100, 10, 0], Rates(10.0, 10.0, 0.02, 0.1)),
        ([999.5, 100, 10, 0], None),  # under a second: too short to say
        ([990.0, 500, 10, 0], None),  # fewer answers than before: the service restarted
        (None, None),
    ],
)
def test_rates_compare_two_readings_of_the_totals(previous: Any, rates: Rates | None) -> None:
    assert rates_between(previous, 1000.0, RequestTotals(200, 20, 2)) == rates


def test_a_store_outage_is_a_page_that_says_so_not_json(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    url = f"unix://{tmp_path}/nothing-listens-here.sock"
    app = make_app(REDIS_URL=url)
    browser = Console(app.test_client())
    browser.get("/console/session")
    browser.post("/console/session", sid="u1")
    reply = browser.get("/console/session")
    assert (reply.status_code, reply.mimetype) == (503, "text/html")
    assert "The session store is unavailable; retry shortly." in text(reply)
    health = text(browser.get("/console/health"))
    assert "Redis does not answer" in health


def test_a_document_over_the_namespaces_limit_is_refused_and_the_text_kept(app: Flask) -> None:
    browser = signed_in(app, "support")
    browser.look_up("u1")
    browser.open_editor("teamName.big")
    big = '{"a": "' + "x" * 600_000 + '"}'
    reply = browser.post("/console/save", ns="teamName.big", etag="", text=big)
    assert reply.status_code == 413
    assert "larger than the 65536-byte limit of namespace 'teamName.big'" in text(reply)
    assert big in text(reply)
    assert stored(app.test_client(), "u1", "teamName.big") == 404


def test_a_form_over_a_mebibyte_is_refused_before_it_is_read(app: Flask) -> None:
    browser = signed_in(app, "support")
    form = {"ns": "teamName.big", "etag": "", "text": "x" * (1024 * 1024), "csrf": browser.csrf()}
    reply = browser.client.post("/console/save", data=form)
    assert (reply.status_code, reply.mimetype) == (413, "text/html")
    assert "Error 413" in text(reply)
    assert stored(app.test_client(), "u1", "teamName.big") == 404


def test_a_large_form_without_a_sign_in_goes_to_the_sign_in_page_unread(app: Flask) -> None:
    form = {"ns": "teamName.big", "text": "x" * (1024 * 1024)}
    reply = app.test_client().post("/console/save", data=form)
    assert (reply.status_code, reply.headers["Location"]) == (303, "/console/sign-in")
