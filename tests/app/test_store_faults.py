"""Every Redis error class met by the breaker's probe: a clear answer, then healed within 1 s.

The breaker lets one call through to find out whether the store is back.
Once, a probe that met an error Redis answered (READONLY, through the rate
counter) was never resolved, and every request of that worker answered 503
until a restart. Here each kind of fault meets the probe, made by a request
(the repository's call) and by the rate counters' background sync, on a real
Valkey; then the fault is cleared and the service must serve again within a
second.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.access.tenants import generate_key, key_digest
from app.documents import stamp
from app.errors import StoreUnavailable
from app.services import Services
from app.store.breaker import Outcome
from tests.faults import Faults, LoadingProxy, faulty_server
from tests.stored import KEYS
from tests.topologies import Server

COOL_OFF = 0.1  # the breaker's, shortened so the table runs fast; the service's is 0.5 s
HEALED_WITHIN = 1.0
KEY = generate_key()
PATH = "/v1/sessions/probed/notes"

# What the probe request (a PUT) answers while each fault holds.
UNAVAILABLE = {503}
PROBE_ANSWERS: dict[str, set[int]] = {
    "read_only": UNAVAILABLE,
    "full": UNAVAILABLE,
    "misconf": UNAVAILABLE,
    "loading": UNAVAILABLE,
    "busy": UNAVAILABLE,
    "flush_scripts": {200},  # redis-py loads the script again and retries
    "kill_clients": {200},  # redis-py reconnects once and retries
    "freeze": UNAVAILABLE,  # a timeout
    "python_error": {500},  # a bug: answered as one, and the probe is still resolved
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A Valkey on a loopback port, ours to break."""
    started = faulty_server(tmp_path_factory.mktemp("faulty"))
    yield started
    assert started.process is not None
    started.process.kill()
    started.process.wait()


@pytest.fixture
def faults(server: Server) -> Iterator[Faults]:
    """The server's faults; whatever a test applied is cleared after it."""
    applied = Faults(server)
    with applied.admin() as client:
        client.flushall()
    yield applied
    applied.clear()


@pytest.fixture
def proxy(server: Server) -> Iterator[LoadingProxy]:
    """A proxy in front of the server that can answer LOADING."""
    started = LoadingProxy(server.port)
    yield started
    started.close()


@pytest.fixture
def app_on(make_app: Callable[..., Flask], tmp_path: Path) -> Callable[..., Flask]:
    """Builds the service as ``app_on(port, with_keys)``: on ``port``, its breaker's cool-off
    shortened; ``with_keys``: a tenants file, so every request is rate-counted."""

    def make(port: int, with_keys: bool) -> Flask:
        settings = {"REDIS_URL": f"redis://127.0.0.1:{port}"}
        if with_keys:
            tenants = tmp_path / "tenants.yaml"
            tenants.write_text(
                f'tenants:\n  ops:\n    keys: ["{key_digest(KEY)}"]\n    read: ["*"]\n'
                '    write: ["*"]\n'
            )
            settings["TENANTS_FILE"] = str(tenants)
        app = make_app(**settings)
        services(app).repository.guard.breaker.cool_off = COOL_OFF
        if with_keys:  # the test syncs the rate counters itself, as the probe
            services(app).rate_limiter.sync_seconds = 3600  # type: ignore[union-attr]
        return app

    return make


def services(app: Flask) -> Services:
    found: Services = app.extensions["sessionator"]
    return found


def put(client: FlaskClient, n: int = 1) -> Any:
    return client.put(PATH, json={"n": n}, headers={"Authorization": f"Bearer {KEY}"})


def seconds_until_served(client: FlaskClient) -> float:
    """How long until a PUT is answered 200 again (fails past HEALED_WITHIN)."""
    started = time.monotonic()
    while put(client).status_code != 200:
        assert time.monotonic() - started < HEALED_WITHIN, "not healed within 1 s"
        time.sleep(0.01)
    return time.monotonic() - started


def break_the_call(app: Flask, with_keys: bool) -> Callable[[], None]:
    """Make the probe's Redis call raise a Python error once (a bug inside the call)."""
    if with_keys:
        target: Any = services(app).rate_limiter._client  # type: ignore[union-attr]
        attribute = "pipeline"
    else:
        target, attribute = services(app).repository, "_write"
    original = getattr(target, attribute)

    def broken(*args: Any, **kwargs: Any) -> Any:
        setattr(target, attribute, original)
        raise RuntimeError("a bug inside the call")

    setattr(target, attribute, broken)
    return lambda: setattr(target, attribute, original)


@pytest.mark.parametrize("with_keys", [True, False], ids=["probe_by_rate_sync", "probe_by_request"])
@pytest.mark.parametrize("fault", sorted(PROBE_ANSWERS))
def test_a_probe_that_meets_any_fault_is_resolved_and_service_heals(
    fault: str,
    with_keys: bool,
    faults: Faults,
    proxy: LoadingProxy,
    app_on: Callable[..., Flask],
) -> None:
    port = proxy.port if fault == "loading" else faults.server.port
    app = app_on(port, with_keys)
    client = app.test_client()
    assert put(client).status_code == 200
    services(app).repository.guard.breaker.resolve(Outcome.UNREACHABLE, probe=False)
    assert put(client).status_code == 503  # open: fails fast, no probe yet
    undo = apply(fault, faults, proxy, app, with_keys)
    time.sleep(COOL_OFF * 1.2)
    if with_keys:
        sync_as_probe(app, fault)
    else:
        probed = put(client, 2)
        assert probed.status_code in PROBE_ANSWERS[fault], probed.get_data(as_text=True)
        if probed.status_code == 200:
            assert probed.get_json()["n"] == 2
        else:
            assert set(probed.get_json()) >= {"error", "message"}
    undo()
    faults.clear()
    seconds_until_served(client)
    assert put(client, 3).get_json()["n"] == 3


