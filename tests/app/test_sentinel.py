"""The service on a Sentinel-watched primary with one replica, on loopback.

Every endpoint through gunicorn, the rate limiter, WRITE_REPLICAS with the
replica in step and stalled, and a failover that the running service follows
without a restart, losing nothing that was written before it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask

from app.api.http import REPLICAS_HEADER
from app.config import ConfigError, load_config
from app.store.client import PRIMARY_CHECK_SECONDS, parse_seeds
from tests.conftest import SCHEMA_DIR, start_gunicorn, stop_process
from tests.httpclient import HttpClient, Reply
from tests.stored import stored
from tests.topologies import (
    SentinelGroup,
    check_rate_limit,
    rate_limited_tenants,
    wait_until,
    walk_every_endpoint,
)

pytestmark = pytest.mark.gunicorn


@pytest.fixture(scope="module")
def group(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SentinelGroup]:
    """A primary, its replica and a sentinel, for the module's tests."""
    topology = SentinelGroup(tmp_path_factory.mktemp("sentinel"))
    try:
        topology.start()
        yield topology
    finally:
        topology.stop()


@pytest.fixture
def empty_group(group: SentinelGroup) -> SentinelGroup:
    """The module's set-up with the primary emptied and the replica caught up."""
    with group.primary().client() as client:
        client.flushall()
    wait_until(lambda: group.replica_in_sync(group.replica()), 10, "replica in sync")
    return group


@pytest.fixture(scope="module")
def sentinel_http(group: SentinelGroup) -> Iterator[HttpClient]:
    """gunicorn on the Sentinel URL (REDIS_URL), each write waiting for one replica."""
    settings = {"REDIS_URL": group.url, "SCHEMA_DIR": str(SCHEMA_DIR), "WRITE_REPLICAS": "1"}
    process, port = start_gunicorn({**settings, "SCHEMA_POLL_MS": "0"}, workers=2)
    try:
        yield HttpClient(f"http://127.0.0.1:{port}", timeout=5)
    finally:
        stop_process(process)


def test_every_endpoint_works_through_sentinel(
    empty_group: SentinelGroup, sentinel_http: HttpClient
) -> None:
    walk_every_endpoint(sentinel_http, "user-1337", replicas="1/1")
    with empty_group.primary().client() as client:  # it went to the primary Sentinel names
        assert sentinel_http.put_json("/v1/sessions/u/ns", {"v": 1}).status == 200
        assert stored(client, "u", "ns") is not None


