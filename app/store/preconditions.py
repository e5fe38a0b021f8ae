"""A write's preconditions and the ETag they compare: the rules of RFC 9110 section 13.

A namespace's ETag is the SHA-1 of its stored document, the bytes served. The
service computes it when it answers; Redis computes the same digest
(``redis.sha1hex``) inside the script that checks a write's preconditions, so
the check and the write are one atomic step and no version is stored apart
from the document itself (``_modified`` has milliseconds, so two writes give
two ETags unless they stored the very same bytes). Reading the headers into
``Preconditions`` is ``app.api.conditions``'s work.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

# What etag_of produces; a tag of any other shape can never match a document.
ETAG_VALUE = re.compile(r"[0-9a-f]{40}")


def etag_of(document: bytes) -> str:
    """The opaque part of a document's strong ETag (quote it for the header)."""
    return hashlib.sha1(document).hexdigest()


@dataclass(frozen=True)
class Preconditions:
    """A write's preconditions, in the form the conditional-write script takes.

    ``if_match`` and ``if_none_match`` are each ``""`` (header absent), ``"*"``
    or ``"list"`` (then the matching ``*_tags`` hold the ETag values).
    """

    if_match: str = ""
    match_tags: tuple[str, ...] = ()
    if_none_match: str = ""
    none_match_tags: tuple[str, ...] = ()

    def hold_for(self, current: bytes | None) -> bool:
        """Whether the preconditions hold for ``current`` (None: no document).

        The same rules as ``preconditions_hold`` in app/store/scripts/session.lua, for a
        PATCH, which checks them on the document it read before computing the patch;
        tests/app/test_preconditions_agree.py runs every case through both.
        """
        tag = None if current is None else etag_of(current)
        if self.if_match == "*" and current is None:
            return False
        if self.if_match == "list" and tag not in self.match_tags:
            return False
        if self.if_none_match == "*" and current is not None:
            return False
        return not (self.if_none_match == "list" and tag in self.none_match_tags)
