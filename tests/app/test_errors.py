"""Every row of the contract's error table, and bad input that must change nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

JSON = "application/json"


@pytest.fixture
def existing(client: FlaskClient, store: redis.Redis) -> Iterator[dict[bytes, bytes]]:
    """A stored namespace; the test must leave the whole store exactly as it was."""
    client.put("/v1/sessions/s1/ns", data='{"kept": true}', content_type=JSON)
    before = {key: store.dump(key) for key in store.keys("*")}
    yield before
    assert {key: store.dump(key) for key in store.keys("*")} == before


def error_of(response: object) -> str:
    body = response.get_json()  # type: ignore[attr-defined]
    assert set(body) <= {"error", "message", "details"}
    assert isinstance(body["message"], str) and body["message"]
    return str(body["error"])


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b'{"a": 1} x',
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": -Infinity}',
        b'{"a": 1e400}',
        b'{"a": "\\ud800"}',
        b'{"\\udfff": 1}',
        b'{"a": "\xff"}',
        b"\xef\xbb\xbf{}",
        b'{"a": 1, "a": 2}',
        b"{'a': 1}",
        b'{"a": 01}',
        b'{"a": 1' + b"0" * 5000 + b"}",
    ],
    ids=[
        "empty",
        "unclosed",
        "trailing-garbage",
        "nan",
        "infinity",
        "minus-infinity",
        "overflowing-number",
        "lone-surrogate-value",
        "lone-surrogate-key",
        "invalid-utf8",
        "byte-order-mark",
        "duplicate-key",
        "single-quotes",
        "leading-zero",
        "huge-integer",
    ],
)
def test_invalid_json_is_refused(
    client: FlaskClient, existing: dict[bytes, bytes], body: bytes
) -> None:
    response = client.put("/v1/sessions/s1/ns", data=body, content_type=JSON)
    assert response.status_code == 400
    assert error_of(response) == "invalid_json"


def test_invalid_json_message_says_where(client: FlaskClient) -> None:
    response = client.put("/v1/sessions/s1/ns", data=b'{\n  "a": }', content_type=JSON)
    assert response.get_json() == {
        "error": "invalid_json",
        "message": "The body is not valid JSON: Expecting value at line 2 column 8.",
    }


@pytest.mark.parametrize(
    ("body", "kind"),
    [(b"[]", "an array"), (b'"x"', "a string"), (b"1", "a number"), (b"null", "null"),
     (b"true", "a boolean"), (b"1.5", "a number")],
)  # fmt: skip
def test_root_must_be_an_object(
    client: FlaskClient, existing: dict[bytes, bytes], body: bytes, kind: str
) -> None:
    response = client.put("/v1/sessions/s1/ns", data=body, content_type=JSON)
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "root_must_be_object",
        "message": f"The body must be a JSON object, not {kind}.",
    }


def nested(depth: int) -> bytes:
    """An object whose containers nest ``depth`` levels, the root counted."""
    return b'{"a":' * (depth - 1) + b"[]" + b"}" * (depth - 1)


def test_nesting_up_to_the_limit_is_accepted(client: FlaskClient) -> None:
    response = client.put("/v1/sessions/s1/ns", data=nested(32), content_type=JSON)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [nested(33), nested(1000), b'{"a":' + b"[" * 30_000 + b"]" * 30_000 + b"}"],
    ids=["33-levels", "1000-levels", "past-the-parsers-recursion-limit"],
)
def test_nesting_past_the_limit_is_too_deep(
    client: FlaskClient, existing: dict[bytes, bytes], body: bytes
) -> None:
    response = client.put("/v1/sessions/s1/ns", data=body, content_type=JSON)
    assert response.status_code == 400
    assert error_of(response) == "too_deep"


def test_depth_limit_is_configurable(make_app: Callable[..., Flask]) -> None:
    app = make_app(MAX_JSON_DEPTH=2)
    client = app.test_client()
    assert client.put("/v1/sessions/s/n", data=nested(2), content_type=JSON).status_code == 200
    response = client.put("/v1/sessions/s/n", data=nested(3), content_type=JSON)
    assert response.get_json() == {
        "error": "too_deep",
        "message": "The body nests objects and arrays deeper than 2 levels.",
    }


BAD_SESSION_IDS = [
    "s" * 257, "has%20space", "semi;colon", "quote%22", "slash%2Fin", "slash%2fin", "caf%C3%A9",
    "percent%25", "brace%7Bx%7D", "star*", "comma,", "hash%23", "nul%00",
]  # fmt: skip


@pytest.mark.parametrize("sid", BAD_SESSION_IDS)
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_bad_session_ids_are_refused(
    client: FlaskClient, existing: dict[bytes, bytes], sid: str, method: str
) -> None:
    response = client.open(f"/v1/sessions/{sid}", method=method)
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "invalid_session_id",
        "message": "A session id is 1 to 256 characters from A-Z a-z 0-9 . _ ~ : @ + = -.",
    }


@pytest.mark.parametrize("sid", BAD_SESSION_IDS)
def test_bad_session_ids_are_refused_on_writes(
    client: FlaskClient, existing: dict[bytes, bytes], sid: str
) -> None:
    response = client.put(f"/v1/sessions/{sid}/ns", data="{}", content_type=JSON)
    assert response.status_code == 400
    assert error_of(response) == "invalid_session_id"


BAD_NAMESPACES = [
    "1abc", "_abc", "-abc", ".abc", "abc.", "a..b", "a" * 129, "a%20b", "a:b", "a%2Fb",
    "caf%C3%A9", "a*", "a~b", "a@b",
]  # fmt: skip


@pytest.mark.parametrize("ns", BAD_NAMESPACES)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_bad_namespaces_are_refused(
    client: FlaskClient, existing: dict[bytes, bytes], ns: str, method: str
) -> None:
    response = client.open(f"/v1/sessions/s1/{ns}", method=method, data="{}", content_type=JSON)
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "invalid_namespace",
        "message": "A namespace name is 1 to 128 characters: dot-separated segments of "
        "A-Z a-z 0-9 _ -, starting with a letter (like restaurants.lastVisited.v1).",
    }


@pytest.mark.parametrize("query", ["namespaces=", "namespaces=1a", "namespaces=a&namespaces=a..b"])
def test_bad_names_in_a_multi_read_are_refused(client: FlaskClient, query: str) -> None:
    response = client.get(f"/v1/sessions/s1?{query}")
    assert response.status_code == 400
    assert error_of(response) == "invalid_namespace"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/sessions/s1?namespace=a"),
        ("GET", "/v1/sessions/s1/ns?x=1"),
        ("DELETE", "/v1/sessions/s1?all=true"),
        ("DELETE", "/v1/sessions/s1/ns?force=1"),
        ("PUT", "/v1/sessions/s1/ns?merge=true"),
    ],
)
def test_unknown_query_parameters_are_refused(
    client: FlaskClient, existing: dict[bytes, bytes], method: str, path: str
) -> None:
    response = client.open(path, method=method, data="{}", content_type=JSON)
    assert response.status_code == 400
    assert error_of(response) == "invalid_query"


def test_unknown_query_parameter_is_named(client: FlaskClient) -> None:
    response = client.get("/v1/sessions/s1?namespace=a")
    assert response.get_json() == {
        "error": "invalid_query",
        "message": "Unknown query parameter 'namespace'; this takes namespaces.",
    }


@pytest.mark.parametrize(
    "path", ["/", "/v1", "/v1/sessions", "/v1/sessions/", "/v1/sessions/s1/ns/extra",
             "/v2/sessions/s1", "/v1/sessions/s1/"],
)  # fmt: skip
def test_unknown_routes_are_json_not_found(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == JSON
    assert response.get_json() == {"error": "not_found", "message": "No such resource."}


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", "/v1/sessions/s1", "DELETE, GET, HEAD, OPTIONS"),
        ("PUT", "/v1/sessions/s1", "DELETE, GET, HEAD, OPTIONS"),
        ("PATCH", "/v1/sessions/s1", "DELETE, GET, HEAD, OPTIONS"),
        ("POST", "/v1/sessions/s1/ns", "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"),
    ],
)
def test_wrong_method_is_405_with_allow(
    client: FlaskClient, existing: dict[bytes, bytes], method: str, path: str, allow: str
) -> None:
    response = client.open(path, method=method, data="{}", content_type=JSON)
    assert response.status_code == 405
    assert response.get_json() == {
        "error": "method_not_allowed",
        "message": "This method is not allowed on this resource.",
    }
    assert sorted(response.headers["Allow"].split(", ")) == allow.split(", ")


def body_of_size(size: int) -> bytes:
    """A JSON object of exactly ``size`` bytes."""
    body = b'{"p":"' + b"x" * (size - 8) + b'"}'
    assert len(body) == size
    return body


def test_body_at_the_limit_is_accepted(client: FlaskClient) -> None:
    response = client.put("/v1/sessions/s1/ns", data=body_of_size(65536), content_type=JSON)
    assert response.status_code == 200


def test_body_over_the_limit_is_refused(client: FlaskClient, existing: dict[bytes, bytes]) -> None:
    response = client.put("/v1/sessions/s1/ns", data=body_of_size(65537), content_type=JSON)
    assert response.status_code == 413
    assert response.get_json() == {
        "error": "payload_too_large",
        "message": "The body is larger than the 65536-byte limit of namespace 'ns' "
        "(MAX_BODY_BYTES).",
        "details": {"limit": "MAX_BODY_BYTES", "value": 65536},
    }


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx",
     "application/merge-patch+json", "multipart/form-data; boundary=x", "json"],
)  # fmt: skip
def test_writes_that_are_not_json_are_415(
    client: FlaskClient, existing: dict[bytes, bytes], content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.put("/v1/sessions/s1/ns", data=b'{"a": 1}', headers=headers)
    assert response.status_code == 415
    assert error_of(response) == "unsupported_media_type"


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON",
     "Application/Json;Charset=UTF-8"],
)  # fmt: skip
def test_json_media_type_ignores_case_and_parameters(
    client: FlaskClient, content_type: str
) -> None:
    response = client.put(
        "/v1/sessions/s1/ns", data=b'{"a": 1}', headers={"Content-Type": content_type}
    )
    assert response.status_code == 200


def test_schema_failure_is_422_with_paths(
    client: FlaskClient, existing: dict[bytes, bytes]
) -> None:
    response = client.put(
        "/v1/sessions/s1/teamName.objectType.v1", data=b'{"name": "x"}', content_type=JSON
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_failed"
    assert sorted(body["details"]) == ["age", "friends", "height", "language", "pet"]


@pytest.mark.parametrize("url", ["unix:///nonexistent/valkey.sock", "redis://127.0.0.1:1/0"])
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/sessions/s1"), ("GET", "/v1/sessions/s1?namespaces=a"),
     ("DELETE", "/v1/sessions/s1"), ("GET", "/v1/sessions/s1/ns"),
     ("PUT", "/v1/sessions/s1/ns"), ("DELETE", "/v1/sessions/s1/ns")],
)  # fmt: skip
def test_unreachable_store_is_503_quickly(
    make_app: Callable[..., Flask], url: str, method: str, path: str
) -> None:
    client = make_app(REDIS_URL=url).test_client()
    started = time.monotonic()
    response = client.open(path, method=method, data="{}", content_type=JSON)
    assert time.monotonic() - started < 0.5
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.get_json() == {
        "error": "store_unavailable",
        "message": "The session store is unavailable; retry shortly.",
    }


def test_a_bug_is_a_json_500_without_a_stack_trace(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    repository = app.extensions["sessionator"].repository

    def broken(*args: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(repository, "read", broken)
    response = app.test_client().get("/v1/sessions/s1/ns")
    assert response.status_code == 500
    assert response.get_json() == {
        "error": "internal_error",
        "message": "The service failed; this is a bug.",
    }
    assert b"secret" not in response.data and b"Traceback" not in response.data


def test_error_bodies_are_json_objects_with_a_sentence(client: FlaskClient) -> None:
    for response in (
        client.get("/nope"),
        client.post("/v1/sessions/s1"),
        client.put("/v1/sessions/s1/ns", data="[", content_type=JSON),
    ):
        body = json.loads(response.data)
        assert body["message"].endswith(".")
