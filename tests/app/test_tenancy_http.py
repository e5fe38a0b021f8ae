"""Every grant rule over HTTP, through a real gunicorn on a real Valkey, with the audit log.

The expected outcomes are written out by hand in READS and WRITES, not
computed with the service's own pattern matching, so a matching bug cannot
hide behind its own test.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from app.access.tenants import generate_key, key_digest
from app.store.embedded import EmbeddedStore
from tests.conftest import SCHEMA_DIR, start_gunicorn, stop_process
from tests.httpclient import HttpClient, Reply
from tests.stored import session_keys, stored_json

NAMESPACES = ("restaurants.favorites.v1", "payments.card.v1", "payments.summary.v1", "other.x.v1")
KEYS = {
    name: generate_key() for name in ("restaurants", "payments", "platform", "analytics", "ingest")
}
SECOND_KEY = generate_key()  # restaurants' second key, for rotation
MARKER = "body-marker-that-must-never-be-logged"

READS = {
    "restaurants": set(NAMESPACES),
    "payments": {"payments.card.v1", "payments.summary.v1"},
    "platform": set(NAMESPACES),
    "analytics": {"restaurants.favorites.v1", "payments.summary.v1"},
    "ingest": set(),
}
WRITES = {
    "restaurants": {"restaurants.favorites.v1"},
    "payments": {"payments.card.v1", "payments.summary.v1"},
    "platform": set(NAMESPACES),
    "analytics": set(),
    "ingest": {"payments.card.v1"},
}
DELETES_SESSIONS = {"platform"}


def tenants_yaml(restaurant_keys: list[str]) -> str:
    restaurants = ", ".join(f'"{key_digest(key)}"' for key in restaurant_keys)
    return f"""tenants:
  restaurants:
    keys: [{restaurants}]
    read: ["*"]
    write: ["restaurants.*"]
  payments:
    keys: ["{key_digest(KEYS["payments"])}"]
    read: ["payments.*"]
    write: ["payments.*"]
  platform:
    keys: ["{key_digest(KEYS["platform"])}"]
    read: ["*"]
    write: ["*"]
    delete_sessions: true
  analytics:
    keys: ["{key_digest(KEYS["analytics"])}"]
    read: ["restaurants.*", "payments.summary.v1"]
  ingest:
    keys: ["{key_digest(KEYS["ingest"])}"]
    read: []
    write: ["payments.card.v1"]
"""


@dataclass
class Service:
    http: HttpClient
    tenants_file: Path
    log: Path
    sids: Iterator[int]

    def call(
        self, tenant: str | None, method: str, path: str, body: object = None, **headers: str
    ) -> Reply:
        sent = dict(headers)
        if tenant is not None:
            sent["Authorization"] = f"Bearer {KEYS.get(tenant, tenant)}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        return self.http.request(method, path, data, sent)

    def seeded_session(self) -> str:
        """A new session holding every namespace, written by the platform team."""
        sid = f"s{next(self.sids)}"
        for ns in NAMESPACES:
            reply = self.call("platform", "PUT", f"/v1/sessions/{sid}/{ns}", {"v": ns})
            assert reply.status == 200
        return sid


@pytest.fixture(scope="module")
def service(valkey: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    folder = tmp_path_factory.mktemp("tenancy")
    tenants_file = folder / "tenants.yaml"
    tenants_file.write_text(tenants_yaml([KEYS["restaurants"], SECOND_KEY]))
    log = folder / "gunicorn.log"
    env = {
        "REDIS_URL": valkey.url,
        "SCHEMA_DIR": str(SCHEMA_DIR),
        "TENANTS_FILE": str(tenants_file),
        "RATE_LIMIT": "100000/second",
        "SESSIONATOR_ENV": "production",
    }
    process, port = start_gunicorn(env, log=log)
    yield Service(HttpClient(f"http://127.0.0.1:{port}"), tenants_file, log, itertools.count())
    stop_process(process)


@pytest.fixture
def http(service: Service, redis_url: str) -> Service:
    """The module's service, on an emptied store."""
    return service


def stored(store: redis.Redis, sid: str, ns: str) -> object:
    document = stored_json(store, sid, ns)
    return None if document is None else document["v"]


def forbidden(tenant: str, action: str, namespaces: list[str]) -> dict[str, object]:
    noun = "namespace" if len(namespaces) == 1 else "namespaces"
    shown = ", ".join(repr(ns) for ns in namespaces)
    return {
        "error": "forbidden",
        "message": f"Tenant {tenant!r} may not {action} {noun} {shown}.",
        "details": {"tenant": tenant, "action": action, "namespaces": namespaces},
    }


