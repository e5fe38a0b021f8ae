"""How long the console takes to render its pages: `.venv/bin/python bench/console.py`.

One session of 100 namespaces (MAX_NAMESPACES_PER_SESSION's default), each
with a schema of its own (a copy of schemas/checkout.cart.v1.yaml), so that
every document on the session page is parsed, pretty-printed and validated
against its schema: the worst case. Documents are carts of five items (about
420 bytes as stored). The service runs as in production: tenants file, key
checked and rate-counted on each page, on a private valkey-server.

Two measurements of every page, ROUNDS times each:

- **server time**: the app alone, through Flask's test client in this
  process (routing, hooks, Redis round trips, rendering), timed around each
  request, in wall-clock time and again in this process's CPU time (which
  other load on a shared machine does not inflate);
- **over HTTP**: the same pages from gunicorn (`gunicorn.conf.py`, two
  workers), timed by a client on loopback, one request at a time.
"""

import http.client
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from servers import WsgiApp, gunicorn, valkey_server

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app import create_app  # noqa: E402
from app.access.tenants import generate_key, key_digest  # noqa: E402

NAMESPACES = 100
ROUNDS = 100
SID = "bench-console-0001"
CART = {
    "currency": "EUR",
    "items": [
        {"sku": f"SKU-{n:04d}", "quantity": n + 1, "unitPrice": 9.99 + n, "giftWrap": n % 2 == 0}
        for n in range(5)
    ],
    "coupon": {"code": "SPRING24", "percentOff": 10},
    "notes": {"delivery": "Leave at the door"},
}
PAGES = ("/console/session", "/console/me", "/console/schemas", "/console/health")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def names() -> list[str]:
    return [f"bench.ns{index:03d}.v1" for index in range(NAMESPACES)]


@dataclass(frozen=True)
class Setup:
    """The store, the schema directory, the tenants file and the one key of a run."""

    url: str
    schemas: Path
    tenants: Path
    key: str

    def settings(self) -> dict[str, str]:
        return {
            "REDIS_URL": self.url,
            "SCHEMA_DIR": str(self.schemas),
            "TENANTS_FILE": str(self.tenants),
            "LOG_LEVEL": "WARNING",
        }


def prepare(folder: Path) -> tuple[Path, Path, str]:
    """A schema per namespace, and a tenants file with one key that may do anything."""
    schemas = folder / "schemas"
    schemas.mkdir()
    for name in names():
        shutil.copy(REPO / "schemas" / "checkout.cart.v1.yaml", schemas / f"{name}.yaml")
    key = generate_key()
    tenants = folder / "tenants.yaml"
    tenants.write_text(
        f'tenants:\n  bench:\n    keys: ["{key_digest(key)}"]\n    read: ["*"]\n    write: ["*"]\n'
    )
    return schemas, tenants, key


def timed(call: Callable[[], int], rounds: int) -> list[float]:
    """Milliseconds of each call; every call must answer 200."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        status = call()
        times.append((time.perf_counter() - started) * 1000)
        assert status == 200, status
    return times


def cpu_timed(call: Callable[[], int], rounds: int) -> list[float]:
    """CPU milliseconds this process spent on each call: what other load on the machine
    does not change (the store's own work, in valkey-server, is not counted)."""
    times = []
    for _ in range(rounds):
        started = time.process_time()
        status = call()
        times.append((time.process_time() - started) * 1000)
        assert status == 200, status
    return times


def in_process(setup: Setup) -> dict[str, list[float]]:
    """Server time of each page: the app alone, through Flask's test client."""
    client = create_app({**setup.settings(), "SCHEMA_POLL_MS": 0}).test_client()
    key = setup.key
    auth = {"Authorization": f"Bearer {key}"}
    body = json.dumps(CART)
    for name in names():
        reply = client.put(f"/v1/sessions/{SID}/{name}", data=body, headers=auth,
                           content_type="application/json")  # fmt: skip
        assert reply.status_code == 200, reply.data
    csrf = CSRF.search(client.get("/console/sign-in").get_data(as_text=True))[1]
    assert client.post("/console/sign-in", data={"key": key, "csrf": csrf}).status_code == 303
    csrf = CSRF.search(client.get("/console/me").get_data(as_text=True))[1]
    assert client.post("/console/session", data={"sid": SID, "csrf": csrf}).status_code == 303
    page = client.get("/console/session").get_data(as_text=True)
    assert page.count('class="card namespace"') == NAMESPACES, "not every namespace shown"
    edit = {"ns": names()[0], "csrf": csrf}
    calls: dict[str, Callable[[], int]] = {
        path: lambda p=path: client.get(p).status_code for path in PAGES
    }
    calls["POST /console/edit"] = lambda: client.post("/console/edit", data=edit).status_code
    results = {page: timed(call, ROUNDS) for page, call in calls.items()}
    results |= {f"{page} (CPU)": cpu_timed(call, ROUNDS) for page, call in calls.items()}
    return results


class Browser:
    """A keep-alive HTTP client that keeps the console's cookie, as a browser would."""

    def __init__(self, host: str, port: int) -> None:
        self.connection = http.client.HTTPConnection(host, port, timeout=10)
        self.cookie = ""

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> str:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = "&".join(f"{k}={v}" for k, v in form.items())
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body, headers)
        reply = self.connection.getresponse()
        text = reply.read().decode()
        if cookie := reply.getheader("Set-Cookie"):
            self.cookie = cookie.split(";")[0]
        self.status = reply.status
        return text


def over_http(setup: Setup, work: Path) -> dict[str, list[float]]:
    """Each page as a client of gunicorn sees it (the store already holds the session)."""
    env = {**setup.settings(), "WEB_CONCURRENCY": "2", "PATH": os.environ["PATH"]}
    service = WsgiApp("service", "wsgi:app", "/healthz")
    with gunicorn(service, repo=REPO, workdir=work, env=env, extra_args=[]) as server:
        browser = Browser(server.host, server.port)
        key = setup.key
        csrf = CSRF.search(browser.request("GET", "/console/sign-in"))[1]
        browser.request("POST", "/console/sign-in", {"key": key, "csrf": csrf})
        csrf = CSRF.search(browser.request("GET", "/console/me"))[1]
        browser.request("POST", "/console/session", {"sid": SID, "csrf": csrf})

        def get(path: str) -> int:
            browser.request("GET", path)
            return browser.status

        return {path: timed(lambda p=path: get(p), ROUNDS) for path in PAGES}


def report(title: str, results: dict[str, list[float]]) -> None:
    print(f"\n{title} (ms, {ROUNDS} requests each)")
    print(f"{'page':<28}{'median':>8}{'p95':>8}{'max':>8}")
    for page, times in results.items():
        ordered = sorted(times)
        p95 = ordered[int(len(ordered) * 0.95) - 1]
        print(f"{page:<28}{statistics.median(times):>8.1f}{p95:>8.1f}{max(times):>8.1f}")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="sessionator-console-") as tmp:
        folder = Path(tmp)
        with valkey_server(folder) as url:
            setup = Setup(url, *prepare(folder))
            report("server time, Flask test client", in_process(setup))
            report("over HTTP, gunicorn", over_http(setup, folder))
    print(f"\n{NAMESPACES} namespaces of {len(json.dumps(CART))} bytes of data, each validated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
