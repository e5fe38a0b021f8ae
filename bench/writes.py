"""What a write costs as its session grows: `.venv/bin/python bench/writes.py`.

For sessions of 1, 10 and 100 namespaces (about 300 bytes each, default
SESSION_TTL), writes one more version of one namespace, many times, through
the service itself (Flask's test client: routing, validation, the write
script), into a private valkey-server, and reports:

- the write's latency as the client sees it (median and p99, microseconds);
- Redis's own CPU per write: the write script's ``usec_per_call`` from
  ``INFO commandstats`` (the time Redis is blocked for every other client).

The bench README keeps the figures before and after the data model changed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import redis
from servers import valkey_server

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app import create_app  # noqa: E402

DOCUMENT = json.dumps({"about": "x" * 270, "visits": 42})  # about 300 bytes of client data
SHAPES = (1, 10, 100)


def measure(url: str, namespaces: int, writes: int) -> dict[str, float]:
    """Write ``writes`` times into sessions of ``namespaces`` namespaces; latency and Redis CPU."""
    store = redis.Redis.from_url(url)
    client = create_app(
        {
            "REDIS_URL": url,
            "SCHEMA_POLL_MS": 0,
            "MAX_NAMESPACES_PER_SESSION": 1000,
            "LOG_LEVEL": "ERROR",
        }
    ).test_client()
    sessions = [f"bench-{namespaces}-{n}" for n in range(10)]
    for sid in sessions:
        for ns in range(namespaces):
            put(client, f"/v1/sessions/{sid}/team{ns}.feature.v1")
    store.config_resetstat()
    took = []
    for n in range(writes):
        path = f"/v1/sessions/{sessions[n % len(sessions)]}/team0.feature.v1"
        started = time.perf_counter()
        put(client, path)
        took.append(time.perf_counter() - started)
    stats = store.info("commandstats")
    script = max(
        (stats[name] for name in ("cmdstat_evalsha", "cmdstat_fcall") if name in stats),
        key=lambda entry: entry["calls"],
    )
    took.sort()
    return {
        "p50_us": statistics.median(took) * 1e6,
        "p99_us": took[int(len(took) * 0.99)] * 1e6,
        "redis_us_per_write": float(script["usec_per_call"]),
    }


def put(client: object, path: str) -> None:
    reply = client.put(path, data=DOCUMENT, content_type="application/json")  # type: ignore[attr-defined]
    assert reply.status_code == 200, reply.data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--writes", type=int, default=3000)
    args = parser.parse_args()
    print(f"{'namespaces':>10} {'p50 µs':>8} {'p99 µs':>8} {'Redis µs/write':>15}")
    rows = {}
    for shape in SHAPES:
        with tempfile.TemporaryDirectory() as tmp, valkey_server(Path(tmp)) as url:
            rows[shape] = measure(url, shape, args.writes)
        row = rows[shape]
        print(
            f"{shape:>10} {row['p50_us']:8.0f} {row['p99_us']:8.0f} "
            f"{row['redis_us_per_write']:15.1f}"
        )
    ratio = rows[SHAPES[-1]]["p50_us"] / rows[SHAPES[0]]["p50_us"]
    print(f"write to a session of {SHAPES[-1]} / of {SHAPES[0]} (p50): {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
