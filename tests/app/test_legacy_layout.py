"""Sessions written in the layout before one hash per session: read as they are, moved on
their next write, moved all at once by ``sessionator store migrate``.

The old layout, as the previous version's write script left it: per session,
a string key per document (as written, whole), a sorted set indexing the
names by their own expiry ('+inf': with the session), and ``ends`` (and
``born`` under a cap), every key expiring with what it holds.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import redis
from flask.testing import FlaskClient

from app.documents import stamp
from app.store.keys import KeySpace
from app.store.preconditions import etag_of
from tests.clirun import sessionator
from tests.stored import KEYS, namespaces, session_keys, session_ttl_ms, stored

NOW_MS = int(time.time() * 1000)
ENDS = NOW_MS + 3_600_000  # the session ends in an hour
OWN = NOW_MS + 600_000  # a namespace of its own ends in ten minutes


def written(sid: str, ns: str, **data: object) -> bytes:
    return stamp(data, sid, ns, datetime(2026, 1, 1, tzinfo=UTC))


def write_legacy(store: redis.Redis, sid: str, documents: dict[str, int | None]) -> None:
    """A session of the old layout: ``documents`` maps names to their own end (None: none)."""
    keys: KeySpace = KEYS
    for ns, own in documents.items():
        document_key = keys.legacy_document(sid, ns)
        store.set(document_key, written(sid, ns, name=ns))
        store.pexpireat(document_key, min(own or ENDS, ENDS))
        store.zadd(keys.legacy_index(sid), {ns: own if own is not None else float("inf")})
    store.set(keys.legacy_prefix(sid) + "ends", ENDS)
    for key in (keys.legacy_index(sid), keys.legacy_prefix(sid) + "ends"):
        store.pexpireat(key, ENDS)


def expires_ms(served: dict[str, object]) -> int:
    moment = datetime.fromisoformat(str(served["_expires"]).replace("Z", "+00:00"))
    return round(moment.timestamp() * 1000)


def test_a_session_in_the_old_layout_is_served_as_it_was(
    client: FlaskClient, store: redis.Redis
) -> None:
    write_legacy(store, "old", {"a": None, "b": OWN, "gone": NOW_MS - 1000})
    listing = client.get("/v1/sessions/old?namespaces=a&namespaces=b&namespaces=gone").get_json()
    assert listing["_namespaces"] == ["a", "b"]
    assert (listing["a"]["name"], expires_ms(listing["a"])) == ("a", ENDS)
    assert (listing["b"]["name"], expires_ms(listing["b"])) == ("b", OWN)
    one = client.get("/v1/sessions/old/a")
    assert one.headers["ETag"] == f'"{etag_of(written("old", "a", name="a"))}"'
    assert client.get("/v1/sessions/old/gone").status_code == 404
    assert len(session_keys(store, "old")) == 4  # reading moved nothing (gone: Redis dropped it)


def test_a_write_moves_the_session_into_one_hash_keeping_every_etag(
    client: FlaskClient, store: redis.Redis
) -> None:
    write_legacy(store, "old", {"a": None, "b": OWN, "gone": NOW_MS - 1000})
    etag = client.get("/v1/sessions/old/a").headers["ETag"]
    assert client.put("/v1/sessions/old/c", json={"name": "c"}).status_code == 200
    assert session_keys(store, "old") == [KEYS.session("old"), KEYS.expiries("old")]
    assert namespaces(store, "old") == ["a", "b", "c"]
    assert stored(store, "old", "a") == written("old", "a", name="a")
    assert store.zscore(KEYS.expiries("old"), "b") == OWN
    assert session_ttl_ms(store, "old") > 86_000_000  # the write slid the session (a day)
    conditional = client.put("/v1/sessions/old/a", json={"name": "a2"}, headers={"If-Match": etag})
    assert conditional.status_code == 200  # the ETag read before the move still matches


def test_deleting_a_session_in_the_old_layout_removes_every_key(
    client: FlaskClient, store: redis.Redis
) -> None:
    write_legacy(store, "old", {"a": None, "b": OWN})
    assert client.delete("/v1/sessions/old").get_json() == {"removed": 1}
    assert session_keys(store, "old") == []


def test_store_migrate_moves_every_old_session_and_keeps_its_lifetime(
    redis_url: str, store: redis.Redis
) -> None:
    for n in range(30):
        write_legacy(store, f"old-{n}", {"a": None, "b": OWN})
    store.hset(KEYS.session("new"), "x", b'{"_modified":"2026-01-01T00:00:00.000Z"}')
    done = sessionator("store", "migrate", "--rate", "100000", REDIS_URL=redis_url)
    assert (done.returncode, done.stdout) == (0, "moved 30 sessions into the current layout\n")
    assert store.keys(KEYS.migration_pattern()) == []
    for n in range(30):
        assert namespaces(store, f"old-{n}") == ["a", "b"]
        assert store.pexpiretime(KEYS.session(f"old-{n}")) == ENDS  # not extended
        document = json.loads(stored(store, f"old-{n}", "a") or b"")
        assert (document["_session"], document["name"]) == (f"old-{n}", "a")
    assert namespaces(store, "new") == ["x"]  # a session of the current layout is left alone
    again = sessionator("store", "migrate", REDIS_URL=redis_url)
    assert (again.returncode, again.stdout) == (0, "moved 0 sessions into the current layout\n")


def test_store_migrate_without_a_store_says_so() -> None:
    refused = sessionator("store", "migrate")
    assert refused.returncode == 2
    assert refused.stderr.startswith("sessionator: REDIS_URL is not set")
