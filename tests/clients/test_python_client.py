"""The official Python client (clients/python) against a real gunicorn: every method, every error.

Retries are in test_python_client_retries.py, the update loop in
test_python_client_update.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis
from sessionator_client import (
    BadRequest,
    Client,
    Conflict,
    NotFound,
    PreconditionFailed,
    SessionatorError,
    ValidationFailed,
)

from tests.conftest import REPO
from tests.httpclient import HttpClient
from tests.stored import KEYS, session_ttl_ms, stored

CART = "checkout.cart.v1"
GOOD_CART = {"currency": "EUR", "items": [{"sku": "A-1", "quantity": 2, "unitPrice": 3.5}]}


@pytest.fixture
def sessions(http: HttpClient) -> Iterator[Client]:
    """The client on the module's gunicorn (open: no key), the store emptied."""
    with Client(f"http://{http.host}:{http.port}") as client:
        yield client


def stored_data(store: redis.Redis, session: str, namespace: str) -> dict[str, object]:
    raw = stored(store, session, namespace)
    assert raw is not None
    return {k: v for k, v in json.loads(raw).items() if not k.startswith("_")}


def test_put_returns_the_stored_document_with_its_etag_and_get_reads_it(
    sessions: Client, store: redis.Redis
) -> None:
    put = sessions.put("user-1337", "favoriteThings", {"things": ["cats"], "_modified": "x"})
    assert (put.session, put.namespace, put.data) == (
        "user-1337",
        "favoriteThings",
        {"things": ["cats"]},
    )
    assert put.etag is not None and put.etag.startswith('"') and len(put.etag) == 42
    assert abs((put.modified - datetime.now(UTC)).total_seconds()) < 60
    assert put.expires is not None and put.expires > put.modified
    assert put.schema_version is None
    assert stored_data(store, "user-1337", "favoriteThings") == {"things": ["cats"]}
    assert sessions.get("user-1337", "favoriteThings") == put


def test_get_if_changed_is_none_while_the_etag_holds(sessions: Client) -> None:
    first = sessions.put("s1", "ns", {"a": 1})
    assert first.etag is not None
    assert sessions.get_if_changed("s1", "ns", first.etag) is None
    second = sessions.put("s1", "ns", {"a": 2})
    assert sessions.get_if_changed("s1", "ns", first.etag) == second


def test_conditional_puts_create_only_or_replace_only_what_was_read(
    sessions: Client, store: redis.Redis
) -> None:
    created = sessions.put("s1", "ns", {"a": 1}, if_none_match="*")
    with pytest.raises(PreconditionFailed) as refused:
        sessions.put("s1", "ns", {"a": 2}, if_none_match="*")
    assert (refused.value.status, refused.value.code) == (412, "precondition_failed")
    replaced = sessions.put("s1", "ns", {"a": 3}, if_match=created.etag)
    with pytest.raises(PreconditionFailed):
        sessions.put("s1", "ns", {"a": 4}, if_match=created.etag)
    assert sessions.get("s1", "ns") == replaced
    assert stored_data(store, "s1", "ns") == {"a": 3}


def test_both_patch_flavours_change_part_of_a_namespace_with_if_match(
    sessions: Client, store: redis.Redis
) -> None:
    start = sessions.put("s1", "ns", {"a": 1, "b": {"c": 2}, "list": [1]})
    merged = sessions.merge_patch("s1", "ns", {"a": None, "b": {"d": 3}}, if_match=start.etag)
    assert merged.data == {"b": {"c": 2, "d": 3}, "list": [1]}
    operations = [{"op": "add", "path": "/list/-", "value": 2}, {"op": "remove", "path": "/b/c"}]
    patched = sessions.json_patch("s1", "ns", operations, if_match=merged.etag)
    assert patched.data == {"b": {"d": 3}, "list": [1, 2]}
    with pytest.raises(PreconditionFailed):
        sessions.merge_patch("s1", "ns", {"a": 1}, if_match=start.etag)
    with pytest.raises(PreconditionFailed):
        sessions.json_patch("s1", "ns", [], if_match=start.etag)
    assert sessions.merge_patch("s1", "ns", {"e": 5}).data["e"] == 5  # unconditional
    assert stored_data(store, "s1", "ns") == {"b": {"d": 3}, "list": [1, 2], "e": 5}


def test_a_patch_that_cannot_apply_is_a_conflict_with_the_service_message(
    sessions: Client,
) -> None:
    sessions.put("s1", "ns", {"a": 1})
    with pytest.raises(Conflict) as conflict:
        sessions.json_patch("s1", "ns", [{"op": "test", "path": "/a", "value": 2}])
    assert (conflict.value.status, conflict.value.code) == (409, "patch_conflict")
    assert conflict.value.message and conflict.value.request_id


