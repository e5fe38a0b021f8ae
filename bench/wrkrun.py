"""Run wrk with load.lua for one scenario and read back what it measured.

wrk opens all its connections in one burst at the start and keeps them for
the whole run. Gunicorn's workers share one listening socket, and the worker
that gets the CPU first often accepts most of the burst, or all of it: the
run then measures mostly one worker, and at half of peak load that worker is
saturated. Where the connections land changes from run to run, and so would
the numbers. So a run is restarted, a moment after it began, while one worker
holds more than UNEVEN of the connections (up to MAX_STARTS starts in all);
the split that was kept is part of the result. UNEVEN = 3/4 is what fair coin
tosses would exceed 2% of the time, for 16 connections over 2 workers.
"""

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from scenarios import Scenario

LOAD_SCRIPT = Path(__file__).with_name("load.lua")
RESULT_PREFIX = "BENCH_RESULT "
FIRST_BAD_PREFIX = "BENCH_FIRST_BAD "
MAX_STARTS = 20
UNEVEN = 0.75
SETTLE_S = 0.1  # time for wrk to connect and the workers to accept, before looking


class WrkFailed(RuntimeError):
    """wrk itself failed, or printed no result line."""


@dataclass(frozen=True)
class Load:
    """How hard wrk pushes: its threads, connections, run time and optional pacing."""

    threads: int
    connections: int
    duration_s: int
    rate_per_s: float = 0.0  # total target rate; 0 runs flat out


@dataclass(frozen=True)
class Measurement:
    """What one wrk run saw."""

    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    socket_errors: int
    first_bad: str
    connections_per_worker: tuple[int, ...] = ()
    restarts: int = 0

    @property
    def rps(self) -> float:
        """Requests completed per second."""
        return self.requests / self.duration_s

    @property
    def clean(self) -> bool:
        """Whether every response was 2xx and no socket error happened."""
        return self.non2xx == 0 and self.socket_errors == 0


def run_wrk(
    base_url: str,
    scenario: Scenario,
    load: Load,
    sessions: int,
    connections_per_worker: Callable[[], list[int]],
) -> Measurement:
    """Drive base_url with scenario under load; restart while the connections are uneven."""
    command = [
        "wrk",
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{load.duration_s}s",
        "--latency",
        "--timeout",
        "5s",
        "-s",
        str(LOAD_SCRIPT),
        base_url,
    ]
    env = {**os.environ, **_script_env(scenario, load, sessions)}
    for start in range(MAX_STARTS):
        with _wrk(command, env) as process:
            time.sleep(SETTLE_S)
            split = connections_per_worker()
            if not _uneven(split) or start == MAX_STARTS - 1:
                stdout, stderr = process.communicate()
                if process.returncode != 0:
                    raise WrkFailed(f"wrk exited with {process.returncode}: {stderr.strip()}")
                return parse(stdout, tuple(split), restarts=start)
    raise AssertionError("unreachable: the last start always returns")


def _uneven(split: list[int]) -> bool:
    """Whether the busiest worker holds more than UNEVEN of the connections.

    A sync worker holds one connection at a time, so it is never uneven.
    """
    return bool(split) and split[0] > 1 and split[0] > UNEVEN * sum(split)


@contextlib.contextmanager
def _wrk(command: list[str], env: dict[str, str]) -> Iterator["subprocess.Popen[str]"]:
    """Start wrk; kill it on exit if it is still running."""
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def _script_env(scenario: Scenario, load: Load, sessions: int) -> dict[str, str]:
    """The BENCH_* variables load.lua reads (see its header)."""
    return {
        "BENCH_READ": scenario.read_path,
        "BENCH_WRITE": scenario.write_path,
        "BENCH_WRITE_PERCENT": str(scenario.write_percent),
        "BENCH_BODY": scenario.body.decode(),
        "BENCH_WRITE_METHOD": scenario.write_method,
        "BENCH_WRITE_TYPE": scenario.write_type,
        "BENCH_SESSIONS": str(sessions),
        "BENCH_RATE": str(load.rate_per_s / load.threads),
    }


def parse(stdout: str, split: tuple[int, ...] = (), restarts: int = 0) -> Measurement:
    """Read the lines load.lua's done() printed."""
    result: dict[str, int] | None = None
    first_bad = ""
    for line in stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line.removeprefix(RESULT_PREFIX))
        elif line.startswith(FIRST_BAD_PREFIX):
            first_bad = line.removeprefix(FIRST_BAD_PREFIX)
    if result is None:
        raise WrkFailed(f"wrk printed no {RESULT_PREFIX.strip()} line:\n{stdout}")
    socket_errors = sum(result[k] for k in ("connect_errors", "read_errors", "write_errors"))
    return Measurement(
        requests=result["requests"],
        duration_s=result["duration_us"] / 1e6,
        p50_ms=result["p50_us"] / 1e3,
        p99_ms=result["p99_us"] / 1e3,
        non2xx=result["non2xx"],
        socket_errors=socket_errors + result["timeouts"],
        first_bad=first_bad,
        connections_per_worker=split,
        restarts=restarts,
    )
