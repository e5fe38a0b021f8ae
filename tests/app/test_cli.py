"""`sessionator run`: the embedded store starts with the service, persists, and stops with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from app.embedded import answers
from tests.conftest import REPO, SCHEMA_DIR, as_stored, free_port, stop_process, wait_for_http
from tests.httpclient import HttpClient


def start_cli(env: dict[str, str], var_dir: Path) -> tuple[subprocess.Popen[bytes], HttpClient]:
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    environ.update(
        WEB_CONCURRENCY="1",
        GUNICORN_CMD_ARGS=f"--bind 127.0.0.1:{port}",
        SCHEMA_DIR=str(SCHEMA_DIR),
        **env,
    )
    log = var_dir.parent / "service.log"
    with log.open("ab") as output:  # a file, not a pipe: a full pipe would block the service
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "run", "--var-dir", str(var_dir)],
            cwd=REPO,
            env=environ,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    wait_for_http(port, process, log)
    return process, HttpClient(f"http://127.0.0.1:{port}")


def test_embedded_store_persists_across_restarts_and_stops_with_the_service(
    tmp_path: Path,
) -> None:
    var = tmp_path / "var"
    process, http = start_cli({}, var)
    try:
        written = http.put_json("/v1/sessions/u1/ns", {"kept": True})
        assert written.status == 200
        assert answers(var / "valkey.sock")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
        stop_process(process)
    assert not answers(var / "valkey.sock")
    assert (var / "appendonlydir").is_dir()

    process, http = start_cli({}, var)
    try:
        assert as_stored(http.get("/v1/sessions/u1/ns").body) == as_stored(written.body)
    finally:
        stop_process(process)


def test_store_dies_with_a_killed_service(tmp_path: Path) -> None:
    var = tmp_path / "var"
    process, _ = start_cli({}, var)
    process.kill()
    process.wait()
    for _ in range(100):
        if not answers(var / "valkey.sock"):
            break
        subprocess.run(["sleep", "0.05"], check=True)
    assert not answers(var / "valkey.sock")


def test_with_redis_url_set_no_store_is_started(tmp_path: Path, redis_url: str) -> None:
    var = tmp_path / "var"
    process, http = start_cli({"REDIS_URL": redis_url}, var)
    try:
        assert http.put_json("/v1/sessions/u1/ns", {"v": 1}).status == 200
        assert not var.exists()
    finally:
        stop_process(process)


def test_bad_configuration_names_the_variable(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "run", "--var-dir", str(tmp_path / "var")],
        cwd=REPO,
        env={**environ, "MAX_BODY_BYTES": "lots"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr == "sessionator: MAX_BODY_BYTES must be a whole number, got 'lots'.\n"