def test_rate_limit_is_429_through_sentinel(
    empty_group: SentinelGroup, make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    tenants, headers = rate_limited_tenants(tmp_path)
    client = make_app(REDIS_URL=empty_group.url, TENANTS_FILE=tenants).test_client()
    check_rate_limit(client, headers)
    with empty_group.primary().client() as store:
        assert [int(store.get(key)) for key in store.scan_iter("sessionator:rate:*")] == [3]


def test_write_replicas_reports_each_acknowledgement(
    empty_group: SentinelGroup, make_app: Callable[..., Flask]
) -> None:
    with empty_group.primary().client() as store:
        store.script_flush()  # the first write meets NOSCRIPT, loads the script, runs again
    client = make_app(REDIS_URL=empty_group.url, WRITE_REPLICAS=1).test_client()
    writes = [
        client.put("/v1/sessions/s/a", json={"v": 1}),
        client.patch(
            "/v1/sessions/s/a", data=b'{"w": 2}', content_type="application/merge-patch+json"
        ),
        client.post("/v1/sessions/s/_touch"),
        client.delete("/v1/sessions/s/a"),
    ]
    assert [(w.status_code, w.headers[REPLICAS_HEADER]) for w in writes] == [(200, "1/1")] * 4
    client.put("/v1/sessions/s/b", json={"v": 1})
    removed = client.delete("/v1/sessions/s")
    assert (removed.json, removed.headers[REPLICAS_HEADER]) == ({"removed": 1}, "1/1")
    nothing = client.delete("/v1/sessions/s")  # nothing written: nothing to acknowledge
    assert REPLICAS_HEADER not in nothing.headers
    refused = client.put("/v1/sessions/s/b", json={"v": 1}, headers={"If-Match": '"nope"'})
    assert refused.status_code == 412 and REPLICAS_HEADER not in refused.headers
    assert REPLICAS_HEADER not in client.get("/v1/sessions/s").headers


def test_a_write_no_replica_acknowledges_is_200_after_the_timeout(
    empty_group: SentinelGroup, make_app: Callable[..., Flask]
) -> None:
    """The write is done on the primary: 200, with 0/1 saying no replica has it yet."""
    client = make_app(
        REDIS_URL=empty_group.url, WRITE_REPLICAS=1, WRITE_REPLICAS_TIMEOUT_MS=80
    ).test_client()
    with empty_group.replica().paused():
        started = time.monotonic()
        reply = client.put("/v1/sessions/s/a", json={"v": 1})
        waited = time.monotonic() - started
        assert (reply.status_code, reply.headers[REPLICAS_HEADER]) == (200, "0/1")
        assert waited >= 0.08
        assert client.get("/v1/sessions/s/a").json["v"] == 1
    wait_until(lambda: empty_group.replica_in_sync(empty_group.replica()), 10, "catching up")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("redis+sentinel://127.0.0.1:26379", "REDIS_URL must name the Sentinel service"),
        ("redis+sentinel://127.0.0.1:26379/", "REDIS_URL must name the Sentinel service"),
        ("redis+sentinel://127.0.0.1:26379/a/b", "REDIS_URL must name the Sentinel service"),
        ("redis+sentinel:///mymaster", "REDIS_URL names no host:port"),
        ("redis+sentinel://h:1/mymaster?db=x", "REDIS_URL has \\?db='x'"),
        ("redis+sentinel://h:1/mymaster?ssl=1", "REDIS_URL takes only \\?db="),
    ],
)
def test_a_malformed_sentinel_url_stops_start_up_naming_redis_url(url: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        load_config({"REDIS_URL": url}, environ={})


def test_a_sentinel_url_takes_sentinels_service_db_and_credentials() -> None:
    seeds = parse_seeds("redis+sentinel://:secret@10.0.0.1:26379,10.0.0.2:26380/cache?db=2")
    assert seeds.nodes == (("10.0.0.1", 26379), ("10.0.0.2", 26380))
    assert (seeds.service, seeds.db, seeds.username, seeds.password) == (
        "cache",
        2,
        None,
        "secret",
    )


@pytest.mark.parametrize(
    ("settings", "ok"),
    [
        ({"WRITE_REPLICAS": 1}, True),  # 50 ms, within the default 200 ms timeout
        ({"WRITE_REPLICAS": 1, "WRITE_REPLICAS_TIMEOUT_MS": 99}, True),
        ({"WRITE_REPLICAS": 1, "WRITE_REPLICAS_TIMEOUT_MS": 100}, False),
        ({"WRITE_REPLICAS": 1, "WRITE_REPLICAS_TIMEOUT_MS": 400, "REDIS_TIMEOUT_MS": 501}, True),
        ({"WRITE_REPLICAS": 0, "WRITE_REPLICAS_TIMEOUT_MS": 5000}, True),  # not used
        ({"WRITE_REPLICAS": -1}, False),
    ],
)
def test_write_replicas_must_wait_less_than_the_command_timeout(
    settings: dict[str, int], ok: bool
) -> None:
    values = {"REDIS_URL": "redis://localhost", **settings}
    if ok:
        load_config(values, environ={})
    else:
        with pytest.raises(ConfigError, match="WRITE_REPLICAS"):
            load_config(values, environ={})


@dataclass
class Traffic:
    """Requests made while a failover happens: when (s since the start), what, the answer."""

    started: float = field(default_factory=time.monotonic)
    log: list[tuple[float, str, Reply]] = field(default_factory=list)
    switched: float | None = None  # when the sentinel first named the new primary

    def now(self) -> float:
        return time.monotonic() - self.started

    def record(self, kind: str, reply: Reply) -> None:
        self.log.append((self.now(), kind, reply))

    def failures(self) -> list[tuple[float, str, Reply]]:
        return [entry for entry in self.log if entry[2].status != 200]

    def settled(self, seconds: float) -> bool:
        """Whether the sentinel switched, and nothing failed, for the last ``seconds``."""
        failed = [when for when, _, _ in self.failures()]
        calm_since = max([self.switched or math.inf, *failed])
        return self.now() >= calm_since + seconds


def test_the_service_recovers_when_the_primary_crashes(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    """SIGKILL the primary: 503 store_unavailable until Sentinel promotes the replica, then
    everything written before it died (and replicated) is served again."""
    crashing = SentinelGroup(tmp_path / "crashing")
    try:
        crashing.start()
        client = make_app(REDIS_URL=crashing.url).test_client()
        for i in range(20):
            assert client.put(f"/v1/sessions/user-{i}/ns", json={"i": i}).status_code == 200
        wait_until(lambda: crashing.replica_in_sync(crashing.replica()), 10, "replica in sync")
        old_primary = crashing.primary_port()

        crashing.primary().kill()
        traffic = Traffic()
        while not traffic.settled(PRIMARY_CHECK_SECONDS + 1):
            assert traffic.now() < 30, "no failover within 30 s"
            if traffic.switched is None and crashing.primary_port() != old_primary:
                traffic.switched = traffic.now()
            for kind, reply in (
                ("write", client.put("/v1/sessions/during/ns", json={"at": traffic.now()})),
                ("read", client.get(f"/v1/sessions/user-{len(traffic.log) % 20}/ns")),
            ):
                traffic.record(kind, Reply(reply.status_code, reply.headers, reply.data))
            time.sleep(0.01)

        failed = traffic.failures()
        assert failed, "the primary died: some requests must have failed"
        for _, _, reply in failed:
            assert (reply.status, reply.json()["error"]) == (503, "store_unavailable")
            assert reply.headers["Retry-After"] == "1"
        for i in range(20):
            assert client.get(f"/v1/sessions/user-{i}/ns").json["i"] == i
        first_ok = next(when for when, _, r in traffic.log if when > failed[-1][0])
        print(
            f"\ncrash: sentinel named the new primary {traffic.switched:.2f} s after the kill; "
            f"{len(failed)} of {len(traffic.log)} requests answered 503, from "
            f"{failed[0][0]:.2f} s to {failed[-1][0]:.2f} s; serving again at {first_ok:.2f} s"
        )
    finally:
        crashing.stop()


def test_the_service_follows_a_failover_without_a_restart(
    empty_group: SentinelGroup, sentinel_http: HttpClient
) -> None:
    """Last of the tests on ``group``: afterwards its old replica is the primary, and the old
    primary takes seconds to become a replica."""
    before = {f"user-{i}": {"i": i} for i in range(20)}
    for sid, document in before.items():
        assert sentinel_http.put_json(f"/v1/sessions/{sid}/ns", document).status == 200
    old_primary = empty_group.primary_port()
    wait_until(lambda: empty_group.replica_in_sync(empty_group.replica()), 10, "replica in sync")

    traffic, written = Traffic(), {}  # n: (when, status, Sessionator-Replicas)
    empty_group.request_failover()
    while not traffic.settled(2 * PRIMARY_CHECK_SECONDS + 1):
        assert traffic.now() < 30, traffic.failures()
        if traffic.switched is None and empty_group.primary_port() != old_primary:
            traffic.switched = traffic.now()
        n = len(written)
        reply = sentinel_http.put_json(f"/v1/sessions/during-{n}/ns", {"n": n})
        traffic.record("write", reply)
        written[n] = (traffic.log[-1][0], reply.status, reply.headers[REPLICAS_HEADER])
        traffic.record("read", sentinel_http.get(f"/v1/sessions/user-{n % 20}/ns"))

    for _, _, reply in traffic.failures():  # a request may meet the switch: only ever 503
        assert (reply.status, reply.json()["error"]) == (503, "store_unavailable"), reply.body
    for sid, document in before.items():  # written before, on the replica that took over
        reply = sentinel_http.get(f"/v1/sessions/{sid}/ns")
        assert (reply.status, reply.json()["i"]) == (200, document["i"])
    with empty_group.primary().client() as client:  # where each acknowledged write landed
        stranded = [
            (when, acknowledged)
            for n, (when, status, acknowledged) in written.items()
            if status == 200 and stored(client, f"during-{n}", "ns") is None
        ]
    assert traffic.switched is not None
    # Writes that went to the old primary after the promotion are lost when Sentinel makes it
    # a replica; the workers stop sending it any within PRIMARY_CHECK_SECONDS of the switch,
    # and each of those said that no replica had it.
    assert all(when < traffic.switched + PRIMARY_CHECK_SECONDS + 0.5 for when, _ in stranded)
    assert {acknowledged for _, acknowledged in stranded} <= {"0/1"}
    failed = [when for when, _, _ in traffic.failures()]
    print(
        f"\nfailover: switch named by the sentinel {traffic.switched:.2f} s after asking; "
        f"{len(traffic.log)} requests over {traffic.now():.2f} s; {len(failed)} answered 503"
        + (f" (from {failed[0]:.2f} s to {failed[-1]:.2f} s)" if failed else "")
        + f"; {len(stranded)} of {len(written)} acknowledged writes stranded on the old primary"
        + (f" (the last at {max(stranded)[0]:.2f} s)" if stranded else "")
    )
