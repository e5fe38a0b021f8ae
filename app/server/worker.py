"""The gunicorn worker: gthread, but a thread only ever serves a request that has arrived whole.

Gunicorn's gthread worker hands a connection to a thread as soon as its
first byte arrives, and the thread then blocks reading the rest. Eight
clients sending their headers one byte a second held every thread of the
default service, and nobody else was answered (gunicorn's worker timeout
never fires: the worker itself is alive). ``ReadAheadWorker`` reads each
request in its event loop instead, without blocking, and submits it to the
thread pool only once its ``RequestFraming`` says its head and body are all
there (resuming where it last stopped, so a client trickling a large body
costs work in proportion to its size, not its square). A slow or stalled
client then costs a socket and a buffer, not a thread, and one that has not
sent its whole request within ``REQUEST_READ_TIMEOUT_MS`` (10 s) is answered
408 and closed. Replies have the same deadline to be written, so a client
that never reads cannot hold a thread either.

What it still leaves to a proxy in front (docs/operations.md): bodies larger
than ``BUFFER_BYTES`` are read by the thread (under the same deadline), and
each worker holds at most ``worker_connections`` (1000) connections, so a
flood of connections from many addresses needs a proxy or load balancer
that limits them.

This relies on gthread's internals (``enqueue_req``, ``TConn``,
``murder_pending``): setup.cfg bounds gunicorn's version, and the tests run
through a real gunicorn.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

from app.errors import error_body
from app.server.framing import RequestFraming

BUFFER_BYTES = 1024 * 1024 + 512 * 1024  # a request's head (at most ~420 KiB) and a 1 MiB body
DEFAULT_READ_TIMEOUT_MS = 10_000
READ_TIMEOUT_VARIABLE = "REQUEST_READ_TIMEOUT_MS"


def read_timeout_seconds() -> float:
    """``REQUEST_READ_TIMEOUT_MS`` in seconds (checked by app.config when the app starts)."""
    raw = os.environ.get(READ_TIMEOUT_VARIABLE, "")
    return (int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_READ_TIMEOUT_MS) / 1000


@dataclass
class Arriving:
    """A request being read: the bytes so far, how far they are known to frame a request,
    and when it must have arrived."""

    deadline: float
    data: bytearray = field(default_factory=bytearray)  # only ever appended to
    framing: RequestFraming = field(default_factory=RequestFraming)
    watched: bool = False  # registered with the poller


class ReadAheadWorker(ThreadWorker):  # type: ignore[misc]
    """A gthread worker whose threads never wait on a client."""

    def init_process(self) -> None:
        """Set up the read-ahead state, then gthread's own."""
        self.read_timeout = read_timeout_seconds()
        self.arriving: dict[TConn, Arriving] = {}  # in deadline order: all get the same timeout
        super().init_process()

    def enqueue_req(self, conn: TConn) -> None:
        """Read the connection's request in the event loop; a thread gets it once complete."""
        arriving = Arriving(time.monotonic() + self.read_timeout)
        if conn.parser is not None:  # a kept-alive connection may hold pipelined bytes
            arriving.data += conn.parser.unreader.take_buffered()
        self.arriving[conn] = arriving
        conn.sock.setblocking(False)
        self._read(conn)

    def _read(self, conn: TConn, *_: Any) -> None:
        arriving = self.arriving[conn]
        try:
            while chunk := conn.sock.recv(65536):
                arriving.data += chunk
                if len(chunk) < 65536 or len(arriving.data) >= BUFFER_BYTES:
                    break
            else:
                if not arriving.data:  # closed before sending anything
                    self._drop(conn)
                    return
                self._dispatch(conn)  # closed mid-request: the parser says so
                return
        except BlockingIOError:
            pass
        except OSError:
            self._drop(conn)
            return
        if arriving.framing.complete(arriving.data, BUFFER_BYTES):
            self._dispatch(conn)
        elif not arriving.watched:
            arriving.watched = True
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._read, conn))

    def _dispatch(self, conn: TConn) -> None:
        """Hand the whole request to a thread: the parser reads it from what was buffered."""
        arriving = self._forget(conn)
        conn.sock.setblocking(True)
        conn.init()
        conn.parser.unreader.unread(bytes(arriving.data))
        super().enqueue_req(conn)

    def _forget(self, conn: TConn) -> Arriving:
        arriving = self.arriving.pop(conn)
        if arriving.watched:
            with contextlib.suppress(KeyError, ValueError):
                self.poller.unregister(conn.sock)
        return arriving

    def _drop(self, conn: TConn) -> None:
        self._forget(conn)
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self) -> None:
        """Also close the connections whose request did not arrive in time (408 if begun)."""
        super().murder_pending()
        now = time.monotonic()
        late = [c for c, a in self.arriving.items() if a.deadline <= now]
        for conn in late:
            if self.arriving[conn].data:
                _answer_timeout(conn, self.read_timeout)
            self._drop(conn)

    def handle_request(self, req: Any, conn: TConn) -> bool:
        """Serve one request; writing the reply (and any body read past the buffer) has the
        same deadline as reading the request."""
        conn.sock.settimeout(self.read_timeout)
        served: bool = super().handle_request(req, conn)
        return served


def _answer_timeout(conn: TConn, seconds: float) -> None:
    """Tell a client whose request did not arrive in time, if its socket takes it at once."""
    body = error_body("request_timeout", f"The request did not arrive whole within {seconds:g} s.")
    head = (
        "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    with contextlib.suppress(OSError):
        conn.sock.send(head.encode("latin-1") + body)
