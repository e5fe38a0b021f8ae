"""Benchmark Sessionator against the bare-Flask floor: `.venv/bin/python bench/run.py`.

Starts a private valkey-server, serves the service and then bench/floor.py
with the production gunicorn settings, seeds both through HTTP, drives them
with wrk (bench/load.lua), prints a table and writes bench/results/latest.json.
Exit status: 0 done, 1 a server or a run failed (any non-2xx response or socket
error counts), 2 wrk is missing, 130 interrupted. See bench/README.md.
"""

import argparse
import dataclasses
import hashlib
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from populate import SeedFailed, populate
from report import ScenarioResult, half_peak_table, peak_table, progress_line, write_json
from scenarios import (
    FLOOR_SCENARIOS,
    FLOOR_SEED,
    SERVICE_SCENARIOS,
    SERVICE_SEED,
    SESSIONS,
    Document,
    Scenario,
)
from servers import Gunicorn, ServerFailed, WsgiApp, gunicorn, valkey_server
from wrkrun import Load, Measurement, WrkFailed, run_wrk

REPO = Path(__file__).resolve().parent.parent
SCHEMA_DIR = REPO / "bench" / "schemas"
RESULTS = REPO / "bench" / "results" / "latest.json"
WEB_CONCURRENCY = 2  # production's default (docs: API.md, Configuration)
FLOOR = WsgiApp("floor", "bench.floor:app", probe_path="/floor/probe", probe_status=404)
BUSY_LOAD_AVERAGE = 1.0  # above this before we start, a core is already busy on average


class DirtyRun(RuntimeError):
    """A wrk run saw non-2xx responses or socket errors."""


@dataclass(frozen=True)
class Settings:
    """Everything a run depends on that the command line can change."""

    app: str
    duration_s: int
    connections: int
    wrk_threads: int
    sessions: int
    gunicorn_args: tuple[str, ...]
    results: Path
    open: bool = False

    def load(self) -> Load:
        """The flat-out wrk load."""
        return Load(self.wrk_threads, self.connections, self.duration_s)


