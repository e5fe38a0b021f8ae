"""Chaos: two workers under mixed traffic while the store is broken in every way we know.

A real gunicorn (two workers, a tenants file, so every request is also
rate-counted) serves eight clients writing, patching and reading their own
sessions, and a prober reading every 50 ms. Meanwhile the store (a real
Valkey with an append-only file) is restarted, made a read-only replica and
back, filled to maxmemory and freed, has its scripts flushed and its client
connections killed, and is frozen for a second. Afterwards:

- no request was ever answered 500 (or anything but 200, 404 and 503);
- after each fault cleared, the prober was answered 200 within a second;
- every write answered 200 is what a read finds now, or a later write is
  (a write that timed out may still have been applied: it was not answered
  200, so nothing was promised).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.access.tenants import generate_key, key_digest
from tests.conftest import SCHEMA_DIR, start_gunicorn, stop_process
from tests.faults import Faults, faulty_server
from tests.httpclient import HttpClient
from tests.stored import stored
from tests.topologies import Server

pytestmark = pytest.mark.gunicorn

KEY = generate_key()
HEADERS = {"Authorization": f"Bearer {KEY}"}
WRITERS = 8
HEALED_WITHIN_S = 1.0
QUIET_S = 2.0  # between faults


@dataclass
class Traffic:
    """Clients doing PUT, PATCH, GET and multi-reads of their own sessions, every answer kept."""

    http: HttpClient
    statuses: Counter[int] = field(default_factory=Counter)
    acknowledged: dict[str, int] = field(default_factory=dict)  # path: last n answered 200
    attempted: dict[str, int] = field(default_factory=dict)  # path: last n sent
    probes: list[tuple[float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._write, args=(i,)) for i in range(WRITERS)]
        threads.append(threading.Thread(target=self._probe))
        for thread in threads:
            thread.daemon = True
            thread.start()
        return threads

    def stop(self, threads: list[threading.Thread]) -> None:
        self._stop.set()
        for thread in threads:
            thread.join(15)
            assert not thread.is_alive(), "a client never got an answer"

    def _write(self, number: int) -> None:
        n = 0
        while not self._stop.is_set():
            n += 1
            path = f"/v1/sessions/chaos-{number}-{n % 5}/ns"
            with self._lock:
                self.attempted[path] = n
            if n % 3:
                reply = self._send("PUT", path, {"n": n}, "application/json")
            else:
                reply = self._send("PATCH", path, {"n": n}, "application/merge-patch+json")
            if reply == 200:
                with self._lock:
                    self.acknowledged[path] = n
            self._send(
                "GET", path if n % 2 else f"/v1/sessions/chaos-{number}-{n % 5}?namespaces=ns"
            )

    def _send(self, method: str, path: str, body: object = None, media: str = "") -> int:
        headers = dict(HEADERS, **({"Content-Type": media} if media else {}))
        data = json.dumps(body).encode() if body is not None else None
        status = self.http.request(method, path, data, headers).status
        with self._lock:
            self.statuses[status] += 1
        return status

    def _probe(self) -> None:
        while not self._stop.is_set():
            status = self.http.get("/v1/sessions/prober", HEADERS).status
            self.probes.append((time.monotonic(), status))
            time.sleep(0.05)

    def healed_after(self, cleared: float) -> float:
        """Seconds from ``cleared`` to the prober's first 200 after it."""
        return min(at for at, status in self.probes if at >= cleared and status == 200) - cleared


def restart(server: Server) -> None:
    server.stop()  # SIGTERM: Valkey writes its append-only file out first
    time.sleep(0.5)
    server.start()
    server.wait_ready()


def test_the_service_survives_every_fault_and_loses_no_acknowledged_write(tmp_path: Path) -> None:
    server = faulty_server(tmp_path / "valkey")
    with server.client() as client:
        client.config_set("appendonly", "yes")  # a restart must keep what was acknowledged
    faults = Faults(server)
    tenants = tmp_path / "tenants.yaml"
    tenants.write_text(
        f'tenants:\n  ops:\n    keys: ["{key_digest(KEY)}"]\n    read: ["*"]\n    write: ["*"]\n'
    )
    env = {
        "REDIS_URL": f"redis://127.0.0.1:{server.port}",
        "SCHEMA_DIR": str(SCHEMA_DIR),
        "TENANTS_FILE": str(tenants),
        "RATE_LIMIT": "100000/second",  # failing fast, requests come faster than the default
    }
    process, port = start_gunicorn(env, log=tmp_path / "gunicorn.log")
    traffic = Traffic(HttpClient(f"http://127.0.0.1:{port}", timeout=10))
    schedule: list[tuple[str, Callable[[], None], float]] = [
        ("restart", lambda: restart(server), 0.0),
        ("read-only replica", faults.read_only, 1.5),
        ("full", faults.full, 1.5),
        ("scripts flushed", faults.flush_scripts, 0.0),
        ("connections killed", faults.kill_clients, 0.0),
        ("frozen", faults.freeze, 1.0),
    ]
    recoveries = {}
    threads = traffic.start()
    try:
        time.sleep(QUIET_S)
        for name, inject, lasts in schedule:
            inject()
            time.sleep(lasts)
            faults.clear()
            cleared = time.monotonic()
            time.sleep(QUIET_S)
            recoveries[name] = traffic.healed_after(cleared)
    finally:
        traffic.stop(threads)
        stop_process(process)
    try:
        with server.client() as client:
            stored = {p: _stored(client, p) for p in traffic.acknowledged}
    finally:
        server.stop()
    print(
        f"chaos: {sum(traffic.statuses.values())} requests {dict(traffic.statuses)}; "
        f"recovery after each fault (s): { {k: round(v, 2) for k, v in recoveries.items()} }"
    )
    assert set(traffic.statuses) <= {200, 404, 503}, traffic.statuses
    assert traffic.statuses[200] > 1000
    slow = {name: took for name, took in recoveries.items() if took > HEALED_WITHIN_S}
    assert not slow, f"not healed within {HEALED_WITHIN_S} s: {slow}"
    for path, acknowledged in traffic.acknowledged.items():
        assert acknowledged <= stored[path] <= traffic.attempted[path], path


def _stored(client: object, path: str) -> int:
    _, _, _, sid, ns = path.split("/")
    document = stored(client, sid, ns)  # type: ignore[attr-defined]
    return int(json.loads(document)["n"])
