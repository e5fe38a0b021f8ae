"""The only place Redis is called for sessions: one method, and one script, per operation.

Data model, per session (every key shares the session's hash tag, see keys.py):

- the session's **hash**: a field per namespace holding its document as stored
  (as written, less the ``_session`` and ``_namespace`` members, which the key
  and the field say: ``documents.compact``), and ``:b``, when the session
  began, while ``SESSION_MAX_AGE`` caps it. The hash's TTL is when the session
  ends, so every write sets one expiry, however many namespaces the session
  holds.
- the session's **expiries**: a sorted set of the namespaces whose own
  lifetime (their schema's ``ttl``) may end first, scored by when; absent
  when there are none. A namespace past its own end is never served, and its
  bytes go at the session's next write (or with the session).

A write is one script (``app/store/scripts/*.lua``, each with its KEYS and
ARGV documented) that checks its preconditions and changes the document and
the session's lifetime in one atomic step, with a bounded number of commands
whatever the session's size. A read of one namespace, or of a session's names
and documents, is one script too, so it sees one moment. Sessions written in
the layout before this one (a key per document and an index) are read as they
are and moved into this one by their next write, or by ``sessionator store
migrate``.

Every call goes through the store guard (``app/store/breaker.py``), named
after the operation for the metrics: ``read``, ``read_session``, ``put``,
``patch``, ``delete``, ``touch``, ``delete_session``, ``ping``,
``durability``, ``scan``, ``move``.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import redis
from redis.cluster import RedisCluster
from redis.exceptions import NoScriptError

from app.documents import compact, expand, head
from app.errors import WriteConflict
from app.store.breaker import StoreGuard
from app.store.client import StoreClient
from app.store.durability import Durability, read_durability
from app.store.keys import KeySpace
from app.store.policies import Lifetime, ReplicaWait
from app.store.preconditions import Preconditions, etag_of
from app.store.scanning import scan_documents, scan_legacy_sessions
from app.store.scripts import Script, Scripts

# How often a read-modify-write may lose the race before giving up (see patch).
UPDATE_ATTEMPTS = 50
ANY = Preconditions()


class WriteOutcome(enum.IntEnum):
    """What a conditional write did."""

    TOO_MANY_NAMESPACES = -2
    NOTHING_TO_DELETE = -1
    PRECONDITION_FAILED = 0
    DONE = 1


@dataclass(frozen=True)
class Stored:
    """A namespace's document as written (``_expires`` is added when served), and when it
    expires (ms since the epoch; None: never)."""

    document: bytes
    expires: int | None


class SessionRepository:
    """Sessions and their namespace documents, stored in Redis."""

    def __init__(
        self,
        client: StoreClient,
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
        self._scripts = Scripts.load()

    def ping(self) -> bool:
        """Whether the store answers."""
        with self.guard.call("ping"):
            return bool(self._client.ping())

    def durability(self) -> Durability:
        """Whether the store may evict keys or lose them on a restart (CONFIG GET).

        A store that refuses CONFIG (managed services often do) answered: that
        is a finding, not an outage.
        """
        with self.guard.call("durability"):
            try:
                return read_durability(self._client)
            except redis.ResponseError as error:
                return Durability(unreadable=str(error).strip() or type(error).__name__)

    def read(self, session_id: str, namespace: str) -> Stored | None:
        """One namespace's document and when it expires; None when it has none (or it ended)."""
        args: list[Any] = [self._now(), namespace, self._keys.legacy_prefix(session_id)]
        with self.guard.call("read"):
            stored, own, ends, legacy = self._scripts.read(
                self._client, self._session_keys(session_id), args
            )
        if not stored:
            return None
        document = stored if legacy else expand(stored, session_id, namespace)
        return Stored(document, _expiry(own, ends))

    def read_session(
        self, session_id: str, namespaces: Sequence[str]
    ) -> tuple[list[str], dict[str, Stored]]:
        """The session's namespace names, sorted, and the documents of those of ``namespaces``
        it holds; one script, so one moment."""
        args: list[Any] = [self._now(), self._keys.legacy_prefix(session_id), *namespaces]
        with self.guard.call("read_session"):
            reply = self._scripts.read_session(self._client, self._session_keys(session_id), args)
        names, documents, owns, ends, legacy = reply
        found = {
            ns: Stored(stored if legacy else expand(stored, session_id, ns), _expiry(own, ends))
            for ns, stored, own in zip(namespaces, documents, owns, strict=True)
            if stored
        }
        return sorted(_text(name) for name in names), found

    def put(
        self,
        session_id: str,
        namespace: str,
        document: bytes,
        preconditions: Preconditions = ANY,
        ttl: int | None = None,
    ) -> tuple[WriteOutcome, int | None]:
        """Create or replace one namespace's document (as written, see documents.stamp) if
        ``preconditions`` hold; what happened, and when the namespace now expires (ms; None:
        never). ``ttl``: the namespace's own lifetime in seconds (None: the session's)."""
        return self._put("put", session_id, namespace, document, preconditions, ttl)

    def patch(
        self,
        session_id: str,
        namespace: str,
        change: Callable[[bytes | None], bytes],
        ttl: int | None = None,
        attempts: int = UPDATE_ATTEMPTS,
    ) -> Stored:
        """Read, change and write one document atomically: the document written.

        Optimistic concurrency, two round trips: read the document, compute
        the new one with ``change`` (which may raise to refuse), then write it
        only if the stored document is still the one read (its ETag). If
        another write landed in between, the whole step runs again on the new
        document, at most ``attempts`` times. Each lost race means another
        write succeeded, so twenty concurrent patches need at most twenty rounds.
        """
        for _ in range(attempts):
            current = self._read_for("patch", session_id, namespace)
            document = change(current)
            unchanged = Preconditions(if_none_match="*")
            if current is not None:
                unchanged = Preconditions(if_match="list", match_tags=(etag_of(current),))
            outcome, expires = self._put("patch", session_id, namespace, document, unchanged, ttl)
            if outcome is WriteOutcome.DONE:
                return Stored(document, expires)
        raise WriteConflict(
            f"Namespace {namespace!r} changed under {attempts} attempts in a row; retry."
        )

    def delete(
        self, session_id: str, namespace: str, preconditions: Preconditions = ANY
    ) -> WriteOutcome:
        """Remove one namespace if ``preconditions`` hold; the session lives on as after a write."""
        args = [*self._session_args(session_id), namespace, *_precondition_args(preconditions)]
        outcome = WriteOutcome(self._write("delete", session_id, args))
        return outcome

    def touch(self, session_id: str) -> bool:
        """Extend the session's life as a write would, changing nothing; False if it is empty."""
        return int(self._write("touch", session_id, self._session_args(session_id))) == 1

    def delete_session(self, session_id: str) -> int:
        """Remove every namespace of the session atomically; how many there were."""
        return int(self._write("delete_session", session_id, self._session_args(session_id)))

    def move_legacy(self, session_id: str) -> bool:
        """Move a session written in the layout before this one into it; whether it was."""
        return int(self._write("move", session_id, self._session_args(session_id))) == 1

    def legacy_sessions(
        self, *, batch: int = 250, keys_per_second: float = 10_000
    ) -> Iterator[str]:
        """The ids of the sessions still in the layout before this one (SCAN, paced; see
        app/store/scanning.py); ``sessionator store migrate`` moves each."""
        yield from scan_legacy_sessions(
            self._client, self._keys, self.guard, batch, keys_per_second
        )

    def scan_namespace(
        self, namespace: str, *, batch: int = 250, keys_per_second: float = 10_000
    ) -> Iterator[tuple[str, bytes]]:
        """Every stored document of ``namespace`` (as written), with its session id, in no
        particular order; for maintenance (``sessionator schemas audit``), never for requests.
        See app/store/scanning.py for its pace and what it may miss."""
        for session_id, stored, legacy in scan_documents(
            self._client, self._keys, self.guard, namespace, batch, keys_per_second
        ):
            yield session_id, stored if legacy else expand(stored, session_id, namespace)

    def _read_for(self, operation: str, session_id: str, namespace: str) -> bytes | None:
        args: list[Any] = [self._now(), namespace, self._keys.legacy_prefix(session_id)]
        with self.guard.call(operation):
            stored, _, _, legacy = self._scripts.read(
                self._client, self._session_keys(session_id), args
            )
        if not stored:
            return None
        return bytes(stored) if legacy else expand(stored, session_id, namespace)

    def _put(
        self,
        operation: str,
        session_id: str,
        namespace: str,
        document: bytes,
        preconditions: Preconditions,
        ttl: int | None,
    ) -> tuple[WriteOutcome, int | None]:
        args = [
            *self._session_args(session_id),
            namespace,
            compact(document, session_id, namespace),
            (ttl or 0) * 1000,
            self.max_namespaces,
            *_precondition_args(preconditions),
        ]
        outcome, expires = (int(value) for value in self._write(operation, session_id, args))
        return WriteOutcome(outcome), (None if expires < 0 else expires)

    def _write(self, operation: str, session_id: str, args: list[Any]) -> Any:
        """Run write script ``operation`` (``patch`` runs ``put``) on the session, through the
        guard, waiting for replicas if asked; its result."""
        script = getattr(self._scripts, "put" if operation == "patch" else operation)
        keys = self._session_keys(session_id)
        with self.guard.call(operation):
            result, acknowledged = self._call_and_wait(script, keys, args)
        done = result[0] if isinstance(result, list) else result
        if int(done) >= 1 and self._replica_wait.replicas:
            self._replica_wait.report(acknowledged, self._replica_wait.replicas)
        return result

    def _call_and_wait(self, script: Script, keys: list[str], args: Sequence[Any]) -> Any:
        """Run ``script``, then WAIT for the replicas wanted; its result and how many acked.

        EVALSHA and WAIT go in one pipeline, so they share a connection (WAIT
        counts the replicas that have everything *this connection* wrote) and
        a round trip. On a cluster both are sent to the primary of the
        session's slot (naming it also spares the cluster pipeline a COMMAND
        GETKEYS round trip to find the script's keys). A WAIT that fails (the
        node was demoted meanwhile) counts as no acknowledgement: the write
        itself is done. Without replicas wanted, the script runs alone.
        """
        wait = self._replica_wait
        if not wait.replicas:
            return script(self._client, keys, args), 0
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

    def _session_keys(self, session_id: str) -> list[str]:
        keys = self._keys
        return [keys.session(session_id), keys.expiries(session_id), keys.legacy_index(session_id)]

    def _session_args(self, session_id: str) -> list[Any]:
        """ARGV[1..5] of every write script (see session.lua)."""
        return [
            self._now(),
            self._lifetime.session_ttl * 1000,
            self._lifetime.max_age * 1000,
            self._keys.legacy_prefix(session_id),
            head(session_id, "")[: -len('",')],
        ]

    def _now(self) -> int:
        """Now, in ms since the epoch."""
        return int(self._clock() * 1000)


def _precondition_args(preconditions: Preconditions) -> list[str]:
    return [
        preconditions.if_match,
        " ".join(preconditions.match_tags),
        preconditions.if_none_match,
        " ".join(preconditions.none_match_tags),
    ]


def _expiry(own_end: bytes | int | None, session_end: bytes | int | None) -> int | None:
    """When a namespace expires (ms), from its own end and the session's; None: never."""
    ends = [float(end) for end in (own_end, session_end) if end]
    earliest = min(ends, default=math.inf)
    return None if earliest == math.inf else int(earliest)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
