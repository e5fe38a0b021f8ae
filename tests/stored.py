"""What the store holds, read as the service lays it out: keys from KeySpace, documents as
written (``documents.expand``). Tests assert stored state through these, never through key
strings of their own."""

from __future__ import annotations

import json
from typing import Any

import redis

from app.documents import expand
from app.store.keys import KeySpace

KEYS = KeySpace()


def stored(store: redis.Redis, sid: str, ns: str) -> bytes | None:
    """Namespace ``ns`` of session ``sid`` as written (as served, less ``_expires``), or None."""
    raw = store.hget(KEYS.session(sid), ns)
    return None if raw is None else expand(raw, sid, ns)  # type: ignore[arg-type]


def stored_json(store: redis.Redis, sid: str, ns: str) -> Any:
    """That document parsed (None when absent)."""
    document = stored(store, sid, ns)
    return None if document is None else json.loads(document)


def namespaces(store: redis.Redis, sid: str) -> list[str]:
    """The namespaces the session's hash holds, sorted (expired ones not yet forgotten too)."""
    fields = store.hkeys(KEYS.session(sid))
    return sorted(field.decode() for field in fields if not field.startswith(b":"))  # type: ignore[union-attr]


def session_ttl_ms(store: redis.Redis, sid: str) -> int:
    """The session's PTTL: when it ends (-2: no such session, -1: never)."""
    return int(store.pttl(KEYS.session(sid)))  # type: ignore[arg-type]


def session_keys(store: redis.Redis, sid: str) -> list[str]:
    """Every key the session has, sorted."""
    found = store.keys(KEYS.session(sid) + "*")
    return sorted(key.decode() for key in found)  # type: ignore[union-attr]