def sync_as_probe(app: Flask, fault: str) -> None:
    """Sync the rate counters as the breaker's probe: it succeeds or fails as the fault says."""
    limiter = services(app).rate_limiter
    assert limiter is not None
    expected: type[Exception] | None = None
    if PROBE_ANSWERS[fault] == UNAVAILABLE:
        expected = StoreUnavailable
    elif fault == "python_error":
        expected = RuntimeError
    if expected is None:
        limiter.sync()
    else:
        with pytest.raises(expected):
            limiter.sync()


def apply(
    fault: str, faults: Faults, proxy: LoadingProxy, app: Flask, with_keys: bool
) -> Callable[[], None]:
    """Put the store into ``fault``; what to call to take it out (besides faults.clear)."""
    if fault == "loading":
        proxy.loading.set()
        return proxy.loading.clear
    if fault == "python_error":
        return break_the_call(app, with_keys)
    getattr(faults, fault)()
    return lambda: None


def test_the_503_and_the_log_say_why_the_store_refused(
    faults: Faults, app_on: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    app = app_on(faults.server.port, with_keys=False)
    client = app.test_client()
    faults.read_only()
    refused = put(client)
    assert (refused.status_code, refused.get_json()["error"]) == (503, "store_unavailable")
    assert "read-only" in refused.get_json()["message"]
    faults.clear()
    faults.full()
    full = put(client)
    assert "full" in full.get_json()["message"]
    reasons = [r.fields.get("reason") for r in caplog.records if r.name == "app.requests"]  # type: ignore[attr-defined]
    assert reasons == ["ReadOnlyError", "OutOfMemoryError"]


def test_the_breaker_logs_when_it_opens_and_when_the_store_is_back(
    faults: Faults, app_on: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    app = app_on(faults.server.port, with_keys=False)
    client = app.test_client()
    faults.freeze()
    assert put(client).status_code == 503
    faults.clear()
    seconds_until_served(client)
    said = [r.getMessage() for r in caplog.records if r.name == "app.store.breaker"]
    assert len(said) == 2
    assert said[0].startswith("The store cannot be reached (TimeoutError")
    assert said[1].startswith("The store answers again, after ")


def session_state(client: Any, sid: str) -> list[tuple[bytes, bytes, int]]:
    """Every key of session ``sid`` (either layout): its serialized value and when it expires."""
    found = sorted(client.keys(KEYS.session(sid) + "*"))
    return [(key, client.dump(key), client.execute_command("PEXPIRETIME", key)) for key in found]


def write_legacy(client: Any, sid: str, documents: dict[str, int]) -> None:
    """A session of the layout before one hash per session: ``documents`` maps names to their
    own end (ms; a past one: its document is already gone)."""
    ends = int(time.time() * 1000) + 3_600_000
    for ns, own in documents.items():
        key = KEYS.legacy_document(sid, ns)
        client.set(key, stamp({"name": ns}, sid, ns, datetime(2026, 1, 1, tzinfo=UTC)))
        client.pexpireat(key, min(own, ends))
        client.zadd(KEYS.legacy_index(sid), {ns: own})
    client.set(KEYS.legacy_prefix(sid) + "ends", ends)


@pytest.mark.parametrize(
    "layout", ["own_ttl_ended", "legacy_with_a_dead_document", "legacy_all_dead"]
)
def test_a_full_store_refuses_a_put_whole_even_when_the_session_has_bytes_to_forget(
    layout: str, faults: Faults, app_on: Callable[..., Flask]
) -> None:
    """Redis refuses a growing command in a script only while the script has written nothing:
    a put that first forgot a namespace past its own end (or moved a session out of the old
    layout, deleting a dead document) was let write on a full store. Nothing may change."""
    app = app_on(faults.server.port, with_keys=False)
    client = app.test_client()
    past = int(time.time() * 1000) - 60_000
    with faults.admin() as admin:
        if layout == "own_ttl_ended":
            assert put(client).status_code == 200
            assert client.put("/v1/sessions/probed/old", json={"n": 0}).status_code == 200
            admin.zadd(KEYS.expiries("probed"), {"old": past})  # its own lifetime has ended
        elif layout == "legacy_with_a_dead_document":
            write_legacy(admin, "probed", {"gone": past, "notes": past + 7_200_000})
        else:
            write_legacy(admin, "probed", {"gone": past})
        before = session_state(admin, "probed")
        faults.full()
        for path in (PATH, "/v1/sessions/probed/new"):
            refused = client.put(path, json={"n": 2})
            assert refused.status_code == 503, f"{path}: {refused.get_json()}"
            assert refused.get_json()["error"] == "store_unavailable"
            assert "full" in refused.get_json()["message"]
        assert session_state(admin, "probed") == before
        if layout == "own_ttl_ended":  # deletes still run on a full store
            assert client.delete(PATH).status_code == 200
            assert admin.hexists(KEYS.session("probed"), "notes") == 0