@pytest.mark.parametrize("tenant", sorted(KEYS))
def test_each_tenant_reads_exactly_its_grants(http: Service, tenant: str) -> None:
    sid = http.seeded_session()
    listing = http.call(tenant, "GET", f"/v1/sessions/{sid}").json()
    assert listing == {"_session": sid, "_namespaces": sorted(READS[tenant])}
    for ns in NAMESPACES:
        one = http.call(tenant, "GET", f"/v1/sessions/{sid}/{ns}")
        many = http.call(tenant, "GET", f"/v1/sessions/{sid}?namespaces={ns}")
        if ns in READS[tenant]:
            assert (one.status, one.json()["v"]) == (200, ns)
            assert (many.status, many.json()[ns]["v"]) == (200, ns)
        else:
            assert (one.status, one.json()) == (403, forbidden(tenant, "read", [ns]))
            assert (many.status, many.json()) == (403, forbidden(tenant, "read", [ns]))


@pytest.mark.parametrize("tenant", sorted(KEYS))
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_each_tenant_writes_exactly_its_grants(
    http: Service, store: redis.Redis, tenant: str, method: str
) -> None:
    sid = http.seeded_session()
    for ns in NAMESPACES:
        path = f"/v1/sessions/{sid}/{ns}"
        if method == "PATCH":
            reply = http.call(
                tenant,
                method,
                path,
                {"v": "changed"},
                **{"Content-Type": "application/merge-patch+json"},
            )
        else:
            reply = http.call(tenant, method, path, {"v": "changed"} if method == "PUT" else None)
        if ns not in WRITES[tenant]:
            assert (reply.status, reply.json()) == (403, forbidden(tenant, "write", [ns]))
            assert stored(store, sid, ns) == ns
        elif method == "PATCH" and ns not in READS[tenant]:  # a PATCH reads, then writes
            assert (reply.status, reply.json()) == (403, forbidden(tenant, "read", [ns]))
            assert stored(store, sid, ns) == ns
        else:
            assert reply.status == 200
            assert stored(store, sid, ns) == (None if method == "DELETE" else "changed")


@pytest.mark.parametrize("tenant", sorted(KEYS))
def test_only_the_granted_tenant_deletes_whole_sessions(
    http: Service, store: redis.Redis, tenant: str
) -> None:
    sid = http.seeded_session()
    reply = http.call(tenant, "DELETE", f"/v1/sessions/{sid}")
    if tenant in DELETES_SESSIONS:
        assert (reply.status, reply.json()) == (200, {"removed": 1})
        assert session_keys(store, sid) == []
    else:
        assert reply.status == 403
        assert reply.json()["details"] == {"tenant": tenant, "action": "delete_sessions"}
        assert [stored(store, sid, ns) for ns in NAMESPACES] == list(NAMESPACES)


@pytest.mark.parametrize("tenant", sorted(KEYS))
def test_only_tenants_that_write_may_touch(http: Service, tenant: str) -> None:
    sid = http.seeded_session()
    reply = http.call(tenant, "POST", f"/v1/sessions/{sid}/_touch")
    assert reply.status == (200 if WRITES[tenant] else 403)


def test_a_write_only_tenant_learns_nothing_of_what_others_wrote(
    http: Service, store: redis.Redis
) -> None:
    """No PATCH (an empty merge patch would answer the whole document; a JSON Patch `test`
    is an oracle), no 304: conditional PUTs and DELETEs say only whether the document
    exists or is exactly one the caller already knows whole, as any write would."""
    sid = http.seeded_session()
    path = f"/v1/sessions/{sid}/payments.card.v1"
    merge = http.call(
        "ingest", "PATCH", path, {}, **{"Content-Type": "application/merge-patch+json"}
    )
    test_op = [{"op": "test", "path": "/v", "value": "payments.card.v1"}]
    probe = http.call(
        "ingest", "PATCH", path, test_op, **{"Content-Type": "application/json-patch+json"}
    )
    etag = http.call("platform", "GET", path).headers["ETag"]
    cached = http.call("ingest", "GET", path, **{"If-None-Match": etag})
    for refused in (merge, probe, cached):
        assert (refused.status, refused.json()) == (
            403,
            forbidden("ingest", "read", ["payments.card.v1"]),
        )
    guessed = http.call("ingest", "PUT", path, {"v": "mine"}, **{"If-Match": '"' + "0" * 40 + '"'})
    assert (guessed.status, guessed.json()["error"]) == (412, "precondition_failed")
    assert b'"v"' not in guessed.body  # a refusal quotes nothing of the document
    assert stored(store, sid, "payments.card.v1") == "payments.card.v1"


