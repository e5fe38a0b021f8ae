"""Whether the bytes read so far hold a whole HTTP/1.1 request: its head, and its body.

The worker (``app.server.worker``) reads requests in its event loop and
hands one to a thread only once this says it is complete, so a thread never
waits on a slow client. It answers True as soon as waiting longer would not
help: a request over ``cap`` bytes, a malformed head or body framing (the
parser refuses it with a 400), or a client that asks to be told to go on
(``Expect: 100-continue``) before sending its body.
"""

from __future__ import annotations

HEAD_END = b"\r\n\r\n"
CRLF = b"\r\n"
_HEX = frozenset(b"0123456789abcdefABCDEF")
_LONGEST_SIZE_LINE = 1024  # a chunk-size line, extensions included


def request_complete(data: bytes | bytearray, cap: int) -> bool:
    """Whether ``data`` holds a whole request, or all of one that is worth waiting for."""
    if len(data) >= cap:
        return True
    end = data.find(HEAD_END)
    if end < 0:
        return False
    length, chunked, expects = _framing(bytes(data[:end]))
    if expects or length is None:
        return True
    body = memoryview(data)[end + len(HEAD_END) :]
    if chunked:
        return _chunked_complete(bytes(body)) is not False
    return len(body) >= length


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


def _chunked_complete(body: bytes) -> bool | None:
    """Whether a chunked body has arrived whole; None: its framing is malformed."""
    at = 0
    while True:
        eol = body.find(CRLF, at)
        if eol < 0:
            return None if len(body) - at > _LONGEST_SIZE_LINE else False
        size = _chunk_size(body[at:eol])
        if size is None:
            return None
        if size == 0:
            return _trailers_complete(body, eol + len(CRLF))
        at = eol + len(CRLF) + size
        if len(body) < at + len(CRLF):
            return False
        if body[at : at + len(CRLF)] != CRLF:
            return None
        at += len(CRLF)


def _chunk_size(line: bytes) -> int | None:
    """The size on a chunk-size line (extensions after ``;`` ignored); None: not hex."""
    text = line.split(b";", 1)[0].strip()
    if not text or len(text) > 16 or not set(text) <= _HEX:
        return None
    return int(text, 16)


def _trailers_complete(body: bytes, at: int) -> bool:
    """Whether the trailer section after the last chunk (possibly empty) has ended."""
    if body[at : at + len(CRLF)] == CRLF:
        return True
    return body.find(HEAD_END, at) >= 0
