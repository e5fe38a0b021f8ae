"""The probes and the store's durability check, on real Valkey servers started here."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask

from app.server.store_check import warn_if_store_may_lose_data
from app.store.durability import read_durability
from app.store.embedded import EmbeddedStore
from tests.conftest import SCHEMA_DIR, start_gunicorn, stop_process
from tests.httpclient import HttpClient

EVICTS = "Redis maxmemory-policy is allkeys-lru: when its memory is full it deletes keys"
FORGETS = "Redis does not persist (appendonly no, no save points)"
UNCHECKED = "Could not check whether Redis evicts keys or persists them (CONFIG GET: unknown"


class ConfiguredStore(EmbeddedStore):
    """A private valkey-server started with extra settings."""

    def __init__(self, data_dir: Path, *settings: str, persistent: bool = False) -> None:
        super().__init__(data_dir, persistent=persistent)
        self.settings = list(settings)

    def command(self) -> list[str]:
        return [*super().command(), *self.settings]


@pytest.fixture
def lossy_store(tmp_path: Path) -> Iterator[ConfiguredStore]:
    """Evicts keys when full and keeps nothing across a restart."""
    store = ConfiguredStore(tmp_path / "lossy", "--maxmemory-policy", "allkeys-lru")
    store.start()
    yield store
    store.stop()


@pytest.fixture
def tuned_store(tmp_path: Path) -> Iterator[redis.Redis]:
    """A store of this test's own, whose settings it may change with CONFIG SET."""
    store = ConfiguredStore(tmp_path / "tuned")
    store.start()
    client = redis.Redis.from_url(store.url)
    yield client
    client.close()
    store.kill()  # a clean stop would wait for the append-only file the tests turned on


def test_healthz_answers_while_the_store_is_unreachable(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    client = make_app(REDIS_URL=f"unix://{tmp_path}/nothing-listens-here.sock").test_client()
    reply = client.get("/healthz")
    assert (reply.status_code, reply.get_json()) == (200, {"status": "alive"})
    assert reply.headers["Cache-Control"] == "no-store"


def test_readyz_503_names_the_store(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    url = f"unix://{tmp_path}/nothing-listens-here.sock"
    reply = make_app(REDIS_URL=url).test_client().get("/readyz")
    assert (reply.status_code, reply.headers["Retry-After"]) == (503, "1")
    assert reply.get_json() == {
        "error": "store_unavailable",
        "message": "Not ready: the store (Redis) does not answer; the schemas are loaded.",
        "details": {"checks": {"store": "unavailable", "schemas": "loaded"}},
    }


def test_readyz_reports_a_durable_store_without_warnings(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    store = ConfiguredStore(tmp_path / "durable", persistent=True)
    store.start()
    try:
        body = make_app(REDIS_URL=store.url).test_client().get("/readyz").get_json()
    finally:
        store.stop()
    assert body["status"] == "ready"
    assert body["store"] == {
        "status": "ok",
        "evictionPolicy": "noeviction",
        "persistence": "aof",
        "warnings": [],
    }
    assert body["schemas"]["loaded"] is True


@pytest.mark.parametrize(
    ("policy", "appendonly", "save", "persistence", "warnings"),
    [
        ("noeviction", "yes", "", "aof", []),
        ("noeviction", "no", "3600 1", "rdb", []),
        ("noeviction", "yes", "3600 1 300 100", "aof+rdb", []),
        ("noeviction", "no", "", "none", [FORGETS]),
        ("volatile-lru", "yes", "", "aof", ["Redis maxmemory-policy is volatile-lru"]),
        ("allkeys-lru", "no", "", "none", [EVICTS, FORGETS]),
    ],
)
def test_durability_is_read_from_the_store_settings(
    tuned_store: redis.Redis,
    policy: str,
    appendonly: str,
    save: str,
    persistence: str,
    warnings: list[str],
) -> None:
    tuned_store.config_set("maxmemory-policy", policy)
    tuned_store.config_set("appendonly", appendonly)
    tuned_store.config_set("save", save)
    durability = read_durability(tuned_store)
    assert (durability.eviction_policy, durability.persistence) == (policy, persistence)
    assert len(durability.warnings()) == len(warnings)
    for found, start in zip(durability.warnings(), warnings, strict=True):
        assert found.startswith(start)


def test_a_store_that_refuses_config_is_reported_not_fatal(
    make_app: Callable[..., Flask],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = ConfiguredStore(tmp_path / "managed", "--rename-command", "CONFIG", "")
    store.start()
    try:
        body = make_app(REDIS_URL=store.url).test_client().get("/readyz").get_json()
        monkeypatch.setenv("REDIS_URL", store.url)
        warn_if_store_may_lose_data()
    finally:
        store.stop()
    assert body["status"] == "ready"
    assert (body["store"]["evictionPolicy"], body["store"]["persistence"]) == (None, None)
    assert [w[: len(UNCHECKED)] for w in body["store"]["warnings"]] == [UNCHECKED]
    logged = [r for r in caplog.records if r.name == "app.server.store_check"]
    assert [(r.levelname, r.getMessage()[: len(UNCHECKED)]) for r in logged] == [
        ("WARNING", UNCHECKED)
    ]


def test_an_unreachable_store_at_start_is_reported_as_unchecked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("REDIS_URL", f"unix://{tmp_path}/nothing.sock")
    with caplog.at_level("WARNING", logger="app.server.store_check"):
        warn_if_store_may_lose_data()
    [record] = [r for r in caplog.records if getattr(r, "fields", {}).get("event") == "store_check"]
    assert record.getMessage().startswith("Could not check whether Redis evicts keys")


def test_gunicorn_warns_once_per_start_and_probes_follow_the_store(
    lossy_store: ConfiguredStore, tmp_path: Path
) -> None:
    log = tmp_path / "gunicorn.log"
    env = {"REDIS_URL": lossy_store.url, "SCHEMA_DIR": str(SCHEMA_DIR)}
    process, port = start_gunicorn(env, workers=2, log=log)
    http = HttpClient(f"http://127.0.0.1:{port}")
    try:
        ready = http.get("/readyz")
        lossy_store.kill()
        alive, unready = http.get("/healthz"), http.get("/readyz")
    finally:
        stop_process(process)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    warnings = [line["message"] for line in lines if line.get("event") == "store_check"]
    assert len(warnings) == 2  # once per start: by the master, not by each worker
    assert warnings[0].startswith(EVICTS) and warnings[1].startswith(FORGETS)
    assert {line["level"] for line in lines if line.get("event") == "store_check"} == {"warning"}
    assert ready.status == 200
    assert ready.json()["store"]["evictionPolicy"] == "allkeys-lru"
    assert ready.json()["store"]["persistence"] == "none"
    assert (alive.status, alive.json()) == (200, {"status": "alive"})
    assert unready.status == 503
    assert unready.json()["details"] == {"checks": {"store": "unavailable", "schemas": "loaded"}}


def test_an_unreachable_cluster_at_start_is_reported_not_fatal(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A cluster client reads the slot map as it is made; gunicorn's master must still start."""
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("REDIS_URL", f"redis+cluster://127.0.0.1:{port}")
    with caplog.at_level("WARNING", logger="app.server.store_check"):
        warn_if_store_may_lose_data()
    [record] = [r for r in caplog.records if getattr(r, "fields", {}).get("event") == "store_check"]
    assert record.getMessage().startswith("Could not check whether Redis evicts keys")
