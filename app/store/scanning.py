"""Walking every stored document of one namespace, for maintenance, gently.

``sessionator schemas audit`` (and ``sessionator store migrate``) must see
every session without hurting the requests being served meanwhile. The walk
uses SCAN (never KEYS), ``batch`` keys per call (SCAN's COUNT; Redis spends
about 1 µs per key, so 0.25 ms for 250), and starts at most
``keys_per_second / batch`` calls a second. On a cluster it walks every
primary. SCAN may return a key twice, and a document written or deleted
during the walk may be seen or not; a document past its own lifetime is
skipped. Sessions in both layouts are found: a session's hash, or (before it
moved) a key per document.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import redis
from redis.cluster import RedisCluster

from app.store.breaker import StoreGuard
from app.store.client import StoreClient
from app.store.keys import KeySpace
from app.store.pacing import Pace

T = TypeVar("T")
Found = tuple[str, bytes, bool]  # session id, document as stored, whether in the old layout


def primaries(client: StoreClient, guard: StoreGuard) -> list[redis.Redis]:
    """A client per server that holds data: the one server, or each cluster primary."""
    with guard.call("scan"):
        if isinstance(client, RedisCluster):
            nodes = client.get_primaries()  # type: ignore[no-untyped-call]
            return [node.redis_connection for node in nodes]
        return [client]


def scan_documents(
    client: StoreClient,
    keys: KeySpace,
    guard: StoreGuard,
    namespace: str,
    batch: int,
    keys_per_second: float,
) -> Iterator[Found]:
    """Every stored document of ``namespace``, paced (see the module's docstring)."""

    def step(node: redis.Redis, cursor: int) -> tuple[int, list[Found]]:
        return _step(node, keys, namespace, cursor, batch)

    yield from _paced_walk(client, guard, batch / keys_per_second, step)


def _paced_walk(
    client: StoreClient,
    guard: StoreGuard,
    interval: float,
    step: Callable[[redis.Redis, int], tuple[int, list[T]]],
) -> Iterator[T]:
    """What ``step`` finds on each primary, cursor by cursor, one step per ``interval`` s."""
    pace = Pace(interval)
    for node in primaries(client, guard):
        cursor = 0
        while True:
            pace.wait()
            with guard.call("scan"):
                cursor, found = step(node, cursor)
            yield from found
            if cursor == 0:
                break


def _step(
    node: redis.Redis, keys: KeySpace, namespace: str, cursor: int, batch: int
) -> tuple[int, list[Found]]:
    """One SCAN call, then the documents of the keys it found, in one pipeline."""
    cursor, found = node.scan(cursor, match=keys.every_session_key(), count=batch)
    wanted = [(_text(key), kind) for key in found if (kind := keys.kind(_text(key), namespace))]
    if not wanted:
        return int(cursor), []
    pipe = node.pipeline(transaction=False)  # the keys span slots: one command per key
    for key, kind in wanted:
        if kind == "session":
            pipe.hget(key, namespace)
            pipe.zscore(keys.expiries(keys.session_of(key)), namespace)
        else:
            pipe.get(key)
            pipe.exists(key)
    replies = pipe.execute()
    return int(cursor), _documents(keys, wanted, replies, namespace)


def _documents(
    keys: KeySpace, wanted: list[tuple[str, str]], replies: list[Any], namespace: str
) -> list[Found]:
    documents = []
    now_ms = None
    for n, (key, kind) in enumerate(wanted):
        stored, own = replies[2 * n], replies[2 * n + 1]
        if stored is None:
            continue  # expired or deleted since SCAN saw it
        if kind == "session" and own is not None:
            now_ms = now_ms or _now_ms()
            if float(own) <= now_ms:
                continue  # its own lifetime has ended
        documents.append((keys.session_of(key), stored, kind == "legacy"))
    return documents


def _now_ms() -> float:
    return time.time() * 1000


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def scan_legacy_sessions(
    client: StoreClient, keys: KeySpace, guard: StoreGuard, batch: int, keys_per_second: float
) -> Iterator[str]:
    """The id of every session still in the layout before this one, paced the same way."""

    def step(node: redis.Redis, cursor: int) -> tuple[int, list[str]]:
        cursor, found = node.scan(cursor, match=keys.migration_pattern(), count=batch)
        return int(cursor), [keys.session_of(_text(key)) for key in found]

    yield from _paced_walk(client, guard, batch / keys_per_second, step)
