"""Turn measurements into the printed tables and bench/results/latest.json."""

import dataclasses
import json
import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from scenarios import Scenario
from servers import valkey_version
from wrkrun import Measurement


@dataclass(frozen=True)
class ScenarioResult:
    """One service scenario, its floor, and its run at half of its peak rate."""

    scenario: Scenario
    peak: Measurement
    floor: Measurement
    half_peak_target_rps: float
    half_peak: Measurement

    @property
    def ratio(self) -> float:
        """Service throughput as a share of the floor's (1.0: as fast as bare Flask)."""
        return self.peak.rps / self.floor.rps


def split(measurement: Measurement) -> str:
    """How the run's connections were spread over the workers ("9+7"; "?" unknown)."""
    return "+".join(map(str, measurement.connections_per_worker)) or "?"


def progress_line(name: str, rate_per_s: float, measurement: Measurement) -> str:
    """The line printed as each wrk run finishes."""
    m = measurement
    pace = f"at {rate_per_s:.0f}/s" if rate_per_s else "flat out"
    restarts = f", {m.restarts} restarts" if m.restarts else ""
    return (
        f"  {name:<11} {pace:<11} {m.rps:>6.0f} req/s  p50 {m.p50_ms:6.2f} ms"
        f"  p99 {m.p99_ms:6.2f} ms  (connections per worker {split(m)}{restarts})"
    )


def peak_table(results: list[ScenarioResult]) -> str:
    """The flat-out table: throughput and latency, against the floor."""
    header = (
        f"{'scenario':<11} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'floor req/s':>12} {'ratio':>6} {'split':>6} {'floor split':>11}"
    )
    rows = [
        f"{r.scenario.name:<11} {r.peak.rps:>8.0f} {r.peak.p50_ms:>7.2f} {r.peak.p99_ms:>7.2f}"
        f" {r.floor.rps:>12.0f} {r.ratio:>6.2f} {split(r.peak):>6} {split(r.floor):>11}"
        for r in results
    ]
    return "\n".join([header, *rows])


def half_peak_table(results: list[ScenarioResult]) -> str:
    """The paced table: latency when the service runs at half of its peak rate."""
    header = (
        f"{'scenario':<11} {'target/s':>8} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'split':>6}"
    )
    rows = [
        f"{r.scenario.name:<11} {r.half_peak_target_rps:>8.0f} {r.half_peak.rps:>8.0f}"
        f" {r.half_peak.p50_ms:>7.2f} {r.half_peak.p99_ms:>7.2f} {split(r.half_peak):>6}"
        for r in results
    ]
    return "\n".join([header, *rows])


def write_json(path: Path, results: list[ScenarioResult], settings: dict[str, object]) -> None:
    """Write the results, the settings and the machine they came from to path."""
    document = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": settings,
        "scenarios": [_scenario_json(r) for r in results],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")


def _scenario_json(result: ScenarioResult) -> dict[str, object]:
    """One scenario's entry of latest.json."""
    return {
        "name": result.scenario.name,
        "description": result.scenario.description,
        "ratio_service_floor": round(result.ratio, 3),
        "peak": _measurement_json(result.peak),
        "floor": {"scenario": result.scenario.floor, **_measurement_json(result.floor)},
        "half_peak": {
            "target_rps": round(result.half_peak_target_rps, 1),
            **_measurement_json(result.half_peak),
        },
    }


def _measurement_json(measurement: Measurement) -> dict[str, object]:
    """A measurement with its derived rate, rounded for reading."""
    fields = dataclasses.asdict(measurement)
    del fields["first_bad"]
    return {"rps": round(measurement.rps, 1), **fields}


def machine() -> dict[str, object]:
    """What the numbers depend on besides the code."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "gunicorn": metadata.version("gunicorn"),
        "flask": metadata.version("flask"),
        "redis_py": metadata.version("redis"),
        "valkey": valkey_version(),
        "wrk": _first_line(["wrk", "--version"]),
    }


def _cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo, or the platform's guess."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _first_line(command: list[str]) -> str:
    """The first line a command prints (wrk prints its version, then exits with 1)."""
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    return (finished.stdout or finished.stderr).split("\n", 1)[0].strip()
