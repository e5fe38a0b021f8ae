"""The only place Redis is called.

Data model, per session (all keys share the session's hash tag, see keys.py):

- ``index``: a sorted set of the session's namespace names. Every name scores
  ``+inf`` today; the score is kept for per-namespace expiry times.
- ``doc:<namespace>``: a string holding the namespace's JSON document, metadata
  included, exactly as it is served.

Every public method is one Redis round trip, but ``update_namespace`` (a
read, then a conditional write, repeated if it lost a race). Writes touch the
index and the document in one atomic step (a MULTI/EXEC transaction, or a
script where a precondition must be checked first), so the list of names and
the documents never disagree; reads that need both read them in one
transaction, so they see one moment.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

import redis
from redis.client import Pipeline

from app.conditions import Preconditions, etag_of
from app.errors import StoreUnavailable, WriteConflict
from app.keys import KeySpace

P = ParamSpec("P")
R = TypeVar("R")

NO_EXPIRY = float("inf")

# How often a read-modify-write may lose the race before giving up (see update_namespace).
UPDATE_ATTEMPTS = 50

# KEYS[1]: the session's index (sorted set of namespace names).
# ARGV[1]: the prefix of the session's document keys (document key = prefix .. name).
# Deletes every document named in the index, then the index, in one atomic step;
# a transaction cannot do this, because the names are only known once read.
# The document keys share KEYS[1]'s hash tag, so they live in its cluster slot.
# Returns the number of namespaces the session held.
_DELETE_SESSION = """
local names = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, name in ipairs(names) do
    redis.call('DEL', ARGV[1] .. name)
end
redis.call('DEL', KEYS[1])
return #names
"""


# KEYS[1]: the namespace's document key. KEYS[2]: the session's index.
# ARGV[1]: 'put' or 'delete'. ARGV[2]: the namespace name. ARGV[3]: the new document (put).
# ARGV[4]: If-Match: '' (none), '*' (a document must exist) or 'list' (its ETag is in ARGV[6]).
# ARGV[5]: If-None-Match: '' (none), '*' (no document may exist) or 'list' (its ETag is not
#          in ARGV[7]).
# ARGV[6], ARGV[7]: space-separated ETag values: SHA-1 hex digests of stored documents.
# Checks the preconditions against the current document and writes only if they hold, in
# one atomic step. Returns 1 done, 0 a precondition failed, -1 nothing to delete.
_CONDITIONAL_WRITE = """
local function listed(tags, tag)
    for candidate in string.gmatch(tags, '%S+') do
        if candidate == tag then return true end
    end
    return false
end
local current = redis.call('GET', KEYS[1])
local tag = current and redis.sha1hex(current)
if ARGV[4] == '*' and not current then return 0 end
if ARGV[4] == 'list' and not (current and listed(ARGV[6], tag)) then return 0 end
if ARGV[5] == '*' and current then return 0 end
if ARGV[5] == 'list' and current and listed(ARGV[7], tag) then return 0 end
if ARGV[1] == 'delete' then
    if not current then return -1 end
    redis.call('DEL', KEYS[1])
    redis.call('ZREM', KEYS[2], ARGV[2])
else
    redis.call('SET', KEYS[1], ARGV[3])
    redis.call('ZADD', KEYS[2], 'inf', ARGV[2])
end
return 1
"""


class WriteOutcome(enum.IntEnum):
    """What a conditional write did."""

    NOTHING_TO_DELETE = -1
    PRECONDITION_FAILED = 0
    DONE = 1


def translate_redis_errors(method: Callable[P, R]) -> Callable[P, R]:
    """Turn any redis-py failure into StoreUnavailable, once, at this boundary."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except redis.RedisError as error:
            raise StoreUnavailable() from error

    return wrapper


