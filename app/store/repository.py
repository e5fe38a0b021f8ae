"""The only place Redis is called.

Data model, per session (all keys share the session's hash tag, see keys.py):

- ``index``: a sorted set of the session's namespace names, each scored with
  when that namespace's own lifetime ends (ms since the epoch), or ``+inf``
  when it lives as long as the session.
- ``doc:<namespace>``: a string holding the namespace's JSON document, metadata
  included, as it is served but for ``_expires``.
- ``ends``: when the session ends (ms), while a sliding TTL or a cap applies;
  ``born``: when it was first written (ms), while a cap applies.

A namespace expires at the earlier of its own end and the session's; every key
is given that moment with PEXPIREAT, so Redis reclaims it, and reads take the
same two numbers from the index and ``ends`` to say when a document expires.

Every public method is one Redis round trip, but ``update_namespace`` (a
read, then a conditional write, repeated if it lost a race). Writes are one
script that checks preconditions and sets the index, the document and every
expiry in one atomic step, so the list of names and the documents never
disagree; reads of several keys are one script too, so they see one moment.
"""

from __future__ import annotations

import enum
import functools
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

import redis
from redis.client import Pipeline
from redis.cluster import RedisCluster
from redis.commands.core import Script
from redis.exceptions import NoScriptError

from app.errors import WriteConflict
from app.store.breaker import StoreGuard
from app.store.durability import Durability, read_durability
from app.store.keys import KeySpace
from app.store.pacing import Pace
from app.store.preconditions import Preconditions, etag_of

P = ParamSpec("P")
R = TypeVar("R")

# How often a read-modify-write may lose the race before giving up (see update_namespace).
UPDATE_ATTEMPTS = 50

# KEYS[1]: the session's index (sorted set of namespace names). KEYS[2], KEYS[3]: its born
# and ends keys. ARGV[1]: the prefix of the session's document keys (key = prefix .. name).
# Deletes every document named in the index, then the other keys, in one atomic step;
# a transaction cannot do this, because the names are only known once read.
# The document keys share KEYS[1]'s hash tag, so they live in its cluster slot.
# Returns the number of namespaces the session held.
_DELETE_SESSION = """
local names = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, name in ipairs(names) do
    redis.call('DEL', ARGV[1] .. name)
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return #names
"""


