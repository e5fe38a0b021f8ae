"""The worker asks whether a request is whole on every read: the answer costs work in
proportion to the request, not to its square, and is the one a single look would give.

Before, each read copied the whole buffer and parsed the head and every chunk again:
a client trickling a 1.2 MB body of 1-byte chunks in 1,400-byte packets cost the
worker's event loop minutes of CPU, during which it served nobody.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.server.framing import RequestFraming, request_complete

CAP = 1 << 20
HEAD = b"PUT /v1/sessions/s/ns HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
CHUNKED_HEAD = HEAD + b"Transfer-Encoding: chunked\r\n\r\n"


def trickle(request: bytes, piece: int, cap: int = CAP) -> list[bool]:
    """Feed ``request`` to one RequestFraming ``piece`` bytes at a time, as the worker does,
    checking at every read that it has examined each byte a bounded number of times."""
    framing, data, answers = RequestFraming(), bytearray(), []
    for at in range(0, len(request), piece):
        data += request[at : at + piece]
        answers.append(framing.complete(data, cap))
        # Twice over at most (found, then parsed), plus the few bytes a search that stopped
        # short of a match looks at again when it resumes: a whole look each read is ~n²/piece.
        assert framing.examined <= 2 * len(data) + 3 * len(answers), (piece, len(data))
    return answers


def test_a_trickled_body_of_one_byte_chunks_is_examined_a_bounded_number_of_times() -> None:
    request = CHUNKED_HEAD + b"1\r\nx\r\n" * 20_000 + b"0\r\n\r\n"
    for piece in (1, 7, 1400):
        answers = trickle(request, piece)
        assert answers[-1] is True
        assert True not in answers[:-1]


def test_a_trickled_head_and_trailers_are_examined_a_bounded_number_of_times() -> None:
    padded = HEAD + b"X-Padding: " + b"p" * 50_000 + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
    request = padded + b"2\r\n{}\r\n0\r\nX-Sum: " + b"s" * 50_000 + b"\r\n\r\n"
    for piece in (1, 3, 1400):
        answers = trickle(request, piece)
        assert answers[-1] is True
        assert True not in answers[:-1]


def reference_complete(data: bytes, cap: int) -> bool:
    """The framing check as it was, one whole look at the buffer: the decisions to keep."""
    if len(data) >= cap:
        return True
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return False
    length: int | None = 0
    chunked = expects = False
    for line in data[:end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip()
        if name == b"content-length":
            length = int(value) if value.isdigit() and len(value) < 19 else None
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"expect":
            expects = True
    if expects or length is None:
        return True
    body = data[end + 4 :]
    if not chunked:
        return len(body) >= length
    at = 0
    while True:
        eol = body.find(b"\r\n", at)
        if eol < 0:
            return len(body) - at > 1024
        text = body[at:eol].split(b";", 1)[0].strip()
        if not text or len(text) > 16 or not set(text) <= set(b"0123456789abcdefABCDEF"):
            return True
        size = int(text, 16)
        if size == 0:
            return body[eol + 2 : eol + 4] == b"\r\n" or body.find(b"\r\n\r\n", eol + 2) >= 0
        at = eol + 2 + size
        if len(body) < at + 2:
            return False
        if body[at : at + 2] != b"\r\n":
            return True
        at += 2


CASES = {
    "content-length": HEAD + b'Content-Length: 9\r\n\r\n{"a": 1}\n',
    "no body": b"GET /v1/sessions/s HTTP/1.1\r\nHost: x\r\n\r\n",
    "chunked with trailers": CHUNKED_HEAD + b"2;e=1\r\n{}\r\n0\r\nA: b\r\nC: d\r\n\r\n",
    "chunked, sizes in upper case": CHUNKED_HEAD + b"A\r\n0123456789\r\n0\r\n\r\n",
    "size line too long": CHUNKED_HEAD + b"2;" + b"e" * 1100 + b"\r\n{}\r\n0\r\n\r\n",
    "size of 17 digits": CHUNKED_HEAD + b"0" * 16 + b"2\r\n{}\r\n0\r\n\r\n",
    "size not hex": CHUNKED_HEAD + b"0x7\r\nabcdefg\r\n0\r\n\r\n",
    "negative size": CHUNKED_HEAD + b"-7\r\nabcdefg\r\n0\r\n\r\n",
    "no size": CHUNKED_HEAD + b"\r\n{}\r\n0\r\n\r\n",
    "chunk without its CRLF": CHUNKED_HEAD + b"2\r\n{}XX0\r\n\r\n",
    "content-length not a number": HEAD + b"Content-Length: ten\r\n\r\n",
    "expect 100-continue": HEAD + b"Expect: 100-continue\r\nContent-Length: 100\r\n\r\n",
}


@pytest.mark.parametrize("request_bytes", CASES.values(), ids=CASES.keys())
@pytest.mark.parametrize("piece", [1, 2, 5, 64, 1 << 20])
def test_a_request_trickled_is_decided_as_a_single_look_decides(
    request_bytes: bytes, piece: int
) -> None:
    assert_decided_as_a_single_look_decides(request_bytes, piece, CAP)


HEADS = [
    CHUNKED_HEAD,
    HEAD + b"Content-Length: 12\r\n\r\n",
    HEAD + b"Content-Length: ten\r\n\r\n",
    HEAD + b"Expect: 100-continue\r\nContent-Length: 100\r\n\r\n",
    HEAD + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"GET /v1/sessions/s HTTP/1.1\r\nHost: x\r\n\r\n",
]
LONG_EXTENSION = b"%x;" + b"e" * 1100  # whole if it arrives at once; given up on if trickled
SIZE_LINES = [b"%x", b"%X", b"%x;e=1", b" %x ", LONG_EXTENSION, b"0" * 16 + b"%x", b"0x%x", b"-%x"]
JUNK = st.sampled_from([b"\r", b"\n", b"\r\n", b"\r\n\r\n", b"0", b";", b"x", b"-", b"g"])


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    """Requests whole and cut short, well framed and not, with bytes of framing spliced in."""
    body = b""
    for data in draw(st.lists(st.binary(max_size=40), max_size=6)):
        line = draw(st.sampled_from(SIZE_LINES) if draw(st.booleans()) else st.just(b"%x"))
        body += line.replace(b"%x", b"%x" % len(data)).replace(b"%X", b"%X" % len(data))
        body += b"\r\n" + data + b"\r\n"
    body += b"0\r\n" + draw(st.sampled_from([b"", b"X-Sum: 1\r\n", b"A: b\r\nC: d\r\n"])) + b"\r\n"
    request = bytearray(draw(st.sampled_from(HEADS)) + body)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(request)))
        if draw(st.booleans()):
            junk = JUNK if draw(st.booleans()) else st.sampled_from(SIZE_LINES)
            request[at:at] = draw(junk)
        else:
            del request[at : at + draw(st.integers(1, 4))]
    return bytes(request[: draw(st.integers(0, len(request)))] if draw(st.booleans()) else request)


@given(requests(), st.integers(min_value=1, max_value=64), st.sampled_from([CAP, 150, 1200]))
def test_every_answer_while_trickled_is_the_one_a_single_look_gives(
    request: bytes, piece: int, cap: int
) -> None:
    assert_decided_as_a_single_look_decides(request, piece, cap)


def assert_decided_as_a_single_look_decides(request: bytes, piece: int, cap: int) -> None:
    """Each answer while ``request`` arrives is the reference's for what has arrived so far,
    up to the first True (the worker then hands the request on: nobody asks again)."""
    framing = RequestFraming()
    data = bytearray()
    for at in range(0, len(request), piece):
        data += request[at : at + piece]
        answer = framing.complete(data, cap)
        assert answer is reference_complete(bytes(data), cap), len(data)
        assert request_complete(data, cap) is answer
        if answer:
            break
