"""The service on a real Redis Cluster: 3 primaries, each with a replica, on loopback.

Every endpoint through gunicorn, sessions spread over every primary with each
session in one slot, the rate limiter, WRITE_REPLICAS routed to the session's
own primary, and an outage answered as one (503), not as a bug (500).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from app.api.http import REPLICAS_HEADER
from app.config import ConfigError, load_config
from app.store.client import Cluster as ClusterClient
from app.store.client import parse_seeds, redis_client
from tests.conftest import SCHEMA_DIR, start_gunicorn, stop_process
from tests.httpclient import HttpClient
from tests.stored import KEYS
from tests.topologies import (
    Cluster,
    check_rate_limit,
    rate_limited_tenants,
    wait_until,
    walk_every_endpoint,
)

pytestmark = pytest.mark.gunicorn


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Three primaries with one replica each, for the module's tests."""
    topology = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        topology.start()
        yield topology
    finally:
        topology.stop()


@pytest.fixture
def empty_cluster(cluster: Cluster) -> Cluster:
    """The module's cluster, every primary emptied (they are ours to flush)."""
    for node in cluster.primaries:
        with node.client() as client:
            client.flushall()
    return cluster


@pytest.fixture(scope="module")
def cluster_http(cluster: Cluster) -> Iterator[HttpClient]:
    """gunicorn on the cluster (REDIS_URL), each write waiting for one replica."""
    settings = {"REDIS_URL": cluster.url, "SCHEMA_DIR": str(SCHEMA_DIR), "WRITE_REPLICAS": "1"}
    process, port = start_gunicorn({**settings, "SCHEMA_POLL_MS": "0"}, workers=1)
    try:
        yield HttpClient(f"http://127.0.0.1:{port}")
    finally:
        stop_process(process)


def keys_by_node(cluster: Cluster) -> dict[int, list[bytes]]:
    """Every key each primary holds, by the primary's port."""
    found = {}
    for node in cluster.primaries:
        with node.client() as client:
            found[node.port] = list(client.scan_iter(count=1000))
    return found


def test_every_endpoint_works_on_a_cluster(
    empty_cluster: Cluster, cluster_http: HttpClient
) -> None:
    for sid in ("user-1337", "user-42", "a"):  # sessions on different primaries
        walk_every_endpoint(cluster_http, sid, replicas="1/1")


def test_sessions_spread_over_every_primary_each_in_one_slot(
    empty_cluster: Cluster, cluster_http: HttpClient
) -> None:
    for i in range(30):
        for ns in ("a", "b"):
            assert cluster_http.put_json(f"/v1/sessions/user-{i}/{ns}", {"i": i}).status == 200
    slots_of: dict[str, set[int]] = defaultdict(set)
    nodes_of: dict[str, set[int]] = defaultdict(set)
    with empty_cluster.primaries[0].client() as client:
        for port, keys in keys_by_node(empty_cluster).items():
            for key in keys:
                sid = key.decode().split("{", 1)[1].split("}", 1)[0]
                slots_of[sid].add(int(client.execute_command("CLUSTER KEYSLOT", key)))
                nodes_of[sid].add(port)
    assert len(slots_of) == 30
    assert all(len(slots) == 1 for slots in slots_of.values()), slots_of
    assert all(len(ports) == 1 for ports in nodes_of.values()), nodes_of
    used = {port for ports in nodes_of.values() for port in ports}
    assert used == {node.port for node in empty_cluster.primaries}


def test_rate_limit_is_429_on_a_cluster(
    empty_cluster: Cluster, make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    tenants, headers = rate_limited_tenants(tmp_path)
    client = make_app(REDIS_URL=empty_cluster.url, TENANTS_FILE=tenants).test_client()
    check_rate_limit(client, headers)
    counters = [k for keys in keys_by_node(empty_cluster).values() for k in keys]
    assert counters and all(key.startswith(b"sessionator:rate:limited:") for key in counters)


def test_write_replicas_waits_on_the_sessions_own_primary(
    empty_cluster: Cluster, make_app: Callable[..., Flask]
) -> None:
    """WAIT goes with the write to the session's primary: only its replica counts."""
    for node in empty_cluster.primaries:
        with node.client() as store:
            store.script_flush()  # each primary's first write meets NOSCRIPT first
    client = make_app(REDIS_URL=empty_cluster.url, WRITE_REPLICAS=1).test_client()
    stalled = empty_cluster.primary_owning(KEYS.session("user-0"))
    replica = empty_cluster.replicas[empty_cluster.primaries.index(stalled)][0]
    acknowledged = {}
    with replica.paused():
        for i in range(12):
            sid = f"user-{i}"
            started = time.monotonic()
            reply = client.put(f"/v1/sessions/{sid}/ns", json={"i": i})
            assert reply.status_code == 200, reply.data
            on_stalled = empty_cluster.primary_owning(KEYS.session(sid)) is stalled
            acknowledged[sid] = (on_stalled, reply.headers[REPLICAS_HEADER])
            if on_stalled:
                assert time.monotonic() - started >= 0.05  # it waited WRITE_REPLICAS_TIMEOUT_MS
    assert {on: header for on, header in acknowledged.values()} == {True: "0/1", False: "1/1"}


def test_an_unreachable_cluster_is_503_and_serving_resumes(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    """redis-py's cluster errors are not RedisErrors; they must still be 503, never 500."""
    single = Cluster(tmp_path / "single", primaries=1, replicas=0)
    try:
        single.start()
        client = make_app(REDIS_URL=single.url).test_client()
        assert client.put("/v1/sessions/s/ns", json={"v": 1}).status_code == 200
        node = single.primaries[0]
        node.stop()
        for path in ("/v1/sessions/s/ns", "/v1/sessions/s", "/readyz"):
            reply = client.get(path)
            assert reply.status_code == 503, reply.data
            assert reply.json is not None and reply.json["error"] == "store_unavailable"
        node.start()  # same nodes.conf: same node id and slots
        node.wait_ready()
        wait_until(
            lambda: client.put("/v1/sessions/s/ns", json={"v": 2}).status_code == 200,
            10,
            "serving again",
        )
    finally:
        single.stop()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("redis+cluster://", "REDIS_URL names no host:port to start from"),
        ("redis+cluster://127.0.0.1:7000,nohost", "REDIS_URL has 'nohost' where a host:port"),
        ("redis+cluster://127.0.0.1:7000/1", "REDIS_URL takes no path or query"),
        ("redis+cluster://127.0.0.1:99999", "REDIS_URL has '127.0.0.1:99999' where"),
    ],
)
def test_a_malformed_cluster_url_stops_start_up_naming_redis_url(url: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        load_config({"REDIS_URL": url}, environ={})


def test_a_cluster_url_takes_seeds_and_credentials() -> None:
    seeds = parse_seeds("redis+cluster://user:p%40ss@10.0.0.1:7000,[::1]:7001")
    assert seeds.nodes == (("10.0.0.1", 7000), ("::1", 7001))
    assert (seeds.username, seeds.password) == ("user", "p@ss")
    assert parse_seeds("redis+cluster://:secret@h:1").password == "secret"


def test_two_seeds_are_enough_to_find_every_node(cluster: Cluster) -> None:
    client = redis_client(cluster.url, 200)
    try:
        assert isinstance(client, ClusterClient)
        assert {n.port for n in client.get_primaries()} == {p.port for p in cluster.primaries}
        assert len(client.get_replicas()) == 3
    finally:
        client.close()
