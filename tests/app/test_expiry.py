"""Session and namespace expiry on a real Valkey, with TTLs of a second or two."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from schema_registry.ttl import parse_ttl
from tests.stored import KEYS, namespaces, session_ttl_ms

JSON = "application/json"


def put(client: FlaskClient, sid: str, ns: str) -> None:
    response = client.put(f"/v1/sessions/{sid}/{ns}", data=json.dumps({"v": ns}), content_type=JSON)
    assert response.status_code == 200


def ttls(store: redis.Redis) -> dict[str, int]:
    return {key.decode(): int(store.pttl(key)) for key in store.keys("*")}


def test_a_session_is_one_key_that_expires_with_it(
    make_app: Callable[..., Flask], store: redis.Redis
) -> None:
    client = make_app(SESSION_TTL=60, SESSION_MAX_AGE=600).test_client()
    put(client, "s1", "a")
    put(client, "s1", "b")
    found = ttls(store)
    assert sorted(found) == [KEYS.session("s1")]
    assert all(55_000 < ttl <= 60_000 for ttl in found.values())
    assert namespaces(store, "s1") == ["a", "b"]


def test_without_a_session_ttl_nothing_expires(
    make_app: Callable[..., Flask], store: redis.Redis
) -> None:
    client = make_app(SESSION_TTL=0).test_client()
    put(client, "s1", "a")
    assert set(ttls(store).values()) == {-1}


def test_a_write_slides_the_whole_session(
    make_app: Callable[..., Flask], store: redis.Redis
) -> None:
    client = make_app(SESSION_TTL=2).test_client()
    put(client, "s1", "a")
    time.sleep(1.2)
    put(client, "s1", "b")  # extends a too
    assert session_ttl_ms(store, "s1") > 1500
    time.sleep(1.2)  # 2.4 s after a was written: alive only because b slid the session
    assert client.get("/v1/sessions/s1").get_json()["_namespaces"] == ["a", "b"]
    time.sleep(1.0)
    assert client.get("/v1/sessions/s1").get_json()["_namespaces"] == []
    assert client.get("/v1/sessions/s1/a").status_code == 404
    assert store.keys("*") == []


def test_reads_do_not_extend_a_session_and_touch_does(
    make_app: Callable[..., Flask], store: redis.Redis
) -> None:
    client = make_app(SESSION_TTL=2).test_client()
    put(client, "s1", "a")
    time.sleep(1.0)
    client.get("/v1/sessions/s1/a")
    client.get("/v1/sessions/s1?namespaces=a")
    assert session_ttl_ms(store, "s1") < 1100
    touched = client.post("/v1/sessions/s1/_touch")
    assert (touched.status_code, touched.get_json()) == (200, {"touched": True})
    assert session_ttl_ms(store, "s1") > 1900


def test_touching_an_empty_session_is_404(
    make_app: Callable[..., Flask], store: redis.Redis
) -> None:
    response = make_app(SESSION_TTL=2).test_client().post("/v1/sessions/nobody/_touch")
    assert (response.status_code, response.get_json()["error"]) == (404, "not_found")
    assert store.keys("*") == []


def test_the_maximum_age_caps_a_sliding_session(
    make_app: Callable[..., Flask], store: redis.Redis
) -> None:
    client = make_app(SESSION_TTL=60, SESSION_MAX_AGE=2).test_client()
    put(client, "s1", "a")
    time.sleep(1.2)
    put(client, "s1", "b")
    assert all(0 < ttl <= 800 for ttl in ttls(store).values())
    time.sleep(1.0)
    assert client.get("/v1/sessions/s1").get_json()["_namespaces"] == []
    assert store.keys("*") == []


@pytest.fixture
def short_schema(tmp_path: Path) -> Path:
    (tmp_path / "team.short.v1.yaml").write_text("type: object\nallowUnknown: true\nttl: 1s\n")
    return tmp_path


def test_a_namespace_with_its_own_ttl_expires_before_its_session(
    make_app: Callable[..., Flask], store: redis.Redis, short_schema: Path
) -> None:
    client = make_app(SCHEMA_DIR=str(short_schema), SESSION_TTL=60).test_client()
    put(client, "s1", "team.short.v1")
    put(client, "s1", "team.long.v1")
    own = store.zscore(KEYS.expiries("s1"), "team.short.v1")
    assert own is not None and 0 < own - time.time() * 1000 <= 1000
    assert store.zscore(KEYS.expiries("s1"), "team.long.v1") is None  # lives with the session
    assert session_ttl_ms(store, "s1") > 55_000
    time.sleep(1.1)
    assert client.get("/v1/sessions/s1").get_json()["_namespaces"] == ["team.long.v1"]
    assert client.get("/v1/sessions/s1/team.short.v1").status_code == 404
    both = client.get("/v1/sessions/s1?namespaces=team.short.v1&namespaces=team.long.v1")
    assert list(both.get_json()) == ["_session", "_namespaces", "team.long.v1"]


def test_an_expired_namespace_is_never_served_and_its_bytes_go_at_the_next_write(
    make_app: Callable[..., Flask], store: redis.Redis, short_schema: Path
) -> None:
    client = make_app(SCHEMA_DIR=str(short_schema), SESSION_TTL=60).test_client()
    put(client, "s1", "team.short.v1")
    put(client, "s1", "team.long.v1")
    time.sleep(1.1)
    assert namespaces(store, "s1") == ["team.long.v1", "team.short.v1"]  # still held: bytes
    assert client.get("/v1/sessions/s1").get_json()["_namespaces"] == ["team.long.v1"]
    asked = client.get("/v1/sessions/s1?namespaces=team.short.v1").get_json()
    assert asked == {"_session": "s1", "_namespaces": ["team.long.v1"]}
    assert client.get("/v1/sessions/s1/team.short.v1").status_code == 404
    put(client, "s1", "team.long.v1")  # the session's next write forgets it
    assert namespaces(store, "s1") == ["team.long.v1"]
    assert store.exists(KEYS.expiries("s1")) == 0


def expires_ms(served: dict[str, object]) -> int:
    moment = datetime.fromisoformat(str(served["_expires"]).replace("Z", "+00:00"))
    return round(moment.timestamp() * 1000)


def test_documents_say_exactly_when_redis_will_drop_them(
    make_app: Callable[..., Flask], store: redis.Redis, short_schema: Path
) -> None:
    client = make_app(SCHEMA_DIR=str(short_schema), SESSION_TTL=60).test_client()
    body = json.dumps({"v": 1})
    short = client.put("/v1/sessions/s1/team.short.v1", data=body, content_type=JSON).get_json()
    time.sleep(0.01)
    long = client.put("/v1/sessions/s1/team.long.v1", data=body, content_type=JSON).get_json()
    short_at = int(store.zscore(KEYS.expiries("s1"), "team.short.v1") or 0)
    long_at = store.pexpiretime(KEYS.session("s1"))
    assert long_at - short_at > 55_000
    assert expires_ms(short) == short_at  # its own ttl, earlier than the session's end
    assert expires_ms(long) == long_at  # the session's end, which the second write slid
    both = client.get("/v1/sessions/s1?namespaces=team.short.v1&namespaces=team.long.v1")
    for _ in range(3):  # the same instant on every read, not now + a remaining TTL
        assert expires_ms(client.get("/v1/sessions/s1/team.short.v1").get_json()) == short_at
        assert expires_ms(client.get("/v1/sessions/s1/team.long.v1").get_json()) == long_at
        assert expires_ms(both.get_json()["team.short.v1"]) == short_at
        assert expires_ms(both.get_json()["team.long.v1"]) == long_at


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(5, 5), ("90s", 90), ("15m", 900), ("12h", 43200), ("1d", 86400), (31_622_400, 31_622_400)],
)
def test_ttl_values(value: object, seconds: int) -> None:
    assert parse_ttl(value) == seconds


@pytest.mark.parametrize("value", [0, -1, True, "1w", "1.5h", "01s", "90", 1.5, None, 31_622_401])
def test_invalid_ttl_values(value: object) -> None:
    assert parse_ttl(value) is None


def test_ttl_is_a_top_level_key_of_the_schema_language(tmp_path: Path) -> None:
    from schema_registry import SchemaProblem, check_paths, load_registry, to_json_schema

    (tmp_path / "team.a.v1.yaml").write_text("type: object\nttl: 1w\n")
    (tmp_path / "team.b.v1.yaml").write_text(
        "type: object\nproperties:\n  x:\n    type: object\n    ttl: 5\n"
    )
    (tmp_path / "team.c.v1.yaml").write_text("type: object\nttl: 12h\n")
    message = (
        "must be a whole number of seconds, or a whole number with a unit "
        "(90s, 15m, 12h, 1d), from 1 second to 366 days"
    )
    assert check_paths([tmp_path]) == [
        SchemaProblem(str(tmp_path / "team.a.v1.yaml"), 2, "ttl", message),
        SchemaProblem(
            str(tmp_path / "team.b.v1.yaml"),
            5,
            "properties.x.ttl",
            "unknown key for type 'object'; allowed keys: allowUnknown, optional, properties, type",
        ),
    ]
    registry = load_registry([tmp_path], entry_points=False)
    schema = registry.get("team.c.v1")
    assert schema is not None and schema.ttl_seconds == 43200
    assert "ttl" not in to_json_schema("team.c.v1", registry)