def rewrite(path: Path, text: str) -> None:
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def seconds_until(condition: object, limit: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if condition():  # type: ignore[operator]
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"not within {limit} s")


def statuses(http: Service, key: str, path: str) -> set[int]:
    return {http.call(key, "GET", path).status for _ in range(8)}


def test_rotation_and_revocation_without_a_restart(http: Service) -> None:
    sid = http.seeded_session()
    path = f"/v1/sessions/{sid}/restaurants.favorites.v1"
    for key in (KEYS["restaurants"], SECOND_KEY):  # both keys of the tenant work at once
        assert http.call(key, "GET", path).status == 200

    third = generate_key()
    rewrite(http.tenants_file, tenants_yaml([KEYS["restaurants"], third]))  # rotate out the 2nd
    try:
        # Both workers must have dropped it: ask several times, each on a new connection.
        revoked = seconds_until(lambda: statuses(http, SECOND_KEY, path) == {401}, 2.0)
        assert statuses(http, third, path) == {200}
        assert http.call(KEYS["restaurants"], "GET", path).status == 200
        print(f"revocation took effect after {revoked:.2f} s")

        rewrite(http.tenants_file, "tenants: [broken\n")  # a broken edit keeps the last good one
        time.sleep(1.5)
        assert {http.call(third, "GET", path).status for _ in range(6)} == {200}
        assert http.http.get("/readyz").json() == {"status": "ready"}  # no key: no details
        access = http.call(third, "GET", "/readyz").json()["access"]
        assert access["problem"].startswith("The last edit of the tenants file does not load")
        assert str(http.tenants_file) not in json.dumps(access)  # the log has the rest
        assert f"{http.tenants_file}: not valid YAML" in http.log.read_text()
    finally:
        rewrite(http.tenants_file, tenants_yaml([KEYS["restaurants"], SECOND_KEY]))
        seconds_until(lambda: statuses(http, SECOND_KEY, path) == {200}, 2.0)


def test_every_write_is_audited_and_no_log_line_holds_a_key_or_a_body(http: Service) -> None:
    sid = http.seeded_session()
    ns = "restaurants.favorites.v1"
    secret = {"v": MARKER, "card": f"{MARKER}-4111111111111111"}
    calls = [
        ("restaurants", "PUT", ns, secret, "put", 200),
        ("restaurants", "PATCH", ns, {"more": MARKER}, "patch", 200),
        ("payments", "PUT", ns, secret, "put", 403),
        ("restaurants", "DELETE", ns, None, "delete", 200),
        ("platform", "DELETE", None, None, "delete_session", 200),
        (SECOND_KEY + "x", "PUT", ns, secret, "put", 401),  # a mistyped key, logged as no one
    ]
    for number, (who, method, namespace, body, _, status) in enumerate(calls):
        path = f"/v1/sessions/{sid}" + (f"/{namespace}" if namespace else "")
        headers = {"X-Request-ID": f"audit-{number}"}
        if method == "PATCH":
            headers["Content-Type"] = "application/merge-patch+json"
        assert http.call(who, method, path, body, **headers).status == status
    http.call("restaurants", "GET", f"/v1/sessions/{sid}")  # reads are not audited
    time.sleep(0.3)  # let the workers' log writes land

    text = http.log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    audit = {line["requestId"]: line for line in lines if line.get("event") == "audit"}
    for number, (who, _, namespace, _, action, status) in enumerate(calls):
        line = audit[f"audit-{number}"]
        tenant = who if who in KEYS else None
        expected_key_id = key_digest(KEYS[who])[7:19] if tenant else None
        assert {k: line[k] for k in ("tenant", "keyId", "session", "namespace")} == {
            "tenant": tenant,
            "keyId": expected_key_id,
            "session": sid,
            "namespace": namespace,
        }
        assert (line["action"], line["status"], line["level"]) == (action, status, "info")
    assert not any(line.get("action") is None and line.get("event") == "audit" for line in lines)
    for secret_text in (*KEYS.values(), SECOND_KEY, MARKER):
        assert secret_text not in text
