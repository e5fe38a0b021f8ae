"""Every endpoint of the contract through Flask's test client, on a real Valkey."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from tests.conftest import as_stored
from tests.sample_documents import SEED_DOCUMENT
from tests.stored import KEYS, namespaces, stored, stored_json

MODIFIED = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def put(client: FlaskClient, path: str, document: Any) -> Any:
    return client.put(path, data=json.dumps(document), content_type="application/json")


def without_expires(document: dict[str, Any]) -> dict[str, Any]:
    """A document as served, without the ``_expires`` that is not stored."""
    return {key: value for key, value in document.items() if key != "_expires"}


def index(store: redis.Redis, sid: str) -> list[str]:
    return namespaces(store, sid)


def test_unknown_session_lists_no_namespaces(client: FlaskClient) -> None:
    response = client.get("/v1/sessions/user-1337")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {"_session": "user-1337", "_namespaces": []}


def test_put_stores_the_document_with_metadata_in_front(
    client: FlaskClient, store: redis.Redis
) -> None:
    before = datetime.now(UTC)
    response = put(client, "/v1/sessions/user-1337/favoriteThings", {"things": ["cats", "dogs"]})
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == ["_session", "_namespace", "_modified", "_expires", "things"]
    assert body["_session"] == "user-1337"
    assert body["_namespace"] == "favoriteThings"
    assert body["things"] == ["cats", "dogs"]
    assert MODIFIED.fullmatch(body["_modified"])
    modified = datetime.fromisoformat(body["_modified"].replace("Z", "+00:00"))
    assert before - timedelta(milliseconds=1) <= modified <= datetime.now(UTC)
    expires = datetime.fromisoformat(body["_expires"].replace("Z", "+00:00"))
    assert abs(expires - modified - timedelta(days=1)) < timedelta(seconds=1)
    assert stored_json(store, "user-1337", "favoriteThings") == without_expires(body)
    assert index(store, "user-1337") == ["favoriteThings"]


def test_get_namespace_returns_exactly_what_put_returned(client: FlaskClient) -> None:
    written = put(client, "/v1/sessions/s1/lastSeen", {"when": "2017-03-26T15:25:25Z"})
    read = client.get("/v1/sessions/s1/lastSeen")
    assert read.status_code == 200
    assert as_stored(read.data) == as_stored(written.data)
    assert read.headers["Cache-Control"] == "no-store"


def test_document_is_stored_without_coercion_and_in_key_order(
    client: FlaskClient, store: redis.Redis
) -> None:
    raw = (
        '{"z": 1.0, "a": 10000000000000000000001, "m": "caf\\u00e9 \\ud83d\\ude00",'
        ' "n": null, "t": true, "e": [], "o": {}, "f": 1.5e-7}'
    )
    response = client.put("/v1/sessions/s1/types", data=raw, content_type="application/json")
    assert response.status_code == 200
    expected_tail = (
        '"z":1.0,"a":10000000000000000000001,"m":"café 😀",'
        '"n":null,"t":true,"e":[],"o":{},"f":1.5e-07}'
    )
    assert response.data.decode().endswith(expected_tail)
    assert stored(store, "s1", "types").decode().endswith(expected_tail)


def test_session_lists_its_namespaces_sorted(client: FlaskClient) -> None:
    for ns in ("zeta", "alpha", "Beta", "alpha.v2"):
        put(client, f"/v1/sessions/s1/{ns}", {"x": 1})
    body = client.get("/v1/sessions/s1").get_json()
    assert body == {"_session": "s1", "_namespaces": ["Beta", "alpha", "alpha.v2", "zeta"]}


def test_multi_read_returns_existing_requested_namespaces_only(client: FlaskClient) -> None:
    a = put(client, "/v1/sessions/s1/a", {"v": "a"}).get_json()
    b = put(client, "/v1/sessions/s1/b", {"v": "b"}).get_json()
    put(client, "/v1/sessions/s1/c", {"v": "c"})
    response = client.get("/v1/sessions/s1?namespaces=b&namespaces=missing&namespaces=a")
    assert response.status_code == 200
    body = response.get_json()
    assert {k: without_expires(v) if k in "ab" else v for k, v in body.items()} == {
        "_session": "s1", "_namespaces": ["a", "b", "c"], "b": without_expires(b),
        "a": without_expires(a),
    }  # fmt: skip
    # c's write slid the session: a and b now expire together (read as now + PTTL, to 1 ms)
    expiries = [datetime.fromisoformat(body[n]["_expires"][:-1]) for n in "ab"]
    assert abs(expiries[0] - expiries[1]) <= timedelta(milliseconds=2)
    assert list(body) == ["_session", "_namespaces", "b", "a"]


def test_multi_read_collapses_repeated_names(client: FlaskClient) -> None:
    a = put(client, "/v1/sessions/s1/a", {"v": "a"}).get_json()
    response = client.get("/v1/sessions/s1?namespaces=a&namespaces=a")
    body = response.get_json()
    # _expires is read back as now + PTTL, so it may differ from the PUT's by a millisecond.
    assert {**body, "a": without_expires(body["a"])} == {
        "_session": "s1",
        "_namespaces": ["a"],
        "a": without_expires(a),
    }


def test_multi_read_of_an_unknown_session_is_empty(client: FlaskClient) -> None:
    response = client.get("/v1/sessions/nobody?namespaces=a")
    assert response.status_code == 200
    assert response.get_json() == {"_session": "nobody", "_namespaces": []}


def test_multi_read_serves_one_hundred_names_of_128_characters(client: FlaskClient) -> None:
    names = [f"n{i:03d}" + "x" * 124 for i in range(100)]
    for name in names[:3]:
        put(client, f"/v1/sessions/s1/{name}", {"name": name})
    query = "&".join(f"namespaces={name}" for name in names)
    response = client.get(f"/v1/sessions/{'s' * 256}?{query}")
    assert response.status_code == 200
    assert response.get_json() == {"_session": "s" * 256, "_namespaces": []}
    body = client.get(f"/v1/sessions/s1?{query}").get_json()
    assert sorted(k for k in body if not k.startswith("_")) == names[:3]


def test_multi_read_refuses_more_than_one_hundred_names(client: FlaskClient) -> None:
    query = "&".join(f"namespaces=n{i}" for i in range(101))
    response = client.get(f"/v1/sessions/s1?{query}")
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "invalid_query",
        "message": "Ask for at most 100 namespaces at once, not 101.",
    }


def test_put_replaces_the_whole_namespace(client: FlaskClient, store: redis.Redis) -> None:
    put(client, "/v1/sessions/s1/ns", {"a": 1, "b": 2})
    response = put(client, "/v1/sessions/s1/ns", {"c": 3})
    assert response.status_code == 200
    data = {k: v for k, v in stored_json(store, "s1", "ns").items() if not k.startswith("_")}
    assert data == {"c": 3}
    assert index(store, "s1") == ["ns"]


def test_round_trip_with_metadata_sent_back_ignores_the_sent_values(
    client: FlaskClient, store: redis.Redis
) -> None:
    first = put(client, "/v1/sessions/s1/ns", {"things": ["cats"]}).get_json()
    edited = {**first, "things": ["cats", "dogs"]}
    edited.update(
        {"_session": "other", "_namespace": "forged", "_modified": "1999-01-01T00:00:00.000Z"}
    )
    second = put(client, "/v1/sessions/s1/ns", edited).get_json()
    assert second["_session"] == "s1"
    assert second["_namespace"] == "ns"
    assert second["_modified"] >= first["_modified"]
    assert second["things"] == ["cats", "dogs"]
    assert list(second) == ["_session", "_namespace", "_modified", "_expires", "things"]
    assert stored_json(store, "s1", "ns") == without_expires(second)
    assert stored(store, "other", "forged") is None


def test_other_underscore_fields_are_ordinary_data(client: FlaskClient) -> None:
    body = put(client, "/v1/sessions/s1/ns", {"_private": 1, "_modifiedBy": "x"}).get_json()
    assert body["_private"] == 1
    assert body["_modifiedBy"] == "x"


def test_delete_namespace_removes_document_and_name(
    client: FlaskClient, store: redis.Redis
) -> None:
    put(client, "/v1/sessions/s1/a", {"v": 1})
    put(client, "/v1/sessions/s1/b", {"v": 2})
    response = client.delete("/v1/sessions/s1/a")
    assert response.status_code == 200
    assert response.get_json() == {"success": True}
    assert stored(store, "s1", "a") is None
    assert index(store, "s1") == ["b"]
    assert client.get("/v1/sessions/s1/a").status_code == 404


def test_delete_absent_namespace_is_not_found(client: FlaskClient) -> None:
    response = client.delete("/v1/sessions/s1/a")
    assert response.status_code == 404
    assert response.get_json() == {
        "error": "not_found",
        "message": "Session 's1' has no namespace 'a'.",
    }


def test_get_absent_namespace_is_not_found(client: FlaskClient) -> None:
    response = client.get("/v1/sessions/s1/a")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_delete_session_removes_every_namespace(client: FlaskClient, store: redis.Redis) -> None:
    for ns in ("a", "b", "c"):
        put(client, f"/v1/sessions/s1/{ns}", {"v": ns})
    put(client, "/v1/sessions/s2/a", {"v": "kept"})
    response = client.delete("/v1/sessions/s1")
    assert response.status_code == 200
    assert response.get_json() == {"removed": 1}
    assert sorted(k.decode() for k in store.keys("*")) == [KEYS.session("s2")]
    assert namespaces(store, "s2") == ["a"]
    assert client.get("/v1/sessions/s1").get_json() == {"_session": "s1", "_namespaces": []}


def test_delete_empty_session_removes_nothing(client: FlaskClient) -> None:
    response = client.delete("/v1/sessions/s1")
    assert response.status_code == 200
    assert response.get_json() == {"removed": 0}


def test_schema_namespace_accepts_a_valid_document(client: FlaskClient) -> None:
    response = put(client, "/v1/sessions/s1/teamName.objectType.v1", SEED_DOCUMENT)
    assert response.status_code == 200
    assert {k: v for k, v in response.get_json().items() if not k.startswith("_")} == SEED_DOCUMENT


def test_schema_namespace_refuses_a_bad_document_and_keeps_the_old_one(
    client: FlaskClient, store: redis.Redis
) -> None:
    good = put(client, "/v1/sessions/s1/teamName.objectType.v1", SEED_DOCUMENT).get_json()
    bad = {**SEED_DOCUMENT, "age": "36", "friends": [{"name": "Bob", "age": 1.5}]}
    response = put(client, "/v1/sessions/s1/teamName.objectType.v1", bad)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_failed"
    assert sorted(body["details"]) == ["age", "friends.0.age"]
    assert all(isinstance(m, list) and m for m in body["details"].values())
    assert stored_json(store, "s1", "teamName.objectType.v1") == without_expires(good)


def test_schema_validation_ignores_metadata_sent_back(client: FlaskClient) -> None:
    first = put(client, "/v1/sessions/s1/teamName.objectType.v1", SEED_DOCUMENT).get_json()
    again = put(client, "/v1/sessions/s1/teamName.objectType.v1", first)
    assert again.status_code == 200


@pytest.mark.parametrize(
    "sid",
    ["a", "A-Z.a_z~0:9@+=-", "s" * 256, "user:1337@example.com", "==", "~"],
)
def test_session_ids_inside_the_contract_are_served(client: FlaskClient, sid: str) -> None:
    assert put(client, f"/v1/sessions/{sid}/ns", {"v": 1}).status_code == 200
    assert client.get(f"/v1/sessions/{sid}").get_json() == {"_session": sid, "_namespaces": ["ns"]}


@pytest.mark.parametrize(
    "ns",
    ["a", "restaurants.lastSeen.v9", "a-b_c.D-9", "a.1", "A" + "b" * 127],
)
def test_namespaces_inside_the_contract_are_served(client: FlaskClient, ns: str) -> None:
    assert put(client, f"/v1/sessions/s1/{ns}", {"v": 1}).status_code == 200
    assert client.get(f"/v1/sessions/s1/{ns}").get_json()["_namespace"] == ns
