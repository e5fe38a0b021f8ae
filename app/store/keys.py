"""The only place a Redis key is built.

Every key of one session carries the session id as its Redis Cluster hash tag
(``{sid}``), so a session's keys live in one slot and its transactions and
multi-key reads work unchanged on a cluster. Session ids cannot contain braces
and namespace names cannot contain ``:``, so no id or name can produce another
session's key or a key the service keeps for itself (those do not start with
``PREFIX:{``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_GLOB_SPECIAL = re.compile(r"([*?\[\]\\])")


@dataclass(frozen=True)
class KeySpace:
    """Builds the keys of one deployment under a common prefix."""

    prefix: str = "sessionator"

    def session_tag(self, session_id: str) -> str:
        """The part shared by every key of one session."""
        return f"{self.prefix}:{{{session_id}}}"

    def index(self, session_id: str) -> str:
        """Sorted set of the session's namespace names, each scored with its own expiry (ms)."""
        return f"{self.session_tag(session_id)}:index"

    def born(self, session_id: str) -> str:
        """String key holding when the session was first written (ms), for its absolute cap."""
        return f"{self.session_tag(session_id)}:born"

    def ends(self, session_id: str) -> str:
        """String key holding when the session ends (ms), while a lifetime applies."""
        return f"{self.session_tag(session_id)}:ends"

    def document_prefix(self, session_id: str) -> str:
        """What every document key of the session starts with."""
        return f"{self.session_tag(session_id)}:doc:"

    def document(self, session_id: str, namespace: str) -> str:
        """String key holding one namespace's JSON document."""
        return self.document_prefix(session_id) + namespace

    def documents_of(self, namespace: str) -> str:
        """A SCAN ``MATCH`` pattern for the document keys of ``namespace`` in every session."""
        return f"{_glob_literal(self.prefix)}:{{*}}:doc:{_glob_literal(namespace)}"

    def session_of_document(self, key: str) -> str:
        """The session id in a document key: what its hash tag holds."""
        start = len(self.prefix) + 2  # past "<prefix>:{"
        return key[start : key.index("}", start)]


def _glob_literal(text: str) -> str:
    """``text`` as a Redis glob pattern that matches exactly it."""
    return _GLOB_SPECIAL.sub(r"\\\1", text)
