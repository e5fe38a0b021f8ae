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
        wait_until(lambda: _promoted(survivor), 20, "the replica taking over")
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
        f"over {max(lost, default=killed) - killed:.2f} s; replica promoted "
        f"{promoted - killed:.2f} s after the kill; first success after it "
        f"{first_ok_after - promoted:.2f} s"
    )


def _promoted(node: object) -> bool:
    with node.client() as client:  # type: ignore[attr-defined]
        role = client.execute_command("ROLE")[0]
        return role == b"master" and cluster_info(client)["cluster_state"] == "ok"
