"""Where a worker's time goes: py-spy samples one gunicorn worker under a bench scenario.

    .venv/bin/pip install py-spy          # not a dependency of the service
    .venv/bin/python bench/profile.py get_one [--seconds 20] [--open]

Serves the service as `make bench` does (production mode: tenants file, key,
rate counting, metrics, INFO request lines), seeds it, runs wrk with the
scenario flat out, and meanwhile records the busiest worker with py-spy
(``--gil``: only samples holding the GIL, i.e. Python's own work). Prints the
share of samples spent inside each part of the request (inclusive) and the
functions with the most samples of their own, and keeps the raw collapsed
stacks under bench/results/ for a flame graph (speedscope.app reads them).
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from populate import populate
from run import REPO, SCHEMA_DIR, WEB_CONCURRENCY, _production_access
from scenarios import SERVICE_SCENARIOS, SERVICE_SEED
from servers import WsgiApp, gunicorn, valkey_server
from wrkrun import Load, run_wrk

RESULTS = Path(__file__).with_name("results")
SESSIONS = 2000

# Parts of a request. A sample inside one of the service's hooks counts for that hook,
# whatever it does there; any other, for the innermost frame that marks a part.
HOOKS = (
    ("access log (gunicorn)", "(gunicorn/glogging.py"),
    ("request line (app.logs)", "log_request_line ("),
    ("metrics (app.metrics)", "observe_request ("),
    ("audit line", "record (app/access/audit.py"),
    ("the rest of the hooks (app.api.lifecycle)", "(app/api/lifecycle.py"),
    ("authentication and rate", "authenticate (app/access/grants.py"),
    ("Redis calls (redis-py)", "(redis/"),
)
PARTS = (
    ("Redis calls (redis-py)", "redis/"),
    ("validation (marshmallow, schema_registry)", "marshmallow/"),
    ("JSON parse/dump", "json/"),
    ("documents, ETags (app)", "app/"),
    ("Flask dispatch", "flask/"),
    ("Werkzeug request/response", "werkzeug/"),
    ("gunicorn HTTP parsing and I/O", "gunicorn/"),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("scenario", choices=[s.name for s in SERVICE_SCENARIOS])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--open", action="store_true", help="no tenants file (development mode)")
    args = parser.parse_args()
    if shutil.which("py-spy", path=os.path.dirname(sys.executable)) is None:
        print("py-spy is not installed in this venv: .venv/bin/pip install py-spy", file=sys.stderr)
        return 2
    scenario = next(s for s in SERVICE_SCENARIOS if s.name == args.scenario)
    stacks = record(scenario, args.seconds, args.open)
    report(stacks)
    return 0


def record(scenario: object, seconds: int, open_mode: bool) -> dict[str, int]:
    """Serve, seed, load and sample; the collapsed stacks with their sample counts."""
    app = WsgiApp("service", "wsgi:app", probe_path="/readyz")
    with tempfile.TemporaryDirectory(prefix="sessionator-profile-") as tmp:
        workdir = Path(tmp)
        with valkey_server(workdir) as url:
            env = {**os.environ, "WEB_CONCURRENCY": str(WEB_CONCURRENCY), "REDIS_URL": url}
            env["SCHEMA_DIR"] = str(SCHEMA_DIR)
            if not open_mode:
                env.update(_production_access(workdir))
            with gunicorn(app, repo=REPO, workdir=workdir, env=env, extra_args=[]) as server:
                auth = os.environ.get("BENCH_AUTHORIZATION", "")
                populate(server.host, server.port, SERVICE_SEED, SESSIONS, authorization=auth)
                return _sample(server, scenario, seconds, workdir)


def _sample(server: object, scenario: object, seconds: int, workdir: Path) -> dict[str, int]:
    raw = workdir / "stacks.txt"
    load = Load(threads=1, connections=16, duration_s=seconds + 2)
    pids = _worker_pids(server.port)  # type: ignore[attr-defined]
    spy = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "py-spy"), "record", "--gil",
         "--nonblocking", "--format", "raw", "--rate", "200", "--duration", str(seconds),
         "--output", str(raw), "--pid", str(pids[0])],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    run_wrk(server.base_url, scenario, load, SESSIONS, server.connections_per_worker)  # type: ignore[arg-type,attr-defined]
    spy.wait(seconds + 30)
    RESULTS.mkdir(exist_ok=True)
    kept = RESULTS / f"profile-{scenario.name}-{time.strftime('%Y%m%dT%H%M%S')}.txt"  # type: ignore[attr-defined]
    shutil.copy(raw, kept)
    print(f"collapsed stacks: {kept}")
    stacks: dict[str, int] = {}
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        stacks[stack] = stacks.get(stack, 0) + int(count)
    return stacks


def _worker_pids(port: int) -> list[int]:
    """The gunicorn workers listening on ``port`` (reuse_port: each has its own socket)."""
    listing = subprocess.run(
        ["ss", "-Hltnp", "sport", "=", f":{port}"], capture_output=True, text=True, check=True
    ).stdout
    pids = sorted({int(p) for p in __import__("re").findall(r"pid=(\d+)", listing)})
    assert pids, f"no process listens on {port}"
    return pids


def report(stacks: dict[str, int]) -> None:
    """Print the share of samples in each part, and the top functions by own samples."""
    total = sum(stacks.values())
    parts: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    for stack, count in stacks.items():
        frames = stack.split(";")
        own[_short(frames[-1])] += count
        parts[_part(frames)] += count
    print(f"{total} samples holding the GIL")
    print("\nby part (see HOOKS and PARTS in bench/profile.py):")
    for name, count in parts.most_common():
        print(f"  {100 * count / total:5.1f} %  {name}")
    print("\nfunctions with the most samples of their own:")
    for name, count in own.most_common(25):
        print(f"  {100 * count / total:5.1f} %  {name}")


def _part(frames: list[str]) -> str:
    for name, marker in HOOKS:
        if any(marker in frame for frame in frames):
            return name
    for frame in reversed(frames):
        for name, marker in PARTS:
            if marker in frame:
                return name
    return "other"


def _short(frame: str) -> str:
    """``function (file:line)`` with the site-packages path cut."""
    return frame.split("site-packages/")[-1].split("/work/main/")[-1]


if __name__ == "__main__":
    sys.exit(main())
