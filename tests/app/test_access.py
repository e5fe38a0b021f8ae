"""Keys, grants and quotas through the Flask app on a real Valkey: exact bodies, nothing stored."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.access.tenants import key_digest
from tests.tenants_file import LIMITED_KEY, READER_KEY, ROOT_KEY, TEAM_KEY, write_tenants

JSON = "application/json"
UNAUTHORIZED = 'Bearer realm="sessionator"'


@pytest.fixture
def make_client(make_app: Callable[..., Flask], tmp_path: Path) -> Callable[..., FlaskClient]:
    """Test clients of the service with the tenants file and a schema of at most 64 bytes."""
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "team.small.v1.yaml").write_text("type: object\nallowUnknown: true\nmaxBytes: 64B\n")
    settings = {
        "SCHEMA_DIR": str(schemas),
        "TENANTS_FILE": str(write_tenants(tmp_path / "tenants.yaml")),
        "RATE_LIMIT": "",
    }

    def make(**config: Any) -> FlaskClient:
        return make_app(**{**settings, **config}).test_client()

    return make


@pytest.fixture
def client(make_client: Callable[..., FlaskClient]) -> FlaskClient:
    return make_client()


def as_key(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def put(client: FlaskClient, path: str, document: object, key: str = ROOT_KEY) -> TestResponse:
    return client.put(path, data=json.dumps(document), content_type=JSON, headers=as_key(key))


def every_key(store: redis.Redis) -> dict[bytes, bytes | None]:
    """Every key and its string value (None for other types), to prove nothing changed."""
    return {
        key: store.get(key) if store.type(key) == b"string" else None for key in store.keys("*")
    }


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Send an API key as Authorization: Bearer <key>."),
        (
            {"Authorization": ""},
            "Send the API key as Authorization: Bearer <key>; no other scheme.",
        ),
        (
            {"Authorization": f"Basic {TEAM_KEY}"},
            "Send the API key as Authorization: Bearer <key>; no other scheme.",
        ),
        (
            {"Authorization": "Bearer"},
            "Send the API key as Authorization: Bearer <key>; no other scheme.",
        ),
        (
            {"Authorization": f"Bearer {TEAM_KEY}x"},
            "The API key is not valid: unknown, revoked or mistyped.",
        ),
        (
            {"Authorization": f"Bearer {key_digest(TEAM_KEY)}"},
            "The API key is not valid: unknown, revoked or mistyped.",
        ),
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/sessions/s1"),
        ("GET", "/v1/sessions/s1/team.a.v1"),
        ("PUT", "/v1/sessions/s1/team.a.v1"),
        ("PATCH", "/v1/sessions/s1/team.a.v1"),
        ("DELETE", "/v1/sessions/s1/team.a.v1"),
        ("DELETE", "/v1/sessions/s1"),
        ("POST", "/v1/sessions/s1/_touch"),
        ("GET", "/v1/schemas"),
        ("GET", "/v1/schemas/team.small.v1"),
    ],
)
def test_no_valid_key_is_401_with_the_exact_body(
    client: FlaskClient,
    store: redis.Redis,
    method: str,
    path: str,
    headers: dict[str, str],
    message: str,
) -> None:
    put(client, "/v1/sessions/s1/team.a.v1", {"v": 1})
    before = every_key(store)
    response = client.open(
        path, method=method, data=b'{"v": 2}', content_type=JSON, headers=headers
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == UNAUTHORIZED
    assert response.get_json() == {"error": "unauthorized", "message": message}
    assert every_key(store) == before


def test_authentication_comes_before_any_other_check(client: FlaskClient) -> None:
    """A caller without a key learns nothing, not even whether its identifiers are valid."""
    response = client.get("/v1/sessions/" + "x" * 300 + "/not a name!")
    assert (response.status_code, response.get_json()["error"]) == (401, "unauthorized")
    body = client.put("/v1/sessions/s1/team.a.v1", data=b"x" * 100_000, content_type=JSON)
    assert (body.status_code, body.get_json()["error"]) == (401, "unauthorized")


def test_the_bearer_scheme_is_case_insensitive(client: FlaskClient) -> None:
    response = client.get("/v1/sessions/s1", headers={"Authorization": f"bearer {TEAM_KEY}"})
    assert response.status_code == 200


def test_readiness_needs_no_key_and_says_only_ready_without_one(client: FlaskClient) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-key"}, {"Authorization": "Basic x"}):
        response = client.get("/readyz", headers=headers)
        assert (response.status_code, response.get_json()) == (200, {"status": "ready"})


def test_readiness_details_need_a_valid_key_and_name_no_tenant(client: FlaskClient) -> None:
    response = client.get("/readyz", headers={"Authorization": f"Bearer {TEAM_KEY}"})
    body = response.get_json()
    assert (response.status_code, body["status"]) == (200, "ready")
    assert set(body) == {"status", "store", "schemas", "access"}
    assert body["access"] == {"mode": "tenants", "tenants": 4, "problem": None}
    assert body["store"]["status"] == "ok" and "evictionPolicy" in body["store"]


def test_an_open_service_says_so_in_readiness(make_app: Callable[..., Flask]) -> None:
    client = make_app().test_client()
    assert client.get("/readyz").get_json()["access"] == {
        "mode": "open",
        "warning": "no TENANTS_FILE: anyone may read and write anything",
    }
    assert put(client, "/v1/sessions/s1/any.thing.v1", {"v": 1}, key="ignored").status_code == 200


def test_writing_outside_the_grants_is_403_and_changes_nothing(
    client: FlaskClient, store: redis.Redis
) -> None:
    put(client, "/v1/sessions/s1/shared.x.v1", {"v": 1})
    before = every_key(store)
    refused = [
        put(client, "/v1/sessions/s1/shared.x.v1", {"v": 2}, key=TEAM_KEY),
        client.patch(
            "/v1/sessions/s1/shared.x.v1",
            data=b'{"v": 2}',
            content_type="application/merge-patch+json",
            headers=as_key(TEAM_KEY),
        ),
        client.delete("/v1/sessions/s1/shared.x.v1", headers=as_key(TEAM_KEY)),
    ]
    for response in refused:
        assert response.status_code == 403
        assert response.get_json() == {
            "error": "forbidden",
            "message": "Tenant 'team' may not write namespace 'shared.x.v1'.",
            "details": {"tenant": "team", "action": "write", "namespaces": ["shared.x.v1"]},
        }
    assert every_key(store) == before


def test_a_listing_shows_only_what_the_key_may_read(client: FlaskClient) -> None:
    for ns in ("team.a.v1", "shared.x.v1", "payments.card.v1"):
        put(client, f"/v1/sessions/s1/{ns}", {"v": ns})
    listing = client.get("/v1/sessions/s1", headers=as_key(TEAM_KEY)).get_json()
    assert listing == {"_session": "s1", "_namespaces": ["shared.x.v1", "team.a.v1"]}
    everything = client.get("/v1/sessions/s1", headers=as_key(ROOT_KEY)).get_json()
    assert everything["_namespaces"] == ["payments.card.v1", "shared.x.v1", "team.a.v1"]


def test_a_multi_read_asking_for_an_unreadable_namespace_is_403_naming_it(
    client: FlaskClient,
) -> None:
    put(client, "/v1/sessions/s1/team.a.v1", {"v": 1})
    path = "/v1/sessions/s1?namespaces=team.a.v1&namespaces=payments.card.v1&namespaces=x.y"
    response = client.get(path, headers=as_key(TEAM_KEY))
    assert response.status_code == 403
    assert response.get_json() == {
        "error": "forbidden",
        "message": "Tenant 'team' may not read namespaces 'payments.card.v1', 'x.y'.",
        "details": {"tenant": "team", "action": "read", "namespaces": ["payments.card.v1", "x.y"]},
    }
    single = client.get("/v1/sessions/s1/payments.card.v1", headers=as_key(TEAM_KEY))
    assert single.status_code == 403
    assert single.get_json()["details"]["namespaces"] == ["payments.card.v1"]


def test_deleting_a_whole_session_needs_its_own_grant(
    client: FlaskClient, store: redis.Redis
) -> None:
    put(client, "/v1/sessions/s1/team.a.v1", {"v": 1})
    before = every_key(store)
    response = client.delete("/v1/sessions/s1", headers=as_key(TEAM_KEY))
    assert response.status_code == 403
    assert response.get_json() == {
        "error": "forbidden",
        "message": "Tenant 'team' may not delete whole sessions (they hold every team's data); "
        "that needs delete_sessions: true in the tenants file.",
        "details": {"tenant": "team", "action": "delete_sessions"},
    }
    assert every_key(store) == before
    deleted = client.delete("/v1/sessions/s1", headers=as_key(ROOT_KEY))
    assert (deleted.status_code, deleted.get_json()) == (200, {"removed": 1})
    assert store.keys("*") == []


def test_touching_needs_a_write_grant(client: FlaskClient) -> None:
    put(client, "/v1/sessions/s1/team.a.v1", {"v": 1})
    refused = client.post("/v1/sessions/s1/_touch", headers=as_key(READER_KEY))
    assert refused.status_code == 403
    assert refused.get_json() == {
        "error": "forbidden",
        "message": "Tenant 'reader' may not touch sessions: it has no write grant.",
        "details": {"tenant": "reader", "action": "touch"},
    }
    touched = client.post("/v1/sessions/s1/_touch", headers=as_key(TEAM_KEY))
    assert (touched.status_code, touched.get_json()) == (200, {"touched": True})


def test_schemas_are_readable_with_any_valid_key(client: FlaskClient) -> None:
    response = client.get("/v1/schemas/team.small.v1", headers=as_key(READER_KEY))
    assert (response.status_code, response.get_json()["name"]) == (200, "team.small.v1")


def test_over_the_rate_limit_is_429_with_retry_after(
    make_client: Callable[..., FlaskClient], store: redis.Redis
) -> None:
    client = make_client(RATE_LIMIT="1000/second")  # the tenant's own 3/minute wins
    for _ in range(3):
        assert client.get("/v1/sessions/s1", headers=as_key(LIMITED_KEY)).status_code == 200
    before = {k for k in store.keys("*") if not k.startswith(b"sessionator:rate:")}
    response = put(client, "/v1/sessions/s1/team.a.v1", {"v": 1}, key=LIMITED_KEY)
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert response.get_json() == {
        "error": "rate_limited",
        "message": f"Tenant 'limited' is over its rate limit of 3/minute per key; "
        f"retry after {retry_after} s.",
        "details": {"limit": "rate_limit", "value": "3/minute"},
    }
    assert {k for k in store.keys("*") if not k.startswith(b"sessionator:rate:")} == before
    # Counted per key: another tenant's key is not limited, and counters hold no key.
    assert client.get("/v1/sessions/s1", headers=as_key(TEAM_KEY)).status_code == 200
    client.application.extensions["sessionator"].rate_limiter.sync()  # what the thread does
    counters = sorted(k.decode() for k in store.keys("sessionator:rate:*"))
    assert [
        re.sub(r":[0-9a-f]{12}:", ":<key id>:", re.sub(r":\d+$", ":<n>", k)) for k in counters
    ] == [
        "sessionator:rate:limited:<key id>:60:<n>",
        "sessionator:rate:team:<key id>:1:<n>",
    ]
    assert [int(store.get(k)) for k in counters] == [3, 1]  # admitted requests, not refused ones
    assert all(store.pttl(k) > 0 for k in counters)


def test_a_session_holds_at_most_the_namespace_quota(
    make_client: Callable[..., FlaskClient], store: redis.Redis
) -> None:
    client = make_client(MAX_NAMESPACES_PER_SESSION=2)
    assert put(client, "/v1/sessions/s1/team.a.v1", {"v": 1}).status_code == 200
    assert put(client, "/v1/sessions/s1/team.b.v1", {"v": 1}).status_code == 200
    before = every_key(store)
    response = put(client, "/v1/sessions/s1/team.c.v1", {"v": 1})
    assert response.status_code == 409
    assert response.get_json() == {
        "error": "too_many_namespaces",
        "message": "The session already holds 2 namespaces, the most one session may hold "
        "(MAX_NAMESPACES_PER_SESSION); delete one first.",
        "details": {"limit": "MAX_NAMESPACES_PER_SESSION", "value": 2},
    }
    assert every_key(store) == before
    assert put(client, "/v1/sessions/s1/team.b.v1", {"v": 2}).status_code == 200  # replacing
    assert client.delete("/v1/sessions/s1/team.b.v1", headers=as_key(ROOT_KEY)).status_code == 200
    assert put(client, "/v1/sessions/s1/team.c.v1", {"v": 1}).status_code == 200


def test_a_schema_may_set_its_own_document_size(client: FlaskClient, store: redis.Redis) -> None:
    fits = {"p": "x" * 56}
    assert len(json.dumps(fits, separators=(",", ":"))) == 64
    body = json.dumps(fits, separators=(",", ":"))
    ok = client.put(
        "/v1/sessions/s1/team.small.v1", data=body, content_type=JSON, headers=as_key(ROOT_KEY)
    )
    assert ok.status_code == 200
    before = every_key(store)
    too_big = client.put(
        "/v1/sessions/s1/team.small.v1",
        data=body.replace("x", "xx", 1),
        content_type=JSON,
        headers=as_key(ROOT_KEY),
    )
    assert too_big.status_code == 413
    assert too_big.get_json() == {
        "error": "payload_too_large",
        "message": "The body is larger than the 64-byte limit of namespace 'team.small.v1' "
        "(its schema's maxBytes).",
        "details": {"limit": "maxBytes", "value": 64},
    }
    grown = client.patch(
        "/v1/sessions/s1/team.small.v1",
        data=b'{"q": 1}',
        content_type="application/merge-patch+json",
        headers=as_key(ROOT_KEY),
    )
    assert grown.status_code == 413
    assert grown.get_json() == {
        "error": "payload_too_large",
        "message": "The patched document is larger than the 64-byte limit of namespace "
        "'team.small.v1' (its schema's maxBytes).",
        "details": {"limit": "maxBytes", "value": 64},
    }
    assert every_key(store) == before
    # Elsewhere the service's limit holds, refused by its declared length before reading.
    big = client.put(
        "/v1/sessions/s1/team.big.v1",
        data=b'{"p":"' + b"x" * 70_000 + b'"}',
        content_type=JSON,
        headers=as_key(ROOT_KEY),
    )
    assert big.status_code == 413
    assert big.get_json()["details"] == {"limit": "MAX_BODY_BYTES", "value": 65536}


def test_the_request_id_is_echoed_or_made(client: FlaskClient) -> None:
    given = client.get("/v1/sessions/s1", headers={"X-Request-ID": "abc-123", **as_key(TEAM_KEY)})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = client.get("/v1/sessions/s1", headers={"X-Request-ID": "bad id\x7f"})
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])
    assert made.status_code == 401
