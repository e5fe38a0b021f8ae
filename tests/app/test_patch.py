"""PATCH with merge patch (RFC 7396) and JSON Patch (RFC 6902): validated, atomic, conditional."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from tests.conftest import as_stored
from tests.httpclient import HttpClient
from tests.parallel import run_parallel
from tests.sample_documents import SEED_DOCUMENT
from tests.stored import stored

PATH = "/v1/sessions/s1/ns"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


def patch(
    client: FlaskClient, body: Any, media_type: str = MERGE, path: str = PATH, **headers: str
) -> Any:
    headers = {k.replace("_", "-"): v for k, v in headers.items()}
    return client.patch(path, data=json.dumps(body), content_type=media_type, headers=headers)


def data_of(raw: bytes | None) -> dict[str, Any]:
    return {k: v for k, v in json.loads(raw or b"{}").items() if not k.startswith("_")}


@pytest.fixture
def seeded(client: FlaskClient, store: redis.Redis) -> bytes:
    """PATH holds {"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2]}; returns the stored bytes."""
    body = json.dumps({"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2]})
    client.put(PATH, data=body, content_type="application/json")
    return stored(store, "s1", "ns")  # type: ignore[return-value]


def test_merge_patch_sets_removes_and_merges(
    client: FlaskClient, store: redis.Redis, seeded: bytes
) -> None:
    response = patch(client, {"a": None, "b": {"c": 20, "x": True}, "z": "new"})
    assert response.status_code == 200
    document = stored(store, "s1", "ns")
    assert as_stored(response.data) == document
    members = ["_session", "_namespace", "_modified", "b", "e", "z"]
    assert list(json.loads(document or b"")) == members
    assert data_of(document) == {"b": {"c": 20, "d": 3, "x": True}, "e": [1, 2], "z": "new"}
    assert response.headers["ETag"] == client.get(PATH).headers["ETag"]


def test_json_patch_applies_every_operation(
    client: FlaskClient, store: redis.Redis, seeded: bytes
) -> None:
    operations = [
        {"op": "test", "path": "/a", "value": 1},
        {"op": "replace", "path": "/b/c", "value": "two"},
        {"op": "add", "path": "/e/-", "value": 3},
        {"op": "move", "from": "/b/d", "path": "/d"},
        {"op": "remove", "path": "/a"},
    ]
    response = patch(client, operations, JSON_PATCH)
    assert response.status_code == 200
    assert data_of(stored(store, "s1", "ns")) == {
        "b": {"c": "two"},
        "e": [1, 2, 3],
        "d": 3,
    }


def test_a_failed_test_operation_is_409_and_changes_nothing(
    client: FlaskClient, store: redis.Redis, seeded: bytes
) -> None:
    operations = [
        {"op": "replace", "path": "/a", "value": 5},
        {"op": "test", "path": "/a", "value": True},
    ]
    response = patch(client, operations, JSON_PATCH)
    assert (response.status_code, response.get_json()["error"]) == (409, "patch_conflict")
    assert stored(store, "s1", "ns") == seeded


@pytest.mark.parametrize(
    "operations",
    [{"op": "add"}, [{"op": "jump", "path": "/a"}], [{"op": "add", "path": "a", "value": 1}], "x"],
)
def test_a_malformed_json_patch_is_400(
    client: FlaskClient, store: redis.Redis, seeded: bytes, operations: Any
) -> None:
    response = patch(client, operations, JSON_PATCH)
    assert (response.status_code, response.get_json()["error"]) == (400, "invalid_patch")
    assert stored(store, "s1", "ns") == seeded


def test_a_json_patch_leaving_no_object_is_409(
    client: FlaskClient, store: redis.Redis, seeded: bytes
) -> None:
    response = patch(client, [{"op": "replace", "path": "", "value": 1}], JSON_PATCH)
    assert (response.status_code, response.get_json()["error"]) == (409, "patch_conflict")
    assert stored(store, "s1", "ns") == seeded


@pytest.mark.parametrize("body", [[1], [], 1, "a", None, True])
@pytest.mark.parametrize("exists", [True, False])
def test_a_merge_patch_that_is_not_an_object_is_an_invalid_patch_before_any_read(
    client: FlaskClient, store: redis.Redis, body: Any, exists: bool
) -> None:
    # The OpenAPI document types a merge patch as an object: anything else is malformed,
    # refused before the namespace is read (so neither 404 nor 412), as a JSON Patch is.
    if exists:
        client.put(PATH, json={"a": 1})
    before = stored(store, "s1", "ns")
    response = patch(client, body, MERGE, If_Match='"0000000000000000000000000000000000000000"')
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "invalid_patch",
        "message": "A merge patch document must be an object: any other JSON value would "
        "replace the whole document by something else than an object.",
    }
    assert stored(store, "s1", "ns") == before


@pytest.mark.parametrize("media_type", ["application/json", "text/plain", "application/patch+json"])
def test_patch_needs_a_patch_media_type(
    client: FlaskClient, seeded: bytes, media_type: str
) -> None:
    response = patch(client, {"a": 2}, media_type)
    assert response.status_code == 415
    assert response.get_json()["message"] == (
        f"Send the body as {MERGE} or {JSON_PATCH}, not {media_type}."
    )


def test_patch_of_an_absent_namespace_is_404(client: FlaskClient, store: redis.Redis) -> None:
    response = patch(client, {"a": 1})
    assert (response.status_code, response.get_json()["error"]) == (404, "not_found")
    assert store.keys("*") == []


def test_metadata_in_a_patch_is_ignored(
    client: FlaskClient, store: redis.Redis, seeded: bytes
) -> None:
    response = patch(client, {"_session": "other", "_namespace": "x", "a": 2})
    body = response.get_json()
    assert (body["_session"], body["_namespace"], body["a"]) == ("s1", "ns", 2)


def test_patch_if_match(client: FlaskClient, store: redis.Redis, seeded: bytes) -> None:
    stale = patch(client, {"a": 2}, If_Match='"' + "0" * 40 + '"')
    assert (stale.status_code, stale.get_json()["error"]) == (412, "precondition_failed")
    assert stored(store, "s1", "ns") == seeded
    fresh = patch(client, {"a": 2}, If_Match=client.get(PATH).headers["ETag"])
    assert fresh.status_code == 200


def test_the_patched_result_is_validated_by_the_schema(
    client: FlaskClient, store: redis.Redis
) -> None:
    path = "/v1/sessions/s1/teamName.objectType.v1"
    client.put(path, data=json.dumps(SEED_DOCUMENT), content_type="application/json")
    before = stored(store, "s1", "teamName.objectType.v1")
    refused = patch(client, {"age": "old"}, path=path)
    assert (refused.status_code, refused.get_json()["details"]) == (
        422,
        {"age": ["Not a valid integer."]},
    )
    assert stored(store, "s1", "teamName.objectType.v1") == before
    accepted = patch(client, {"age": 37}, path=path)
    assert accepted.status_code == 200
    assert accepted.get_json()["_schemaVersion"].startswith("sha256:")


def test_twenty_concurrent_patches_of_different_keys_all_survive(
    http: HttpClient, store: redis.Redis
) -> None:
    http.put_json(PATH, {"start": True})

    def set_key(i: int) -> int:
        body = json.dumps({f"k{i:02d}": i}).encode()
        return http.request("PATCH", PATH, body, {"Content-Type": MERGE}).status

    assert run_parallel(20, set_key) == [200] * 20
    data = data_of(stored(store, "s1", "ns"))
    assert data == {"start": True, **{f"k{i:02d}": i for i in range(20)}}
