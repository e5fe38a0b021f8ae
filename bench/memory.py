"""How much Redis memory sessions take: `.venv/bin/python bench/memory.py`.

Writes sessions through the service itself (Flask's test client, the real
write script, default SESSION_TTL so every key carries its expiry) into a
private valkey-server, in rounds of different shapes, and reads Redis's own
``used_memory`` after each. A least-squares fit over the rounds gives the cost
of a session and of each namespace in it; the README's capacity planning
quotes the output. Documents are the benchmark's ~300-byte ones.
"""

import json
import sys
import tempfile
from pathlib import Path

import redis
from servers import valkey_server

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app import create_app  # noqa: E402
from app.store.keys import KeySpace  # noqa: E402

SESSIONS = 2000
SHAPES = (1, 3, 5, 10)  # namespaces per session, one round each
DOCUMENT = {
    "displayName": "Benchmark User 00042",
    "email": "user42@bench.example.com",
    "locale": "en-GB",
    "lastSeen": "2024-05-01T12:34:56.789Z",
    "visits": 42,
    "recent": ["/restaurants/42", "/restaurants/43", "/search"],
    "about": "A benchmark session with a small chaotic namespace document.",
}


def main() -> int:
    body = json.dumps(DOCUMENT)
    rows = []
    for shape in SHAPES:
        with (
            tempfile.TemporaryDirectory(prefix="sessionator-memory-") as tmp,
            valkey_server(Path(tmp)) as url,  # a new server per round: nothing left over
        ):
            store = redis.Redis.from_url(url)
            settings = {"REDIS_URL": url, "SCHEMA_POLL_MS": 0, "LOG_LEVEL": "ERROR"}
            client = create_app(settings).test_client()
            # Connections, the write and read scripts and Lua's own memory in place before the
            # baseline: those are paid once per server, not per session.
            client.put("/v1/sessions/warm-up/ns", data=body, content_type="application/json")
            client.get("/v1/sessions/warm-up?namespaces=ns")
            client.delete("/v1/sessions/warm-up")
            before = int(store.info("memory")["used_memory"])
            for index in range(SESSIONS):
                for ns in range(shape):
                    path = f"/v1/sessions/user-{index:08d}/team{ns}.feature.v1"
                    response = client.put(path, data=body, content_type="application/json")
                    assert response.status_code == 200, response.data
            used = int(store.info("memory")["used_memory"]) - before
            rows.append((shape, used / SESSIONS))
            key = KeySpace().session("user-00000000")
            stored = len(store.hget(key, "team0.feature.v1") or b"")
    per_namespace, per_session = _fit(rows)
    print(f"{SESSIONS} sessions per round; document as stored: {stored} bytes")
    print("namespaces/session  bytes/session")
    for shape, cost in rows:
        print(f"{shape:>18}  {cost:>13.0f}")
    print(f"fit: {per_session:.0f} bytes per session + {per_namespace:.0f} per namespace")
    print(
        f"     ({per_namespace - stored:.0f} bytes of overhead per namespace beyond its document)"
    )
    for shape in (1, 3, 10):
        sessions_per_gib = 2**30 / (per_session + shape * per_namespace)
        print(f"1 GiB holds about {sessions_per_gib:,.0f} sessions of {shape} such namespaces")
    return 0


def _fit(rows: list[tuple[int, float]]) -> tuple[float, float]:
    """Least squares: bytes per session = intercept + slope * namespaces."""
    n = len(rows)
    mean_x = sum(x for x, _ in rows) / n
    mean_y = sum(y for _, y in rows) / n
    slope = sum((x - mean_x) * (y - mean_y) for x, y in rows) / sum(
        (x - mean_x) ** 2 for x, _ in rows
    )
    return slope, mean_y - slope * mean_x


if __name__ == "__main__":
    sys.exit(main())
