"""When the worker hands a request to a thread: only once it has arrived whole."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.server.framing import request_complete

CAP = 1 << 20
HEAD = b"PUT /v1/sessions/s/ns HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"


def chunked(*chunks: bytes, trailer: bytes = b"") -> bytes:
    body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
    return HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + body + b"0\r\n" + trailer + b"\r\n"


WHOLE = {
    "no body": b"GET /v1/sessions/s HTTP/1.1\r\nHost: x\r\n\r\n",
    "content-length": HEAD + b'Content-Length: 9\r\n\r\n{"a": 1}\n',
    "chunked": chunked(b'{"a":', b" 1}"),
    "chunked with trailer": chunked(b"{}", trailer=b"X-Sum: 1\r\n"),
    "chunked with extension": HEAD + b"Transfer-Encoding: chunked\r\n\r\n2;x=y\r\n{}\r\n0\r\n\r\n",
}


@pytest.mark.parametrize("request_bytes", WHOLE.values(), ids=WHOLE.keys())
def test_a_whole_request_is_complete_and_no_prefix_of_it_is(request_bytes: bytes) -> None:
    assert request_complete(request_bytes, CAP) is True
    prefixes = [request_bytes[:cut] for cut in range(len(request_bytes))]
    assert [p for p in prefixes if request_complete(p, CAP)] == []


@given(st.binary(max_size=300), st.integers(min_value=0, max_value=300))
def test_a_chunked_body_split_anywhere_is_complete_only_at_its_end(data: bytes, cut: int) -> None:
    pieces = [data[i : i + 7] for i in range(0, len(data), 7)] or [b"x"]
    whole = chunked(*pieces)
    cut = min(cut, len(whole) - 1)
    assert (request_complete(whole[:cut], CAP), request_complete(whole, CAP)) == (False, True)


MALFORMED = {
    "content-length not a number": HEAD + b"Content-Length: ten\r\n\r\n",
    "chunk size not hex": HEAD + b"Transfer-Encoding: chunked\r\n\r\n0x7\r\nabcdefg\r\n",
    "negative chunk size": HEAD + b"Transfer-Encoding: chunked\r\n\r\n-7\r\nabcdefg\r\n",
    "chunk without its CRLF": HEAD + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n",
    "expect 100-continue": HEAD + b"Expect: 100-continue\r\nContent-Length: 100\r\n\r\n",
}


@pytest.mark.parametrize("request_bytes", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_request_that_waiting_cannot_help_goes_to_the_parser_at_once(
    request_bytes: bytes,
) -> None:
    assert request_complete(request_bytes, CAP) is True


def test_a_request_larger_than_the_buffer_goes_to_a_thread_unfinished() -> None:
    head = HEAD + b"Content-Length: 100\r\n\r\n"
    assert request_complete(head + b"x" * 10, len(head) + 10) is True
    assert request_complete(head + b"x" * 10, len(head) + 11) is False


def test_a_head_still_arriving_is_not_complete() -> None:
    assert request_complete(b"GET /v1/sessions/s HTTP/1.1\r\nHost: x\r\n", CAP) is False