class SessionRepository:
    """Sessions and their namespace documents, stored in Redis."""

    def __init__(self, client: redis.Redis, keys: KeySpace | None = None) -> None:
        self._client = client
        self._keys = keys or KeySpace()
        self._delete_session = client.register_script(_DELETE_SESSION)
        self._conditional_write = client.register_script(_CONDITIONAL_WRITE)

    @translate_redis_errors
    def ping(self) -> bool:
        """Whether the store answers."""
        return bool(self._client.ping())

    @translate_redis_errors
    def list_namespaces(self, session_id: str) -> list[str]:
        """The session's namespace names, sorted; empty for an unknown session."""
        names: list[bytes] = self._client.zrange(self._keys.index(session_id), 0, -1)  # type: ignore[assignment]
        return sorted(_text(name) for name in names)

    @translate_redis_errors
    def read_namespaces(
        self, session_id: str, namespaces: Sequence[str]
    ) -> tuple[list[str], dict[str, bytes]]:
        """The session's names and the documents of those ``namespaces`` that exist."""
        with self._client.pipeline(transaction=True) as pipe:
            pipe.zrange(self._keys.index(session_id), 0, -1)
            if namespaces:
                pipe.mget([self._keys.document(session_id, ns) for ns in namespaces])
            replies = pipe.execute()
        names = sorted(_text(name) for name in replies[0])
        documents = replies[1] if namespaces else []
        found = {ns: doc for ns, doc in zip(namespaces, documents, strict=True) if doc is not None}
        return names, found

    @translate_redis_errors
    def get_namespace(self, session_id: str, namespace: str) -> bytes | None:
        """One namespace's stored document, or None when absent."""
        document = self._client.get(self._keys.document(session_id, namespace))
        return document  # type: ignore[return-value]

    def put_namespace(
        self, session_id: str, namespace: str, document: bytes, pipeline: Pipeline | None = None
    ) -> None:
        """Create or replace one namespace's document (queued on ``pipeline`` if given)."""
        if pipeline is not None:
            self._queue_put(pipeline, session_id, namespace, document)
            return
        self._run_transaction(lambda pipe: self._queue_put(pipe, session_id, namespace, document))

    @translate_redis_errors
    def delete_namespace(self, session_id: str, namespace: str) -> bool:
        """Remove one namespace; False when it did not exist."""
        with self._client.pipeline(transaction=True) as pipe:
            pipe.delete(self._keys.document(session_id, namespace))
            pipe.zrem(self._keys.index(session_id), namespace)
            deleted, _ = pipe.execute()
        return bool(deleted)

    @translate_redis_errors
    def write_if(
        self,
        session_id: str,
        namespace: str,
        preconditions: Preconditions,
        document: bytes | None = None,
    ) -> WriteOutcome:
        """Put ``document`` (or delete, when None) only if ``preconditions`` hold, atomically."""
        keys = [self._keys.document(session_id, namespace), self._keys.index(session_id)]
        args = [
            "delete" if document is None else "put",
            namespace,
            document or b"",
            preconditions.if_match,
            preconditions.if_none_match,
            " ".join(preconditions.match_tags),
            " ".join(preconditions.none_match_tags),
        ]
        return WriteOutcome(int(self._conditional_write(keys=keys, args=args)))

    def update_namespace(
        self,
        session_id: str,
        namespace: str,
        update: Callable[[bytes | None], bytes],
        attempts: int = UPDATE_ATTEMPTS,
    ) -> bytes:
        """Read, change and write one document atomically; the document written.

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
            if self.write_if(session_id, namespace, unchanged, document) is WriteOutcome.DONE:
                return document
        raise WriteConflict(
            f"Namespace {namespace!r} changed under {attempts} attempts in a row; retry."
        )

    @translate_redis_errors
    def delete_session(self, session_id: str) -> int:
        """Remove every namespace of the session atomically; how many there were."""
        keys = [self._keys.index(session_id)]
        args = [self._keys.document_prefix(session_id)]
        return int(self._delete_session(keys=keys, args=args))

    def _queue_put(self, pipe: Pipeline, session_id: str, namespace: str, document: bytes) -> None:
        pipe.set(self._keys.document(session_id, namespace), document)
        pipe.zadd(self._keys.index(session_id), {namespace: NO_EXPIRY})

    @translate_redis_errors
    def _run_transaction(self, queue: Callable[[Pipeline], Any]) -> list[Any]:
        with self._client.pipeline(transaction=True) as pipe:
            queue(pipe)
            result: list[Any] = pipe.execute()
        return result


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
