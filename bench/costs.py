"""What each part of a request costs, in CPU microseconds: `.venv/bin/python bench/costs.py`.

Two kinds of figures, both CPU time of this process (not wall time: a Redis
round trip waits on the server far longer than it costs here, and the
workers are bound by their CPU):

- the whole request: the service's WSGI app called in-process for a GET and
  a PUT of one namespace (tenants file, key, rate counting, metrics, INFO log
  lines to a file, the private Valkey on a unix socket), and the floor
  (bench/floor.py) called the same way;
- each part alone, called the way a request calls it, many times in a row:
  whole requests vary by 10 % from run to run on a small VM, more than most
  parts cost, so a part is timed on its own.

The figures go into bench/README.md. Run it on a quiet machine.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from servers import valkey_server

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from flask import Flask, Request, Response  # noqa: E402

from app import create_app  # noqa: E402
from app.access.audit import record  # noqa: E402
from app.access.quotas import SizeLimit  # noqa: E402
from app.api.http import read_json_object  # noqa: E402
from app.api.lifecycle import begin  # noqa: E402
from app.documents import client_data, stamp, with_expiry  # noqa: E402
from app.logs import log_request_line  # noqa: E402
from app.store.preconditions import etag_of  # noqa: E402

KEY = "ssn_" + secrets.token_urlsafe(32)
BODY = json.dumps({"about": "x" * 270, "visits": 42}).encode()
PATH = "/v1/sessions/bench-1/bench.profile.v1"
ROUNDS, CALLS = 5, 1000
LIMIT = SizeLimit("bench.profile.v1", 65536, "MAX_BODY_BYTES")


def environ(method: str, path: str, body: bytes = b"") -> dict[str, Any]:
    """A WSGI environ as gunicorn would build it."""
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "RAW_URI": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "bench",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": f"Bearer {KEY}",
    }


def cpu_us(work: Callable[[], object], calls: int = CALLS) -> float:
    """The median over ROUNDS of the mean CPU time of ``work``, in microseconds."""
    means = []
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(calls):
            work()
        means.append((time.process_time() - started) / calls * 1e6)
    return statistics.median(means)


def request(app: Any, method: str, path: str, body: bytes = b"") -> Callable[[], None]:
    """One whole request through ``app``, as a callable."""

    def start_response(status: str, headers: list[Any], exc_info: Any = None) -> None:
        assert status.startswith("200"), status

    def call() -> None:
        for _chunk in app(environ(method, path, body), start_response):
            pass

    return call


@contextlib.contextmanager
def service(url: str, workdir: Path) -> Iterator[Flask]:
    """The service as production runs it, its log lines going to a file."""
    digest = hashlib.sha256(KEY.encode()).hexdigest()
    tenants = workdir / "tenants.yaml"
    grants = '    read: ["*"]\n    write: ["*"]\n'
    tenants.write_text(f'tenants:\n  bench:\n    keys: ["sha256:{digest}"]\n{grants}')
    settings = {
        "REDIS_URL": url,
        "TENANTS_FILE": str(tenants),
        "RATE_LIMIT": "1000000/second",
        "SCHEMA_DIR": str(REPO / "bench" / "schemas"),
    }
    with open(workdir / "log", "w") as log, contextlib.redirect_stderr(log):
        app = create_app(settings)
        for handler in logging.getLogger("app").handlers:
            handler.setStream(log)  # type: ignore[attr-defined]
        yield app
        app.extensions["sessionator"].rate_limiter.close()


def parts(app: Flask) -> dict[str, tuple[float | None, float | None]]:
    """Each part of a request alone, inside a request context like the one it runs in."""
    services = app.extensions["sessionator"]
    document = stamp({"about": "x" * 270}, "bench-1", "bench.profile.v1", _now())
    with app.test_request_context(PATH, method="PUT", data=BODY, headers=_headers()):
        begin()
        found: dict[str, tuple[float | None, float | None]] = {}
        both = cpu_us(lambda: log_request_line(
            request_id="4b3c" * 8, method="GET", route="/v1/sessions/<sid>/<ns>",
            status=200, seconds=0.002, tenant="bench",
        ))  # fmt: skip
        found["request line"] = (both, both)
        found["audit line"] = (None, cpu_us(lambda: record("put", "bench-1", "ns", 200)))
        both = cpu_us(lambda: services.metrics.observe_request("GET", "/v1/x", 200, 0.002))
        found["request metrics"] = (both, both)
        caller = services.tenants.tenants.authenticate(KEY)
        both = cpu_us(lambda: services.tenants.tenants.authenticate(KEY))
        found["key check"] = (both, both)
        both = cpu_us(lambda: services.rate_limiter.hit(caller))
        found["rate counting"] = (both, both)
        both = cpu_us(begin)
        found["request id, clock"] = (both, both)
        both = cpu_us(lambda: Response(status=200).set_etag(etag_of(document)))
        found["ETag"] = (both, both)
        found["_expires"] = (cpu_us(lambda: with_expiry(document, 1_796_700_000_123)), None)
        found["body: parse, limits"] = (None, cpu_us(_parse))
        found["metadata (stamp)"] = (None, cpu_us(lambda: stamp(
            client_data({"about": "x" * 270, "visits": 42}), "bench-1", "bench.profile.v1",
            _now(),
        )))  # fmt: skip
        found["Redis call (client)"] = (
            cpu_us(lambda: services.repository.read("bench-1", "bench.profile.v1")),
            cpu_us(lambda: services.repository.put("bench-1", "bench.profile.v1", document)),
        )
    return found


def _parse() -> object:
    """The body of a PUT read and parsed as a request does (a new request object each time)."""
    return read_json_object(Request(environ("PUT", PATH, BODY)), LIMIT, 32)


def _headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, valkey_server(Path(tmp)) as url:
        with service(url, Path(tmp)) as app:
            get, put = request(app, "GET", PATH), request(app, "PUT", PATH, BODY)
            put()
            whole = (cpu_us(get), cpu_us(put))
            found = parts(app)
        os.environ["REDIS_URL"] = url
        import floor  # it connects to REDIS_URL when imported

        request(floor.app, "PUT", "/floor/bench-1", BODY)()
        floors = (
            cpu_us(request(floor.app, "GET", "/floor/bench-1")),
            cpu_us(request(floor.app, "PUT", "/floor/bench-1", BODY)),
        )
    print(f"{'CPU per request':24} {'GET µs':>8} {'PUT µs':>8}")
    print(f"{'the service (whole)':24} {whole[0]:8.1f} {whole[1]:8.1f}")
    print(f"{'the floor (whole)':24} {floors[0]:8.1f} {floors[1]:8.1f}")
    for name, (get_us, put_us) in found.items():
        shown = [
            f"{value:8.1f}" if value is not None else f"{'-':>8}" for value in (get_us, put_us)
        ]
        print(f"  {name:22} {shown[0]} {shown[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
