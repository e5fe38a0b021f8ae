"""Faults a real Valkey can be put into, and cleared again, for the outage and chaos tests.

Every fault is the server's own behaviour, provoked through its own commands
or signals: a replica answering READONLY, a full store answering OOM, a failed
snapshot answering MISCONF, a long script answering BUSY, a flushed script
cache answering NOSCRIPT, killed client connections, a frozen process
(SIGSTOP). Valkey 8 does not accept connections while it loads its data, so
LOADING cannot be provoked on a live server; ``LoadingProxy`` answers it in
front of the real one, as a server that restarts with a large data set would.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.topologies import Server, fresh_port

LOADING_REPLY = b"-LOADING Valkey is loading the dataset in memory\r\n"

# What a faulty server is started with: snapshots may be pointed at a missing
# directory (MISCONF needs a save point and CONFIG SET dir), and scripts give
# up the server after 20 ms (BUSY).
FAULTY_OPTIONS = ("--enable-protected-configs", "yes", "--busy-reply-threshold", "20")


def faulty_server(directory: Path) -> Server:
    """A started Valkey on a loopback port that every fault below can be applied to."""
    server = Server(directory, *FAULTY_OPTIONS)
    server.start()
    server.wait_ready()
    return server


@dataclass
class Faults:
    """Puts one server into a fault and takes it out again; ``clear`` undoes the last one."""

    server: Server
    _undo: list[Callable[[], None]] = field(default_factory=list)

    def admin(self) -> redis.Redis:
        """A short-lived client of the server's own (never the service's pool)."""
        return redis.Redis(port=self.server.port, socket_timeout=5)

    def read_only(self) -> None:
        """Make the server a replica of a primary that is not there: writes answer READONLY."""
        with self.admin() as client:
            client.replicaof("127.0.0.1", fresh_port())
        self._undo.append(lambda: self._command("REPLICAOF", "NO", "ONE"))

    def full(self) -> None:
        """Set maxmemory below what is used, with noeviction: writes answer OOM."""
        with self.admin() as client:
            client.config_set("maxmemory-policy", "noeviction")
            client.config_set("maxmemory", 1)
        self._undo.append(lambda: self._command("CONFIG", "SET", "maxmemory", "0"))

    def misconf(self) -> None:
        """Fail a snapshot while a save point is set: writes answer MISCONF."""
        gone = self.server.directory / "gone"
        gone.mkdir(exist_ok=True)
        with self.admin() as client:
            client.config_set("save", "3600 1")
            client.config_set("dir", str(gone))
            gone.rmdir()
            client.bgsave()
            _wait(lambda: client.info("persistence")["rdb_last_bgsave_status"] == "err", "MISCONF")
        self._undo.append(self._snapshot_again)

    def _snapshot_again(self) -> None:
        with self.admin() as client:
            client.config_set("dir", str(self.server.directory))
            client.config_set("save", "")
            client.config_set("stop-writes-on-bgsave-error", "no")
            client.config_set("stop-writes-on-bgsave-error", "yes")

    def busy(self) -> None:
        """Run a script that never ends: every other command answers BUSY until SCRIPT KILL."""
        started = threading.Event()

        def spin() -> None:
            with contextlib.suppress(redis.RedisError), self.admin() as client:
                started.set()
                client.eval("while true do end", 0)

        thread = threading.Thread(target=spin, daemon=True)
        thread.start()
        started.wait(5)
        time.sleep(0.05)  # past busy-reply-threshold
        self._undo.append(lambda: self._kill_script(thread))

    def _kill_script(self, thread: threading.Thread) -> None:
        with self.admin() as client:
            client.script_kill()
        thread.join(5)

    def flush_scripts(self) -> None:
        """Empty the script cache: the next EVALSHA answers NOSCRIPT."""
        self._command("SCRIPT", "FLUSH")
        self._undo.append(lambda: None)

    def kill_clients(self) -> None:
        """Close every client connection: the next command on each meets a reset."""
        self._command("CLIENT", "KILL", "TYPE", "normal")
        self._undo.append(lambda: None)

    def freeze(self) -> None:
        """SIGSTOP the server: commands time out until SIGCONT."""
        assert self.server.process is not None
        self.server.process.send_signal(signal.SIGSTOP)
        self._undo.append(lambda: self.server.process.send_signal(signal.SIGCONT))  # type: ignore[union-attr]

    def clear(self) -> None:
        """Undo every fault applied, newest first."""
        while self._undo:
            self._undo.pop()()

    def _command(self, *args: str) -> None:
        with self.admin() as client:
            client.execute_command(*args)


def _wait(condition: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout} s")
        time.sleep(0.02)


class LoadingProxy:
    """A TCP proxy to a real server that, while ``loading`` is set, answers LOADING itself.

    It reads each RESP command the client sends (an array of bulk strings)
    and answers one ``-LOADING`` error per command, as a server loading its
    data set does. When ``hang_up`` is set, the next command closes its connection
    instead, unanswered and not passed on (once), as a server dying mid-command
    does. Otherwise it passes bytes both ways untouched.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = fresh_port()
        self.loading = threading.Event()
        self.hang_up = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        """Stop accepting; open connections end with their clients."""
        self._stop.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()
        reader = client.makefile("rb")
        with contextlib.suppress(OSError, ValueError):
            for command in _commands(reader):
                if self.hang_up.is_set():
                    self.hang_up.clear()
                    break
                if self.loading.is_set():
                    client.sendall(LOADING_REPLY)
                else:
                    upstream.sendall(command)
        for sock in (client, upstream):
            sock.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


def _commands(reader: object) -> Iterator[bytes]:
    """Each RESP command (an array of bulk strings) read from ``reader``, as raw bytes."""
    readline = reader.readline  # type: ignore[attr-defined]
    read = reader.read  # type: ignore[attr-defined]
    while header := readline():
        assert header.startswith(b"*"), header
        parts = [header]
        for _ in range(int(header[1:])):
            length = readline()
            parts += [length, read(int(length[1:]) + 2)]
        yield b"".join(parts)
