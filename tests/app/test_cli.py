"""The `sessionator` command: the embedded store starts, persists and stops with `run`; keys."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.store.embedded import answers
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


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "TENANTS_FILE")}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=REPO,
        env={**environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_keys_create_prints_a_key_once_and_the_line_for_the_tenants_file() -> None:
    result = run_cli("keys", "create", "restaurants")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "API key for tenant restaurants (shown once; keep it in your secret store):"
    assert lines[2] == "Add this line to tenants.restaurants.keys in the tenants file:"
    key = lines[1].strip()
    assert re.fullmatch(r"ssn_[A-Za-z0-9_-]{43}", key)
    assert lines[3] == f'  - "sha256:{hashlib.sha256(key.encode()).hexdigest()}"'
    assert len(lines) == 4
    assert run_cli("keys", "create", "restaurants").stdout.splitlines()[1].strip() != key


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"SESSIONATOR_ENV": "production"},
            "sessionator: SESSIONATOR_ENV=production refuses to run open: set TENANTS_FILE to "
            "the tenants file (see the README's security section).\n",
        ),
        (
            {"TENANTS_FILE": "/nonexistent/tenants.yaml"},
            "sessionator: /nonexistent/tenants.yaml: cannot be read: [Errno 2] No such file or "
            "directory: '/nonexistent/tenants.yaml'\n",
        ),
    ],
)
def test_run_refuses_to_start_open_in_production_or_on_a_bad_tenants_file(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    result = run_cli("run", "--var-dir", str(tmp_path / "var"), env=env)
    assert (result.returncode, result.stderr) == (2, message)
    assert not (tmp_path / "var").exists()  # refused before starting anything


def test_help_is_plain_text_without_markup() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert "The sessionator command: run the service," in result.stdout
    assert "``" not in result.stdout


def test_make_help_shows_variables_as_a_shell_user_writes_them() -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    run_line = next(
        line for line in result.stdout.splitlines() if line.strip().startswith("make run")
    )
    assert "($PORT)" in run_line and "$REDIS_URL" in run_line
    assert "$$" not in result.stdout