@dataclass(frozen=True)
class Outcome:
    """The results, and the worker class each app's gunicorn really used."""

    results: list[ScenarioResult]
    workers: dict[str, str]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the process exit status."""
    settings = parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench: wrk is not on PATH; install it: apt-get install wrk", file=sys.stderr)
        return 2
    _warn_if_busy()
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        outcome = benchmark(settings)
    except (ServerFailed, SeedFailed, WrkFailed, DirtyRun) as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; servers stopped", file=sys.stderr)
        return 130
    _print_report(settings, outcome)
    write_json(settings.results, outcome.results, _settings_json(settings, outcome.workers))
    print(f"\nwrote {settings.results}")
    return 0


def parse_args(argv: Sequence[str] | None) -> Settings:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--sessions", type=int, default=SESSIONS, help=argparse.SUPPRESS)
    parser.add_argument("--app", default="wsgi:app", help="service APP_MODULE (wsgi:app)")
    parser.add_argument(
        "--gunicorn-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="add ARG to both gunicorn command lines, for experiments"
        " (--gunicorn-arg=--reuse-port; --gunicorn-arg=--worker-class=sync"
        " with GUNICORN_THREADS=1, or gunicorn keeps gthread)",
    )
    parser.add_argument(
        "--open",
        action="store_true",
        help="serve the service open (no tenants file, no API key, no rate counting),"
        " as in development; by default it runs as production does",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="JSON output file")
    args = parser.parse_args(argv)
    return Settings(
        args.app,
        args.duration,
        args.connections,
        args.wrk_threads,
        args.sessions,
        tuple(args.gunicorn_arg),
        args.results,
        args.open,
    )


def benchmark(settings: Settings) -> Outcome:
    """Measure the service (peak, then half of peak) and the floor, on one private Valkey.

    Both apps are up together so that each floor run happens right before the
    first service run compared with it: load from outside drifts over minutes,
    and the ratio should not measure that drift.
    """
    service_app = WsgiApp("service", settings.app, probe_path="/readyz", probe_status=200)
    with tempfile.TemporaryDirectory(prefix="sessionator-bench-") as tmp:
        workdir = Path(tmp)
        with valkey_server(workdir) as redis_url:
            env = _gunicorn_env(redis_url)
            if not settings.open:
                env.update(_production_access(workdir))
            with (
                _seeded(service_app, SERVICE_SEED, settings, workdir, env) as service,
                _seeded(FLOOR, FLOOR_SEED, settings, workdir, env) as floor,
            ):
                peak, floors = _measure_peaks(service, floor, settings)
                half = {
                    s.name: _measure(service, s, _half_of(peak[s.name], settings), settings)
                    for s in SERVICE_SCENARIOS
                }
    results = [
        ScenarioResult(s, peak[s.name], floors[s.floor], peak[s.name].rps / 2, half[s.name])
        for s in SERVICE_SCENARIOS
    ]
    return Outcome(results, {"service": service.worker, "floor": floor.worker})


def _measure_peaks(
    service: Gunicorn, floor: Gunicorn, settings: Settings
) -> tuple[dict[str, Measurement], dict[str, Measurement]]:
    """Run every service scenario flat out, each floor scenario just before its first use."""
    peak: dict[str, Measurement] = {}
    floors: dict[str, Measurement] = {}
    for scenario in SERVICE_SCENARIOS:
        if scenario.floor not in floors:
            floor_scenario = FLOOR_SCENARIOS[scenario.floor]
            floors[scenario.floor] = _measure(floor, floor_scenario, settings.load(), settings)
        peak[scenario.name] = _measure(service, scenario, settings.load(), settings)
    return peak, floors


@contextmanager
def _seeded(
    app: WsgiApp,
    seed: Mapping[str, Callable[[int], Document]],
    settings: Settings,
    workdir: Path,
    env: dict[str, str],
) -> Iterator[Gunicorn]:
    """Serve app under gunicorn and seed its sessions; stop it on exit."""
    extra_args = list(settings.gunicorn_args)
    with gunicorn(app, repo=REPO, workdir=workdir, env=env, extra_args=extra_args) as server:
        started = time.monotonic()
        authorization = os.environ.get("BENCH_AUTHORIZATION", "")
        puts = populate(
            server.host, server.port, seed, settings.sessions, authorization=authorization
        )
        took = time.monotonic() - started
        print(f"{app.name} ({server.worker} worker): seeded {puts} documents in {took:.1f} s")
        yield server


def _measure(server: Gunicorn, scenario: Scenario, load: Load, settings: Settings) -> Measurement:
    """One wrk run, reported as it finishes; DirtyRun if anything but 2xx came back."""
    result = run_wrk(
        server.base_url, scenario, load, settings.sessions, server.connections_per_worker
    )
    print(progress_line(scenario.name, load.rate_per_s, result), flush=True)
    if not result.clean:
        raise DirtyRun(
            f"{scenario.name}: {result.non2xx} non-2xx responses and {result.socket_errors}"
            f" socket errors in {result.requests} requests; first bad: {result.first_bad!r}"
        )
    return result


def _half_of(peak: Measurement, settings: Settings) -> Load:
    """The load that paces a scenario at half of the rate it peaked at."""
    return dataclasses.replace(settings.load(), rate_per_s=peak.rps / 2)


def _print_report(settings: Settings, outcome: Outcome) -> None:
    """Print both tables."""
    print(
        f"\nPeak load (wrk -t{settings.wrk_threads} -c{settings.connections}"
        f" -d{settings.duration_s}s; ratio = service req/s / floor req/s;"
        f" split = connections per worker)"
    )
    print(peak_table(outcome.results))
    print("\nHalf of peak load (same connections, paced by load.lua's delay())")
    print(half_peak_table(outcome.results))


def _gunicorn_env(redis_url: str) -> dict[str, str]:
    """The environment both apps run in: production's worker count, the private server.

    The rest is inherited, so GUNICORN_THREADS can be varied for experiments.
    """
    return {
        **os.environ,
        "WEB_CONCURRENCY": str(WEB_CONCURRENCY),
        "REDIS_URL": redis_url,
        "SCHEMA_DIR": str(SCHEMA_DIR),
    }


def _production_access(workdir: Path) -> dict[str, str]:
    """Serve as production does: with a tenants file, one bench key, rate counting on.

    The key goes to wrk (load.lua) and the seeding through BENCH_AUTHORIZATION;
    the floor gets the same header and ignores it. The rate limit is set far
    above what the machine can serve, so every request pays for its counter
    but none is refused.
    """
    key = "ssn_" + secrets.token_urlsafe(32)
    digest = hashlib.sha256(key.encode()).hexdigest()
    tenants = workdir / "tenants.yaml"
    tenants.write_text(
        f'tenants:\n  bench:\n    keys: ["sha256:{digest}"]\n    read: ["*"]\n    write: ["*"]\n'
    )
    os.environ["BENCH_AUTHORIZATION"] = f"Bearer {key}"
    return {
        "TENANTS_FILE": str(tenants),
        "RATE_LIMIT": "1000000/second",
        "SESSIONATOR_ENV": "production",
    }


def _settings_json(settings: Settings, workers: Mapping[str, str]) -> dict[str, object]:
    """The settings part of latest.json, with the worker class each gunicorn reported."""
    return {
        **dataclasses.asdict(settings),
        "results": str(settings.results),
        "web_concurrency": WEB_CONCURRENCY,
        "gunicorn_threads": os.environ.get("GUNICORN_THREADS", "2 (gunicorn.conf.py default)"),
        "workers_used": dict(workers),
    }


def _warn_if_busy() -> None:
    """Say so when other work already loads the machine: the numbers will be noisy."""
    load_1min = os.getloadavg()[0]
    if load_1min > BUSY_LOAD_AVERAGE:
        print(
            f"bench: the load average is {load_1min:.1f} before starting: something else"
            f" uses the CPUs (or just did), so expect noisy numbers",
            file=sys.stderr,
        )


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM into SystemExit so the servers are stopped on the way out."""
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())
