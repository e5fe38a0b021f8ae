"""Whether the bytes read so far hold a whole HTTP/1.1 request: its head, and its body.

The worker (``app.server.worker``) reads requests in its event loop and
hands one to a thread only once this says it is complete, so a thread never
waits on a slow client. It answers True as soon as waiting longer would not
help: a request over ``cap`` bytes, a malformed head or body framing (the
parser refuses it with a 400), or a client that asks to be told to go on
(``Expect: 100-continue``) before sending its body.

The worker asks again on every read, so ``RequestFraming`` remembers where
the last look stopped (the end of the head once found, the body's length, the
next chunk-size line, the trailers) and resumes there: each byte is looked at
a bounded number of times, and a client trickling a large chunked body costs
work in proportion to its size, not to its size squared.
"""

from __future__ import annotations

HEAD_END = b"\r\n\r\n"
CRLF = b"\r\n"
_HEX = frozenset(b"0123456789abcdefABCDEF")
_LONGEST_SIZE_LINE = 1024  # a chunk-size line, extensions included

# What RequestFraming is waiting for.
_HEAD = 0  # the end of the head
_LENGTH = 1  # the rest of a Content-Length body
_SIZE = 2  # the end of a chunk-size line starting at ``_at``
_DATA = 3  # the CRLF after a chunk's data, at ``_at``
_TRAILERS = 4  # the end of the trailer section starting at ``_at``
_DECIDED = 5  # nothing: the request goes on to the parser


def request_complete(data: bytes | bytearray, cap: int) -> bool:
    """Whether ``data`` holds a whole request, or all of one that is worth waiting for."""
    return RequestFraming().complete(data, cap)


class RequestFraming:
    """``request_complete`` for one arriving request, resumed where it last stopped.

    ``complete`` must be given the same buffer each time, only ever appended
    to; once it has answered True it goes on answering True.
    """

    __slots__ = ("_at", "_body", "_length", "_phase", "_searched", "examined")

    def __init__(self) -> None:
        self._phase = _HEAD
        self._searched = 0  # where the pending search for CRLF or HEAD_END resumes
        self._body = 0  # where the body starts, once the head has ended
        self._length = 0  # a Content-Length body's length
        self._at = 0  # a chunk-size line's, a chunk's CRLF's or the trailers' offset
        self.examined = 0  # bytes searched or parsed so far (each a bounded number of times)

    def complete(self, data: bytes | bytearray, cap: int) -> bool:
        """Whether ``data`` holds a whole request, or all of one that is worth waiting for."""
        if len(data) >= cap:
            return True
        if self._phase == _HEAD and not self._head(data):
            return False
        if self._phase == _LENGTH:
            return len(data) - self._body >= self._length
        if self._phase in (_SIZE, _DATA, _TRAILERS):
            return self._chunked(data)
        return True

    def _decide(self) -> bool:
        self._phase = _DECIDED
        return True

    def _resume(self, data: bytes | bytearray, needle: bytes, start: int) -> int:
        """``data.find(needle)`` from ``start``, skipping what earlier searches saw."""
        start = max(start, self._searched - len(needle) + 1)
        found = data.find(needle, start)
        self._searched = len(data) if found < 0 else found + len(needle)
        self.examined += self._searched - start
        return found

    def _head(self, data: bytes | bytearray) -> bool:
        """Whether the head has ended (then the phase says what comes next)."""
        end = self._resume(data, HEAD_END, 0)
        if end < 0:
            return False
        self.examined += end
        length, chunked, expects = _framing(bytes(data[:end]))
        if expects or length is None:
            return self._decide()
        self._body = self._at = self._searched = end + len(HEAD_END)
        self._phase = _SIZE if chunked else _LENGTH
        self._length = length
        return True

    def _chunked(self, data: bytes | bytearray) -> bool:
        """Whether a chunked body has arrived whole, or its framing is malformed."""
        while True:
            if self._phase == _SIZE:
                eol = self._resume(data, CRLF, self._at)
                if eol < 0:
                    if len(data) - self._at > _LONGEST_SIZE_LINE:
                        return self._decide()
                    return False
                self.examined += eol - self._at
                size = _chunk_size(data[self._at : eol])
                if size is None:
                    return self._decide()
                self._at = self._searched = eol + len(CRLF)
                if size == 0:
                    self._phase = _TRAILERS
                    continue
                self._at += size
                self._phase = _DATA
            if self._phase == _DATA:
                if len(data) < self._at + len(CRLF):
                    return False
                self.examined += len(CRLF)
                if data[self._at : self._at + len(CRLF)] != CRLF:
                    return self._decide()
                self._at = self._searched = self._at + len(CRLF)
                self._phase = _SIZE
                continue
            return self._trailers(data)

    def _trailers(self, data: bytes | bytearray) -> bool:
        """Whether the trailer section after the last chunk (possibly empty) has ended."""
        if data[self._at : self._at + len(CRLF)] == CRLF:
            return self._decide()
        return self._resume(data, HEAD_END, self._at) >= 0 and self._decide()


def _framing(head: bytes) -> tuple[int | None, bool, bool]:
    """Content-Length (None: malformed), whether chunked, whether Expect: 100-continue."""
    length: int | None = 0
    chunked = expects = False
    for line in head.split(CRLF)[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip()
        if name == b"content-length":
            length = int(value) if value.isdigit() and len(value) < 19 else None
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"expect":
            expects = True
    return length, chunked, expects


def _chunk_size(line: bytes | bytearray) -> int | None:
    """The size on a chunk-size line (extensions after ``;`` ignored); None: not hex."""
    text = line.split(b";", 1)[0].strip()
    if not text or len(text) > 16 or not set(text) <= _HEX:
        return None
    return int(text, 16)
