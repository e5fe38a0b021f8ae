"""ETags, If-Match and If-None-Match on namespaces, checked inside Redis with the write."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from tests.conftest import as_stored
from tests.httpclient import HttpClient
from tests.parallel import run_parallel
from tests.stored import stored

JSON = "application/json"
PATH = "/v1/sessions/s1/ns"


def put(client: FlaskClient, document: Any, **headers: str) -> Any:
    headers = {k.replace("_", "-"): v for k, v in headers.items()}
    return client.put(PATH, data=json.dumps(document), content_type=JSON, headers=headers)


def etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest() + '"'


def stored_here(store: redis.Redis) -> bytes | None:
    return stored(store, "s1", "ns")


def test_reads_and_writes_carry_the_strong_etag_of_the_document(client: FlaskClient) -> None:
    written = put(client, {"v": 1})
    assert written.headers["ETag"] == etag(as_stored(written.data))
    read = client.get(PATH)
    assert read.headers["ETag"] == written.headers["ETag"]
    assert put(client, {"v": 2}).headers["ETag"] != written.headers["ETag"]


@pytest.mark.parametrize("header", ["{tag}", "W/{tag}", '"other", {tag}', "*"])
def test_get_with_a_matching_if_none_match_is_304(client: FlaskClient, header: str) -> None:
    tag = put(client, {"v": 1}).headers["ETag"]
    response = client.get(PATH, headers={"If-None-Match": header.format(tag=tag)})
    assert (response.status_code, response.data) == (304, b"")
    assert response.headers["ETag"] == tag


def test_get_with_another_if_none_match_is_the_document(client: FlaskClient) -> None:
    written = put(client, {"v": 1})
    response = client.get(PATH, headers={"If-None-Match": '"0000"'})
    assert (response.status_code, as_stored(response.data)) == (200, as_stored(written.data))


def test_put_if_match_current_etag_replaces(client: FlaskClient, store: redis.Redis) -> None:
    tag = put(client, {"v": 1}).headers["ETag"]
    response = put(client, {"v": 2}, If_Match=tag)
    assert response.status_code == 200
    assert stored_here(store) == as_stored(response.data)


@pytest.mark.parametrize(
    "header",
    ['"' + "0" * 40 + '"', "W/{tag}", "garbage", '"short"'],
    ids=["another-etag", "weak-form", "garbage", "not-an-etag"],
)
def test_put_if_match_anything_else_is_412_and_changes_nothing(
    client: FlaskClient, store: redis.Redis, header: str
) -> None:
    tag = put(client, {"v": 1}).headers["ETag"]
    before = stored_here(store)
    response = put(client, {"v": 2}, If_Match=header.format(tag=tag))
    assert response.status_code == 412
    assert response.get_json() == {
        "error": "precondition_failed",
        "message": "Namespace 'ns' of session 's1' is not in the state If-Match or "
        "If-None-Match asks for; read it again (its ETag) and retry.",
    }
    assert stored_here(store) == before


def test_put_if_match_star_needs_an_existing_document(
    client: FlaskClient, store: redis.Redis
) -> None:
    assert put(client, {"v": 1}, If_Match="*").status_code == 412
    assert stored_here(store) is None
    put(client, {"v": 1})
    assert put(client, {"v": 2}, If_Match="*").status_code == 200


def test_put_if_none_match_star_only_creates(client: FlaskClient, store: redis.Redis) -> None:
    created = put(client, {"v": 1}, If_None_Match="*")
    assert created.status_code == 200
    assert put(client, {"v": 2}, If_None_Match="*").status_code == 412
    assert stored_here(store) == as_stored(created.data)
    assert client.get("/v1/sessions/s1").get_json()["_namespaces"] == ["ns"]


def test_delete_if_match(client: FlaskClient, store: redis.Redis) -> None:
    tag = put(client, {"v": 1}).headers["ETag"]
    assert client.delete(PATH, headers={"If-Match": '"' + "0" * 40 + '"'}).status_code == 412
    assert stored_here(store) is not None
    assert client.delete(PATH, headers={"If-Match": tag}).get_json() == {"success": True}
    assert stored_here(store) is None
    assert client.get("/v1/sessions/s1").get_json()["_namespaces"] == []


def test_delete_if_match_of_an_absent_namespace_is_412_and_without_it_404(
    client: FlaskClient,
) -> None:
    assert client.delete(PATH, headers={"If-Match": "*"}).status_code == 412
    assert client.delete(PATH).status_code == 404


def test_only_one_of_many_racing_conditional_writes_wins(
    http: HttpClient, store: redis.Redis
) -> None:
    first = http.put_json(PATH, {"n": 0})
    tag = first.headers["ETag"]

    def write(i: int) -> int:
        body = json.dumps({"n": i + 1}).encode()
        headers = {"Content-Type": JSON, "If-Match": tag}
        return http.request("PUT", PATH, body, headers).status

    statuses = run_parallel(20, write)
    assert sorted(statuses) == [200] + [412] * 19  # type: ignore[type-var]
    winner = json.loads(stored_here(store) or b"{}")["n"]
    assert statuses[winner - 1] == 200
