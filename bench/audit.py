"""What `sessionator schemas audit` costs: `.venv/bin/python bench/audit.py [SESSIONS [BATCH]]`.

Fills a private valkey-server (unix socket, nothing else on it) with SESSIONS
sessions (default 100,000), each holding the audited namespace and one other
(the default SESSION_TTL: one hash per session, that expires), then walks the audited namespace with
`SessionRepository.scan_namespace`, unpaced and at the default pace, while
another process reads documents one at a time and records each read's
latency. BATCH is SCAN's COUNT (default: the audit's). Prints keys examined
per second, the walk's duration, Redis's own time per SCAN and per HGET (INFO
commandstats), and the reader's latencies without a walk and during each.
docs/schema-language.md quotes the output.
"""

import multiprocessing
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import redis
from servers import valkey_server

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.documents import stamp  # noqa: E402
from app.schema_cli import DEFAULT_BATCH, DEFAULT_RATE  # noqa: E402
from app.store.keys import KeySpace  # noqa: E402
from app.store.policies import Lifetime  # noqa: E402
from app.store.repository import SessionRepository  # noqa: E402

NAMESPACE = "team.audited.v1"
DATA = {"displayName": "Benchmark User 00042", "locale": "en-GB", "visits": 42}
NOW = datetime(2026, 1, 1, tzinfo=UTC)
READ_SECONDS = 4.0


def fill(repository: SessionRepository, sessions: int) -> None:
    """Write every session's two documents through the write script, as the service does."""
    for index in range(sessions):
        sid = f"user-{index:08d}"
        for namespace in (NAMESPACE, "team.other.v1"):
            data = {**DATA, "about": str(index)}
            repository.put(sid, namespace, stamp(data, sid, namespace, NOW))


def reader(url: str, seconds: float, results: "multiprocessing.Queue[list[float]]") -> None:
    """Read one document after another for ``seconds``; put each read's latency (ms)."""
    repository = SessionRepository(redis.Redis.from_url(url))
    latencies = []
    deadline = time.monotonic() + seconds
    index = 0
    while time.monotonic() < deadline:
        started = time.perf_counter()
        repository.read(f"user-{index % 1000:08d}", NAMESPACE)
        latencies.append((time.perf_counter() - started) * 1000)
        index += 1
    results.put(latencies)


def walk(
    repository: SessionRepository, rate: float, batch: int, url: str
) -> tuple[float, int, list[float]]:
    """Walk the namespace at ``rate`` keys/s while a reader runs; seconds, documents, latencies."""
    results: multiprocessing.Queue[list[float]] = multiprocessing.Queue()
    probe = multiprocessing.Process(target=reader, args=(url, READ_SECONDS, results))
    probe.start()
    time.sleep(0.5)  # the reader is reading before the walk starts
    started = time.monotonic()
    documents = repository.scan_namespace(NAMESPACE, batch=batch, keys_per_second=rate)
    found = sum(1 for _ in documents)
    seconds = time.monotonic() - started
    latencies = results.get()
    probe.join()
    return seconds, found, latencies


def describe(latencies: list[float]) -> str:
    """Median, 99th percentile and worst of a reader's latencies."""
    cuts = statistics.quantiles(latencies, n=100)
    worst = max(latencies)
    return (
        f"{len(latencies)} reads, p50 {cuts[49]:.3f} ms, p99 {cuts[98]:.3f} ms, max {worst:.2f} ms"
    )


def per_call(client: redis.Redis, command: str) -> str:
    """Redis's own microseconds per call of ``command`` so far."""
    stats = client.info("commandstats").get(f"cmdstat_{command}", {})
    return f"{stats.get('usec_per_call', 0):.1f} µs over {stats.get('calls', 0)} calls"


def main() -> int:
    sessions = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_BATCH
    with (
        tempfile.TemporaryDirectory(prefix="sessionator-audit-") as tmp,
        valkey_server(Path(tmp)) as url,
    ):
        client = redis.Redis.from_url(url)
        repository = SessionRepository(client, KeySpace(), Lifetime(session_ttl=86_400))
        started = time.monotonic()
        fill(repository, sessions)
        keys = client.dbsize()
        print(f"{sessions} sessions, {keys} keys, filled in {time.monotonic() - started:.1f} s")
        client.config_resetstat()
        results: multiprocessing.Queue[list[float]] = multiprocessing.Queue()
        reader(url, READ_SECONDS - 0.5, results)
        print(f"no walk:            {describe(results.get())}")
        for label, rate in (("unpaced", 1e12), (f"{DEFAULT_RATE} keys/s", DEFAULT_RATE)):
            seconds, found, latencies = walk(repository, rate, batch, url)
            print(
                f"walk, {label}: {found} documents in {seconds:.2f} s, {keys / seconds:,.0f} keys/s"
            )
            print(f"  reader meanwhile: {describe(latencies)}")
        print(f"Redis time per SCAN (COUNT {batch}): {per_call(client, 'scan')}")
        print(f"Redis time per HGET: {per_call(client, 'hget')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