def test_delete_removes_a_namespace_and_not_found_says_so(
    sessions: Client, store: redis.Redis
) -> None:
    document = sessions.put("s1", "ns", {"a": 1})
    with pytest.raises(PreconditionFailed):
        sessions.delete("s1", "ns", if_match='"0000000000000000000000000000000000000000"')
    sessions.delete("s1", "ns", if_match=document.etag)
    assert stored(store, "s1", "ns") is None
    with pytest.raises(NotFound) as missing:
        sessions.get("s1", "ns")
    assert (missing.value.status, missing.value.code) == (404, "not_found")
    assert "ns" in missing.value.message
    with pytest.raises(NotFound):
        sessions.delete("s1", "ns")


def test_session_methods_list_read_many_touch_and_delete(
    sessions: Client, store: redis.Redis
) -> None:
    a = sessions.put("s1", "a", {"n": 1})
    sessions.put("s1", "b", {"n": 2})
    assert sessions.list_namespaces("s1") == ["a", "b"]
    assert sessions.list_namespaces("nobody") == []
    many = sessions.get_many("s1", ["a", "absent"])
    assert list(many) == ["a"]
    assert (many["a"].data, many["a"].modified, many["a"].etag) == ({"n": 1}, a.modified, None)
    store.pexpire(KEYS.session("s1"), 5000)
    sessions.touch("s1")
    assert session_ttl_ms(store, "s1") > 86_000_000
    with pytest.raises(NotFound):
        sessions.touch("nobody")
    assert sessions.delete_session("s1") is True
    assert sessions.delete_session("s1") is False
    assert store.keys("*") == []


def test_a_schema_namespace_refusal_carries_the_details(sessions: Client) -> None:
    accepted = sessions.put("s1", CART, GOOD_CART)
    assert accepted.schema_version is not None and accepted.schema_version.startswith("sha256:")
    with pytest.raises(ValidationFailed) as refused:
        sessions.put("s1", CART, {**GOOD_CART, "currency": "XXX"})
    assert (refused.value.status, refused.value.code) == (422, "validation_failed")
    assert refused.value.details == {"currency": ["Must be one of: EUR, GBP, USD."]}
    assert sessions.get("s1", CART) == accepted


@pytest.mark.parametrize(
    ("session", "namespace", "code"),
    [("a/b", "ns", "invalid_session_id"), ("s1", "a/b", "invalid_namespace"),
     ("s1", "_a", "invalid_namespace"), ("s 1", "ns", "invalid_session_id")],
)  # fmt: skip
def test_identifiers_stay_one_path_segment_and_bad_ones_are_bad_requests(
    sessions: Client, store: redis.Redis, session: str, namespace: str, code: str
) -> None:
    with pytest.raises(BadRequest) as refused:
        sessions.put(session, namespace, {"a": 1})
    assert (refused.value.status, refused.value.code) == (400, code)
    assert isinstance(refused.value, SessionatorError)
    assert store.keys("*") == []


def test_a_session_id_with_reserved_characters_round_trips(sessions: Client) -> None:
    assert sessions.put("user:1337@x+y=z~", "ns", {"a": 1}).session == "user:1337@x+y=z~"
    assert sessions.list_namespaces("user:1337@x+y=z~") == ["ns"]


def test_schemas_and_probes(sessions: Client) -> None:
    listed = {schema.name: schema for schema in sessions.schemas()}
    assert sorted(listed) == [CART, "restaurants.lastVisited.v1", "teamName.objectType.v1"]
    assert listed[CART].status == "ok" and listed[CART].in_force == listed[CART].digest
    detail = sessions.schema(CART)
    assert detail.summary == listed[CART]
    assert detail.json_schema is not None and detail.json_schema["title"] == CART
    assert detail.yaml is not None and "currency" in detail.yaml
    with pytest.raises(NotFound):
        sessions.schema("no.such.v1")
    assert sessions.ready()["status"] == "ready"
    assert sessions.alive() is True


def test_the_readme_example_runs_as_written(
    sessions: Client, store: redis.Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = (REPO / "clients" / "python" / "README.md").read_text()
    example = readme.split("```python\n", 1)[1].split("```", 1)[0]
    assert len(example.strip().splitlines()) <= 11  # the ten lines, and a blank one
    base_url = str(sessions.http.base_url).rstrip("/")
    exec(example.replace("http://localhost:8000", base_url), {})
    assert stored_data(store, "user-1337", "checkout.cart.v1") == {
        "currency": "EUR", "items": [], "notes": {"door": "blue"},
    }  # fmt: skip
    assert stored_data(store, "user-1337", "visits") == {"count": 1}
    assert (
        capsys.readouterr().out == "not_found Session 'user-1337' has no namespace 'nothingHere'.\n"
    )