# KEYS[1]: the namespace's document key. KEYS[2]: the session's index. KEYS[3]: its born key.
# KEYS[4]: its ends key.
# ARGV[1]: 'put', 'delete' or 'touch'. ARGV[2]: the namespace name. ARGV[3]: the new document.
# ARGV[4]: If-Match: '' (none), '*' (a document must exist) or 'list' (its ETag is in ARGV[6]).
# ARGV[5]: If-None-Match: '' (none), '*' (no document may exist) or 'list' (its ETag is not
#          in ARGV[7]).
# ARGV[6], ARGV[7]: space-separated ETag values: SHA-1 hex digests of stored documents.
# ARGV[8]: now, in ms since the epoch. ARGV[9]: the session's sliding TTL in ms (0: none).
# ARGV[10]: the session's maximum age in ms (0: none). ARGV[11]: the namespace's own TTL in
#           ms (0: it lives as long as the session). ARGV[12]: the prefix of document keys.
# ARGV[13]: the most namespaces a session may hold (0: no limit).
# One atomic step: check the preconditions against the current document, write (or delete),
# forget names whose own expiry passed, then set every key of the session to expire when it
# should: each document at the earlier of its own expiry (its score in the index) and the
# session's, the index with its last document, the born and ends keys with the session (ends
# holding that moment, for reads). So no key is left without a TTL when one applies, and Redis
# itself reclaims expired data. Only reads come before a put's SET: Redis checks memory at
# a script's first write, so a put is refused whole when Redis is full (maxmemory with
# noeviction), while deletes and touches, which free or keep memory, still run.
# Returns {outcome, expires}: outcome 1 done, 0 a precondition failed, -1 nothing to delete
# (or no session to touch), -2 a new namespace would be one too many; expires: when the
# written namespace expires (ms), or -1: never.
_WRITE = """
local function listed(tags, tag)
    for candidate in string.gmatch(tags, '%S+') do
        if candidate == tag then return true end
    end
    return false
end
local action, name = ARGV[1], ARGV[2]
local now, ttl, max_age = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local own_ttl = tonumber(ARGV[11])
local live = '(' .. ARGV[8]
if action == 'touch' then
    if redis.call('ZCOUNT', KEYS[2], live, '+inf') == 0 then return {-1, -1} end
else
    local current = redis.call('GET', KEYS[1])
    local tag = nil
    if current and (ARGV[4] == 'list' or ARGV[5] == 'list') then tag = redis.sha1hex(current) end
    if ARGV[4] == '*' and not current then return {0, -1} end
    if ARGV[4] == 'list' and not (current and listed(ARGV[6], tag)) then return {0, -1} end
    if ARGV[5] == '*' and current then return {0, -1} end
    if ARGV[5] == 'list' and current and listed(ARGV[7], tag) then return {0, -1} end
    if action == 'delete' then
        if not current then return {-1, -1} end
        redis.call('DEL', KEYS[1])
        redis.call('ZREM', KEYS[2], name)
    else
        local most = tonumber(ARGV[13])
        if most > 0 and not current and redis.call('ZCOUNT', KEYS[2], live, '+inf') >= most then
            return {-2, -1}
        end
        redis.call('SET', KEYS[1], ARGV[3])
        local score = 'inf'
        if own_ttl > 0 then score = now + own_ttl end
        redis.call('ZADD', KEYS[2], score, name)
    end
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local session_end = nil
if ttl > 0 then session_end = now + ttl end
if max_age > 0 then
    redis.call('SET', KEYS[3], now, 'NX')
    local cap = tonumber(redis.call('GET', KEYS[3])) + max_age
    if not session_end or cap < session_end then session_end = cap end
end
local latest, forever, written_at = 0, false, -1
local members = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
for i = 1, #members, 2 do
    local at = session_end
    if members[i + 1] ~= 'inf' then
        local own = tonumber(members[i + 1])
        if not at or own < at then at = own end
    end
    if members[i] == name and at then written_at = at end
    if at then
        redis.call('PEXPIREAT', ARGV[12] .. members[i], at)
        if at > latest then latest = at end
    else
        redis.call('PERSIST', ARGV[12] .. members[i])
        forever = true
    end
end
if forever then
    redis.call('PERSIST', KEYS[2])
elseif latest > 0 then
    redis.call('PEXPIREAT', KEYS[2], latest)
end
if session_end then
    redis.call('PEXPIREAT', KEYS[3], session_end)
    redis.call('SET', KEYS[4], session_end)
    redis.call('PEXPIREAT', KEYS[4], session_end)
else
    redis.call('DEL', KEYS[4])
end
return {1, written_at}
"""


# KEYS[1]: the session's index. KEYS[2]: its ends key. KEYS[3..]: the documents asked for.
# ARGV[1]: now, in ms since the epoch.
# Returns {names, documents, ends}: the names alive at now, each followed by its score (when
# its own lifetime ends, or 'inf'); the documents (nil when absent); when the session ends
# (nil: never). One script, so the three are read at one moment.
_READ = """
local names = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES')
local documents = {}
if #KEYS > 2 then documents = redis.call('MGET', unpack(KEYS, 3)) end
return {names, documents, redis.call('GET', KEYS[2])}
"""

# KEYS[1]: a namespace's document key. KEYS[2]: the session's index. KEYS[3]: its ends key.
# ARGV[1]: the namespace name.
# Returns {document, own end, session end}, each nil when absent (a score may be 'inf').
_READ_ONE = """
return {redis.call('GET', KEYS[1]), redis.call('ZSCORE', KEYS[2], ARGV[1]),
        redis.call('GET', KEYS[3])}
"""


@dataclass(frozen=True)
class Lifetime:
    """How long sessions live: a sliding TTL and an absolute cap, in seconds (0: none)."""

    session_ttl: int = 0
    max_age: int = 0


def _nobody(acknowledged: int, wanted: int) -> None:
    """Where replica acknowledgements go when nobody listens."""


@dataclass(frozen=True)
class ReplicaWait:
    """After each write, WAIT for this many replicas, this long at most (0 replicas: no WAIT).

    ``report`` is told, for each write that changed something, how many
    replicas acknowledged it and how many were wanted. A write that fewer
    acknowledged stays done on the primary: WAIT neither fails nor undoes it.
    """

    replicas: int = 0
    timeout_ms: int = 50
    report: Callable[[int, int], None] = _nobody


