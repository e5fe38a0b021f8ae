"""Paths that name an action, with a segment starting with `_` that no namespace can have.

`POST /v1/sessions/{sid}/_touch` replaces `POST .../touch` (still served, deprecated:
`touch` is also a valid namespace name), and `PATCH .../{ns}/_json-patch` is the JSON
Patch flavour of PATCH at a path of its own, so generated clients get one body type each.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from app.api.sessions import TOUCH_DEPRECATED_AT
from tests.metrics_samples import scrape, value
from tests.stored import KEYS, session_ttl_ms, stored, stored_json

PATH = "/v1/sessions/s1/ns"
JSON_PATCH = "application/json-patch+json"
MERGE = "application/merge-patch+json"


def audit_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [
        record.fields  # type: ignore[attr-defined]
        for record in caplog.records
        if getattr(record, "fields", {}).get("event") == "audit"
    ]


def test_touch_extends_the_session_at_its_underscore_path(
    client: FlaskClient, store: redis.Redis
) -> None:
    client.put(PATH, json={"a": 1})
    store.pexpire(KEYS.session("s1"), 5000)
    touched = client.post("/v1/sessions/s1/_touch")
    assert (touched.status_code, touched.get_json()) == (200, {"touched": True})
    assert session_ttl_ms(store, "s1") > 86_000_000
    assert "Deprecation" not in touched.headers


def test_the_old_touch_path_still_touches_and_says_it_is_deprecated(
    client: FlaskClient, store: redis.Redis
) -> None:
    client.put(PATH, json={"a": 1})
    store.pexpire(KEYS.session("s1"), 5000)
    touched = client.post("/v1/sessions/s1/touch")
    assert (touched.status_code, touched.get_json()) == (200, {"touched": True})
    assert session_ttl_ms(store, "s1") > 86_000_000
    assert touched.headers["Deprecation"] == TOUCH_DEPRECATED_AT == "@1796601600"
    assert touched.headers["Link"] == '<_touch>; rel="successor-version"'
    refused = client.post("/v1/sessions/nobody/touch")
    assert (refused.status_code, refused.get_json()["error"]) == (404, "not_found")
    assert refused.headers["Deprecation"] == TOUCH_DEPRECATED_AT


def test_the_namespace_called_touch_is_still_a_namespace(client: FlaskClient) -> None:
    assert client.put("/v1/sessions/s1/touch", json={"a": 1}).status_code == 200
    assert client.get("/v1/sessions/s1/touch").get_json()["a"] == 1
    assert client.get("/v1/sessions/s1").get_json()["_namespaces"] == ["touch"]


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_other_methods_on_the_touch_path_are_405_not_a_namespace(
    client: FlaskClient, store: redis.Redis, method: str
) -> None:
    reply = client.open("/v1/sessions/s1/_touch", method=method, json={"a": 1})
    assert reply.status_code == 405
    assert reply.get_json()["error"] == "method_not_allowed"
    assert set(reply.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    assert store.keys("*") == []


def test_another_segment_starting_with_underscore_is_still_an_invalid_namespace(
    client: FlaskClient,
) -> None:
    for path in ("/v1/sessions/s1/_other", "/v1/sessions/s1/_touchy", "/v1/sessions/s1/_Touch"):
        reply = client.put(path, json={"a": 1})
        assert (reply.status_code, reply.get_json()["error"]) == (400, "invalid_namespace"), path


def test_json_patch_at_its_own_path_patches_the_namespace(
    client: FlaskClient, store: redis.Redis
) -> None:
    etag = client.put(PATH, json={"a": 1, "list": [1]}).headers["ETag"]
    operations = [{"op": "add", "path": "/list/-", "value": 2}, {"op": "remove", "path": "/a"}]
    reply = client.patch(
        f"{PATH}/_json-patch",
        data=json.dumps(operations),
        content_type=JSON_PATCH,
        headers={"If-Match": etag},
    )
    assert reply.status_code == 200
    document = stored_json(store, "s1", "ns")
    assert {k: v for k, v in document.items() if not k.startswith("_")} == {"list": [1, 2]}
    assert reply.headers["ETag"] == client.get(PATH).headers["ETag"] != etag


def test_json_patch_path_takes_only_json_patch(client: FlaskClient, store: redis.Redis) -> None:
    client.put(PATH, json={"a": 1})
    before = stored(store, "s1", "ns")
    for media_type in (MERGE, "application/json"):
        reply = client.patch(f"{PATH}/_json-patch", data='{"a": 2}', content_type=media_type)
        assert reply.status_code == 415
        assert reply.get_json() == {
            "error": "unsupported_media_type",
            "message": f"Send the body as {JSON_PATCH}, not {media_type}.",
        }
    assert stored(store, "s1", "ns") == before


def test_json_patch_path_answers_like_patch_when_refused(client: FlaskClient) -> None:
    client.put(PATH, json={"a": 1})
    stale = client.patch(
        f"{PATH}/_json-patch",
        data="[]",
        content_type=JSON_PATCH,
        headers={"If-Match": '"0000000000000000000000000000000000000000"'},
    )
    assert (stale.status_code, stale.get_json()["error"]) == (412, "precondition_failed")
    absent = client.patch("/v1/sessions/s1/none/_json-patch", data="[]", content_type=JSON_PATCH)
    assert (absent.status_code, absent.get_json()["error"]) == (404, "not_found")
    wrong = client.patch(f"{PATH}/_json-patch", data="{}", content_type=JSON_PATCH)
    assert (wrong.status_code, wrong.get_json()["error"]) == (400, "invalid_patch")


def test_the_new_paths_are_audited_and_counted_as_their_actions(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    client.put(PATH, json={"a": 1})
    caplog.clear()
    with caplog.at_level("INFO", logger="app.access.audit"):
        client.patch(f"{PATH}/_json-patch", data="[]", content_type=JSON_PATCH)
        client.post("/v1/sessions/s1/_touch")
        client.post("/v1/sessions/s1/touch")
    assert [
        (line["action"], line["namespace"], line["status"]) for line in audit_lines(caplog)
    ] == [
        ("patch", "ns", 200),
        ("touch", None, 200),
        ("touch", None, 200),
    ]
    samples = scrape(client)
    for method, route in [
        ("PATCH", "/v1/sessions/<sid>/<ns>/_json-patch"),
        ("POST", "/v1/sessions/<sid>/_touch"),
        ("POST", "/v1/sessions/<sid>/touch"),
    ]:
        labels = {"method": method, "route": route, "status": "200"}
        assert value(samples, "sessionator_http_requests_total", **labels) == 1
    assert value(samples, "sessionator_document_bytes_count", namespace="other") == 2
