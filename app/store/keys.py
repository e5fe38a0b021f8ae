"""The only place a Redis key is built.

Every key of one session carries the session id as its Redis Cluster hash tag
(``{sid}``), so a session's keys live in one slot and its scripts and reads
work unchanged on a cluster. Session ids cannot contain braces and namespace
names cannot contain ``:``, so no id or name can produce another session's
key or a key the service keeps for itself (those do not start with
``PREFIX:{``: the rate counters are ``PREFIX:rate:...``).

A session is its hash, ``PREFIX:{sid}``, and, when some of its namespaces
expire before it, ``PREFIX:{sid}:ttl`` (see repository.py). Sessions written
before that layout have ``PREFIX:{sid}:index``, ``:born``, ``:ends`` and
``:doc:<namespace>`` keys until they are moved: the ``legacy_*`` names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_GLOB_SPECIAL = re.compile(r"([*?\[\]\\])")


@dataclass(frozen=True)
class KeySpace:
    """Builds the keys of one deployment under a common prefix."""

    prefix: str = "sessionator"

    def session(self, session_id: str) -> str:
        """The session's hash: a field per namespace; it expires when the session ends."""
        return f"{self.prefix}:{{{session_id}}}"

    def expiries(self, session_id: str) -> str:
        """Sorted set of the namespaces that expire before the session, scored by when (ms)."""
        return f"{self.session(session_id)}:ttl"

    def legacy_index(self, session_id: str) -> str:
        """The old layout's index of the session's namespaces (until the session is moved)."""
        return f"{self.session(session_id)}:index"

    def legacy_prefix(self, session_id: str) -> str:
        """What the old layout's other keys of the session start with (``doc:<ns>``, ``born``,
        ``ends`` follow)."""
        return f"{self.session(session_id)}:"

    def legacy_document(self, session_id: str, namespace: str) -> str:
        """The old layout's key of one namespace's document (as written, whole)."""
        return f"{self.legacy_prefix(session_id)}doc:{namespace}"

    def every_session_key(self) -> str:
        """A SCAN ``MATCH`` pattern for every key of every session, in either layout."""
        return f"{_glob_literal(self.prefix)}:{{*"

    def kind(self, key: str, namespace: str) -> str | None:
        """``session`` for a session's hash, ``legacy`` for an old-layout document of
        ``namespace``; None for any other key."""
        if not key.startswith(f"{self.prefix}:{{"):
            return None
        if key.endswith("}"):
            return "session"
        return "legacy" if key.endswith(f"}}:doc:{namespace}") else None

    def session_of(self, key: str) -> str:
        """The session id in one of its keys: what its hash tag holds."""
        start = len(self.prefix) + 2  # past "<prefix>:{"
        return key[start : key.index("}", start)]

    def migration_pattern(self) -> str:
        """A SCAN ``MATCH`` pattern for the index of every session still in the old layout."""
        return f"{_glob_literal(self.prefix)}:{{*}}:index"


def _glob_literal(text: str) -> str:
    """``text`` as a Redis glob pattern that matches exactly it."""
    return _GLOB_SPECIAL.sub(r"\\\1", text)
