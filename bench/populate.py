"""Seed the data the load runs read, through the HTTP API like any client."""

import http.client
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

from scenarios import Document, encode, session_id

JSON_HEADERS = {"Content-Type": "application/json"}


class SeedFailed(RuntimeError):
    """A seeding PUT did not get a 2xx answer."""


def populate(
    host: str,
    port: int,
    seed: Mapping[str, Callable[[int], Document]],
    sessions: int,
    workers: int = 6,
    authorization: str = "",
) -> int:
    """PUT seed's documents for sessions 0..sessions-1; return how many PUTs were made.

    Each worker thread owns every workers-th session and one keep-alive
    connection, so seeding costs one TCP handshake per worker, not per PUT.
    """
    blocks = [range(start, sessions, workers) for start in range(workers)]
    headers = {**JSON_HEADERS, "Authorization": authorization} if authorization else JSON_HEADERS
    with ThreadPoolExecutor(workers) as pool:
        done = pool.map(lambda block: _put_block(host, port, seed, block, headers), blocks)
        return sum(done)


def _put_block(
    host: str,
    port: int,
    seed: Mapping[str, Callable[[int], Document]],
    indexes: range,
    headers: Mapping[str, str],
) -> int:
    """PUT every seed document of the sessions in indexes over one connection."""
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        for index in indexes:
            for template, make in seed.items():
                path = template.format(sid=session_id(index))
                _put(connection, path, encode(make(index)), headers)
    finally:
        connection.close()
    return len(indexes) * len(seed)


def _put(
    connection: http.client.HTTPConnection, path: str, body: bytes, headers: Mapping[str, str]
) -> None:
    """One PUT; the response is read whole so the connection can be reused."""
    connection.request("PUT", path, body=body, headers=dict(headers))
    response = connection.getresponse()
    answer = response.read()
    if not 200 <= response.status < 300:
        raise SeedFailed(f"PUT {path} -> {response.status}: {answer[:300]!r}")
