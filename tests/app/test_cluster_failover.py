"""A Redis Cluster that fails while the service runs, or is not there when it starts.

Through a real gunicorn: a primary killed under traffic is replaced by its
replica and the service serves on, without a restart; a cluster that no node
of answers while gunicorn starts does not stop gunicorn, and is served as
soon as it is up.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import SCHEMA_DIR, start_gunicorn, stop_process
from tests.httpclient import HttpClient
from tests.topologies import Cluster, cluster_info, wait_until

pytestmark = pytest.mark.gunicorn


def serve(cluster: Cluster, tmp_path: Path) -> tuple[object, HttpClient]:
    env = {"REDIS_URL": cluster.url, "SCHEMA_DIR": str(SCHEMA_DIR), "SCHEMA_POLL_MS": "0"}
    process, port = start_gunicorn(env, log=tmp_path / "gunicorn.log")
    return process, HttpClient(f"http://127.0.0.1:{port}", timeout=5)


def test_a_cluster_down_at_start_up_is_served_once_it_is_up(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path / "late", primaries=1, replicas=0)
    process, http = serve(cluster, tmp_path)  # no node answers yet: the workers still boot
    try:
        assert {http.get("/v1/sessions/s").status for _ in range(4)} == {503}
        cluster.start()
        served = wait_until(
            lambda: http.put_json("/v1/sessions/s/ns", {"v": 1}).status == 200, 10, "serving"
        )
        assert served and http.get("/v1/sessions/s/ns").json()["v"] == 1
        assert process.poll() is None  # type: ignore[attr-defined]
    finally:
        stop_process(process)  # type: ignore[arg-type]
        cluster.stop()


def test_a_primary_killed_under_traffic_is_replaced_and_served_without_a_restart(
    tmp_path: Path,
) -> None:
    cluster = Cluster(tmp_path / "failover", primaries=3, replicas=1, node_timeout_ms=1000)
    cluster.start()
    process, http = serve(cluster, tmp_path)
    sessions = [f"user-{n}" for n in range(30)]  # spread over every primary
    answers: list[tuple[float, int, str]] = []
    stop = threading.Event()

    def traffic() -> None:
        n = 0
        while not stop.is_set():
            sid = sessions[n % len(sessions)]
            n += 1
            reply = http.put_json(f"/v1/sessions/{sid}/ns", {"n": n})
            answers.append((time.monotonic(), reply.status, sid))

    try:
        for sid in sessions:
            assert http.put_json(f"/v1/sessions/{sid}/ns", {"n": 0}).status == 200
        victim = cluster.primary_owning("{user-0}")
        workers = [threading.Thread(target=traffic, daemon=True) for _ in range(4)]
        for worker in workers:
            worker.start()
        time.sleep(0.5)
        killed = time.monotonic()
        victim.kill()
        survivor = cluster.replicas[cluster.primaries.index(victim)][0]
        slot = cluster_slot(cluster, "{user-0}")
        took_over = lambda: _took_over(cluster, victim, survivor, slot)  # noqa: E731
        wait_until(took_over, 20, "every node serving the slot from the replica")
        promoted = time.monotonic()
        time.sleep(2.0)
        stop.set()
        for worker in workers:
            worker.join(10)
        for sid in sessions:
            assert http.get(f"/v1/sessions/{sid}/ns").status == 200
        assert process.poll() is None  # type: ignore[attr-defined]
    finally:
        stop.set()
        stop_process(process)  # type: ignore[arg-type]
        cluster.stop()
    statuses = Counter(status for _, status, _ in answers)
    assert set(statuses) <= {200, 503}, statuses
    lost = [at for at, status, sid in answers if status == 503]
    first_ok_after = min(at for at, status, sid in answers if at > promoted and status == 200)
    assert {status for at, status, _ in answers if at > promoted + 1.0} == {200}
    print(
        f"failover: {len(answers)} writes, {statuses[503]} answered 503 "
        f"over {max(lost, default=killed) - killed:.2f} s; every node named the replica "
        f"primary {promoted - killed:.2f} s after the kill; first success after it "
        f"{first_ok_after - promoted:.2f} s"
    )


def cluster_slot(cluster: Cluster, key: str) -> int:
    with cluster.primaries[0].client() as client:
        return int(client.execute_command("CLUSTER KEYSLOT", key))


def _took_over(cluster: Cluster, victim: object, survivor: object, slot: int) -> bool:
    """The fault has cleared: the replica is a primary, and every live node says so.

    The replica's own ROLE changes first; the service can only find the new
    primary once the nodes it asks for the slot map know of it too.
    """
    for node in cluster.nodes:
        if node is victim:
            continue
        with node.client() as client:
            if cluster_info(client)["cluster_state"] != "ok":
                return False
            ranges = client.execute_command("CLUSTER SLOTS")
            owner = next(r[2][1] for r in ranges if r[0] <= slot <= r[1])
            if owner != survivor.port:  # type: ignore[attr-defined]
                return False
    return True