class WriteOutcome(enum.IntEnum):
    """What a conditional write did."""

    TOO_MANY_NAMESPACES = -2
    NOTHING_TO_DELETE = -1
    PRECONDITION_FAILED = 0
    DONE = 1


def guarded(
    method: Callable[Concatenate[SessionRepository, P], R],
) -> Callable[Concatenate[SessionRepository, P], R]:
    """Run the method as one guarded Redis call (see app/store/breaker.py), named after it.

    The guard fails fast while the store is down, turns any redis-py error
    into StoreUnavailable, resolves the breaker's probe whatever happens, and
    times the call for the metrics. Decorated methods must not call each other.
    """
    name = method.__name__

    @functools.wraps(method)
    def wrapper(repository: SessionRepository, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with repository.guard.call(name):
            return method(repository, *args, **kwargs)

    return wrapper


class SessionRepository:
    """Sessions and their namespace documents, stored in Redis."""

    def __init__(
        self,
        client: redis.Redis | RedisCluster,
        keys: KeySpace | None = None,
        lifetime: Lifetime | None = None,
        max_namespaces: int = 0,
        clock: Callable[[], float] = time.time,
        guard: StoreGuard | None = None,
        replica_wait: ReplicaWait | None = None,
    ) -> None:
        self._client = client
        self._replica_wait = replica_wait or ReplicaWait()
        self.guard = guard or StoreGuard()
        self.max_namespaces = max_namespaces  # per session; 0: no limit
        self._keys = keys or KeySpace()
        self._lifetime = lifetime or Lifetime()
        self._clock = clock
        self._delete_session = client.register_script(_DELETE_SESSION)
        self._write = client.register_script(_WRITE)
        self._read = client.register_script(_READ)
        self._read_one = client.register_script(_READ_ONE)

    @guarded
    def ping(self) -> bool:
        """Whether the store answers."""
        return bool(self._client.ping())

    @guarded
    def durability(self) -> Durability:
        """Whether the store may evict keys or lose them on a restart (CONFIG GET).

        A store that refuses CONFIG (managed services often do) answered: that
        is a finding, not an outage.
        """
        try:
            return read_durability(self._client)
        except redis.ResponseError as error:
            return Durability(unreadable=str(error).strip() or type(error).__name__)

    @guarded
    def read_namespace(self, session_id: str, namespace: str) -> tuple[bytes | None, int | None]:
        """One namespace's document (None when absent) and when it expires (ms; None: never)."""
        keys = [
            self._keys.document(session_id, namespace),
            self._keys.index(session_id),
            self._keys.ends(session_id),
        ]
        document, own_end, session_end = self._read_one(keys=keys, args=[namespace])
        expires = _expiry(own_end, session_end)
        if own_end is None or (expires is not None and expires <= self._now()):
            return None, None  # not listed, or gone by our clock though Redis still holds it
        return document, expires

    @guarded
    def read_with_expiry(
        self, session_id: str, namespaces: Sequence[str]
    ) -> tuple[list[str], dict[str, tuple[bytes, int | None]]]:
        """The session's names, sorted, and the documents of those ``namespaces`` that exist,
        each with when it expires (ms; None: never).

        A document whose name is no longer alive in the index is left out, so a
        read never returns a namespace it does not list.
        """
        keys = [self._keys.index(session_id), self._keys.ends(session_id)]
        keys += [self._keys.document(session_id, ns) for ns in namespaces]
        scored, documents, session_end = self._read(keys=keys, args=[self._now()])
        own_ends = {_text(name): end for name, end in zip(scored[::2], scored[1::2], strict=True)}
        found = {
            ns: (document, _expiry(own_ends[ns], session_end))
            for ns, document in zip(namespaces, documents, strict=True)
            if document is not None and ns in own_ends
        }
        return sorted(own_ends), found

    @guarded
    def get_namespace(self, session_id: str, namespace: str) -> bytes | None:
        """One namespace's stored document, or None when absent."""
        document = self._client.get(self._keys.document(session_id, namespace))
        return document  # type: ignore[return-value]

    def put_namespace(
        self,
        session_id: str,
        namespace: str,
        document: bytes,
        ttl: int | None = None,
        pipeline: Pipeline | None = None,
    ) -> None:
        """Create or replace one namespace's document (queued on ``pipeline`` if given).

        ``ttl`` is the namespace's own lifetime in seconds; None: as long as the session.
        """
        self.write_if(session_id, namespace, Preconditions(), document, ttl, pipeline)

    def delete_namespace(self, session_id: str, namespace: str) -> bool:
        """Remove one namespace; False when it did not exist."""
        outcome = self.write_if(session_id, namespace, Preconditions())
        return outcome is WriteOutcome.DONE

    def touch(self, session_id: str) -> bool:
        """Extend the session's life as a write would, changing nothing; False if it is empty."""
        outcome, _ = self._run("touch", session_id, "", None, Preconditions(), None)
        return outcome is WriteOutcome.DONE

    def write_if(
        self,
        session_id: str,
        namespace: str,
        preconditions: Preconditions,
        document: bytes | None = None,
        ttl: int | None = None,
        pipeline: Pipeline | None = None,
    ) -> WriteOutcome:
        """Put ``document`` (or delete, when None) only if ``preconditions`` hold, atomically."""
        return self.write(session_id, namespace, preconditions, document, ttl, pipeline)[0]

    def write(
        self,
        session_id: str,
        namespace: str,
        preconditions: Preconditions,
        document: bytes | None = None,
        ttl: int | None = None,
        pipeline: Pipeline | None = None,
    ) -> tuple[WriteOutcome, int | None]:
        """As write_if, and when the written namespace expires (ms since the epoch; None: never)."""
        action = "delete" if document is None else "put"
        return self._run(action, session_id, namespace, document, preconditions, ttl, pipeline)

    @guarded
    def _run(
        self,
        action: str,
        session_id: str,
        namespace: str,
        document: bytes | None,
        preconditions: Preconditions,
        ttl: int | None,
        pipeline: Pipeline | None = None,
    ) -> tuple[WriteOutcome, int | None]:
        """Run the write script (see _WRITE); what it did, and when the namespace expires."""
        keys = [
            self._keys.document(session_id, namespace or "-"),
            self._keys.index(session_id),
            self._keys.born(session_id),
            self._keys.ends(session_id),
        ]
        args: list[bytes | str | int] = [
            action,
            namespace,
            document or b"",
            preconditions.if_match,
            preconditions.if_none_match,
            " ".join(preconditions.match_tags),
            " ".join(preconditions.none_match_tags),
            self._now(),
            self._lifetime.session_ttl * 1000,
            self._lifetime.max_age * 1000,
            (ttl or 0) * 1000,
            self._keys.document_prefix(session_id),
            self.max_namespaces,
        ]
        if pipeline is not None:
            self._write(keys=keys, args=args, client=pipeline)
            return WriteOutcome.DONE, None
        result, acknowledged = self._call_and_wait(self._write, keys, args)
        outcome, expires = (int(value) for value in result)
        if outcome == WriteOutcome.DONE:
            self._report(acknowledged)
        return WriteOutcome(outcome), (None if expires < 0 else expires)

    def _call_and_wait(
        self, script: Script, keys: list[str], args: Sequence[bytes | str | int]
    ) -> tuple[Any, int]:
        """Run ``script``, then WAIT for the replicas wanted; its result and how many acked.

        EVALSHA and WAIT go in one pipeline, so they share a connection (WAIT
        counts the replicas that have everything *this connection* wrote) and
        a round trip. On a cluster both are sent to the primary of the
        session's slot (naming it also spares the cluster pipeline a COMMAND
        GETKEYS round trip to find the script's keys). A WAIT that fails (the
        node was demoted meanwhile) counts as no acknowledgement: the write
        itself is done. Without replicas wanted, the script runs alone and the
        count is 0.
        """
        wait = self._replica_wait
        if not wait.replicas:
            return script(keys=keys, args=args), 0
        route = {}
        if isinstance(self._client, RedisCluster):
            route = {"target_nodes": self._client.get_node_from_key(keys[0])}  # type: ignore[no-untyped-call]
        for _ in range(2):  # twice only if the server had not cached the script yet
            pipe = self._client.pipeline(transaction=False)
            pipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args, **route)
            pipe.execute_command("WAIT", wait.replicas, wait.timeout_ms, **route)
            result, acknowledged = pipe.execute(raise_on_error=False)
            if not isinstance(result, NoScriptError):
                break
            self._client.script_load(script.script)
        if isinstance(result, Exception):
            raise result
        return result, (0 if isinstance(acknowledged, Exception) else int(acknowledged))

    def _report(self, acknowledged: int) -> None:
        """Tell ``replica_wait.report`` about one write that changed something."""
        if self._replica_wait.replicas:
            self._replica_wait.report(acknowledged, self._replica_wait.replicas)

    def _now(self) -> int:
        """Now, in ms since the epoch."""
        return int(self._clock() * 1000)

    def update_namespace(
        self,
        session_id: str,
        namespace: str,
        update: Callable[[bytes | None], bytes],
        ttl: int | None = None,
        attempts: int = UPDATE_ATTEMPTS,
    ) -> tuple[bytes, int | None]:
        """Read, change and write one document atomically; the document written, and
        when it expires (ms since the epoch; None: never).

        Optimistic concurrency, two round trips: read the document, compute
        the new one with ``update`` (which may raise to refuse), then write it
        with the conditional-write script only if the stored document is still
        the one read (same SHA-1). If another write landed in between, the
        whole step runs again on the new document, at most ``attempts`` times.
        Each lost race means another write succeeded, so twenty concurrent
        updates need at most twenty rounds.
        """
        for _ in range(attempts):
            current = self.get_namespace(session_id, namespace)
            document = update(current)
            if current is None:
                unchanged = Preconditions(if_none_match="*")
            else:
                unchanged = Preconditions(if_match="list", match_tags=(etag_of(current),))
            outcome, expires = self.write(session_id, namespace, unchanged, document, ttl)
            if outcome is WriteOutcome.DONE:
                return document, expires
        raise WriteConflict(
            f"Namespace {namespace!r} changed under {attempts} attempts in a row; retry."
        )

    @guarded
    def delete_session(self, session_id: str) -> int:
        """Remove every namespace of the session atomically; how many there were."""
        keys = [
            self._keys.index(session_id),
            self._keys.born(session_id),
            self._keys.ends(session_id),
        ]
        args = [self._keys.document_prefix(session_id)]
        result, acknowledged = self._call_and_wait(self._delete_session, keys, args)
        if int(result):
            self._report(acknowledged)
        return int(result)

    def scan_namespace(
        self, namespace: str, *, batch: int = 250, keys_per_second: float = 10_000
    ) -> Iterator[tuple[str, bytes]]:
        """Every stored document of ``namespace``, with its session id, in no particular order.

        For maintenance (``sessionator schemas audit``), never for requests:
        it walks the whole keyspace with SCAN (never KEYS), ``batch`` keys per
        call (SCAN's COUNT; Redis spends about 1 µs per key, so 0.25 ms for
        250), and starts at most ``keys_per_second / batch`` calls a second,
        so Redis keeps serving requests in between. On a cluster it walks every
        primary. SCAN may return a key twice, and a document written or
        deleted during the walk may be seen or not; a document that expires
        meanwhile is skipped. The layout of the keys is known here only.
        """
        pace = Pace(batch / keys_per_second)
        pattern = self._keys.documents_of(namespace)
        for node in self._primaries():
            cursor = 0
            while True:
                pace.wait()
                cursor, found = self._scan_documents(node, cursor, pattern, batch)
                yield from found
                if cursor == 0:
                    break

    @guarded
    def _primaries(self) -> list[redis.Redis]:
        """A client per server that holds data: the one server, or each cluster primary."""
        if isinstance(self._client, RedisCluster):
            primaries = self._client.get_primaries()  # type: ignore[no-untyped-call]
            return [node.redis_connection for node in primaries]
        return [self._client]

    @guarded
    def _scan_documents(
        self, node: redis.Redis, cursor: int, pattern: str, batch: int
    ) -> tuple[int, list[tuple[str, bytes]]]:
        """One SCAN step on ``node``, then the documents of the keys it found, pipelined."""
        cursor, keys = node.scan(cursor, match=pattern, count=batch)
        if not keys:
            return int(cursor), []
        pipe = node.pipeline(transaction=False)  # the keys span slots: no MGET on a cluster
        for key in keys:
            pipe.get(key)
        documents = pipe.execute()
        found = [
            (self._keys.session_of_document(_text(key)), document)
            for key, document in zip(keys, documents, strict=True)
            if document is not None  # expired or deleted since SCAN saw it
        ]
        return int(cursor), found


def _expiry(own_end: bytes | None, session_end: bytes | None) -> int | None:
    """When a namespace expires (ms), from its own end and the session's; None: never."""
    ends = [float(end) for end in (own_end, session_end) if end is not None]
    earliest = min(ends, default=math.inf)
    return None if earliest == math.inf else int(earliest)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
