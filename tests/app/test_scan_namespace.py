"""SessionRepository.scan_namespace: every stored document of one namespace, SCAN-based and paced.

On the private Valkey and on a real three-primary Redis Cluster (no
replicas: only the walk over every primary is under test here).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis

from app.documents import stamp
from app.store.client import redis_client
from app.store.keys import KeySpace
from app.store.pacing import Pace
from app.store.repository import SessionRepository
from tests.topologies import Cluster

NAMESPACE = "team.x.v1"


def document(sid: str, ns: str, **data: object) -> bytes:
    """A document as the service writes it."""
    return stamp(data, sid, ns, datetime(2026, 1, 1, tzinfo=UTC))


def fill(repository: SessionRepository, sessions: int) -> set[tuple[str, bytes]]:
    """Write a document of NAMESPACE, and of two names that contain it, per session."""
    written = set()
    for i in range(sessions):
        sid = f"s{i}"
        repository.put(sid, NAMESPACE, mine := document(sid, NAMESPACE, i=i))
        repository.put(sid, f"{NAMESPACE}.other", document(sid, f"{NAMESPACE}.other"))
        repository.put(sid, f"other.{NAMESPACE}", document(sid, f"other.{NAMESPACE}"))
        written.add((sid, mine))
    return written


def test_every_document_of_the_namespace_and_nothing_else(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    repository = SessionRepository(client, KeySpace("t"))
    written = fill(repository, 250)
    SessionRepository(client, KeySpace("u")).put("s0", "team.x.v1", document("s0", "team.x.v1"))
    found = list(repository.scan_namespace("team.x.v1", batch=100, keys_per_second=1e9))
    assert sorted(set(found)) == sorted(written)
    assert len(found) == len(set(found))  # no rehashing happened: no key seen twice
    assert list(repository.scan_namespace("team.none.v1", keys_per_second=1e9)) == []


def test_a_prefix_with_glob_characters_matches_only_itself(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    star, plain = (
        SessionRepository(client, KeySpace("a*")),
        SessionRepository(client, KeySpace("ab")),
    )
    star.put("s1", "team.x.v1", starred := document("s1", "team.x.v1", star=1))
    plain.put("s2", "team.x.v1", document("s2", "team.x.v1", plain=1))
    assert list(star.scan_namespace("team.x.v1")) == [("s1", starred)]


def test_the_walk_is_paced_in_keys_per_second(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    repository = SessionRepository(client, KeySpace("t"))
    fill(repository, 200)  # 200 keys: one hash per session
    keys = client.dbsize()
    started = time.monotonic()
    found = list(repository.scan_namespace("team.x.v1", batch=100, keys_per_second=2000))
    elapsed = time.monotonic() - started
    calls = keys // 100  # SCAN visits at least this many times COUNT keys
    assert len(set(found)) == 200
    assert elapsed >= (calls - 1) * 100 / 2000


def test_pace_spaces_steps_without_catching_up() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pace = Pace(0.5, clock=lambda: now[0], sleep=sleep)
    pace.wait()  # the first step starts at once
    now[0] += 0.2
    pace.wait()  # 0.3 s early
    now[0] += 2.0  # a slow step
    pace.wait()  # starts at once, and the next one 0.5 s after it, not sooner
    pace.wait()
    assert slept == [pytest.approx(0.3), pytest.approx(0.5)]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    topology = Cluster(tmp_path_factory.mktemp("scan-cluster"), primaries=3, replicas=0)
    try:
        topology.start()
        yield topology
    finally:
        topology.stop()


def test_on_a_cluster_every_primary_is_walked(cluster: Cluster) -> None:
    client = redis_client(cluster.url, 2000)
    repository = SessionRepository(client, KeySpace("t"))
    written = fill(repository, 120)
    keys = KeySpace("t")
    holders = {cluster.primary_owning(keys.session(sid)).port for sid, _ in written}
    assert len(holders) == 3  # the sessions are spread over every primary
    found = list(repository.scan_namespace("team.x.v1", batch=50, keys_per_second=1e9))
    assert sorted(set(found)) == sorted(written)
    client.close()
