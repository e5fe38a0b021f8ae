"""Conditional requests (RFC 9110 section 13): ETags, If-Match and If-None-Match.

A namespace's ETag is the SHA-1 of its stored document, the bytes served. The
service computes it when it answers; Redis computes the same digest
(``redis.sha1hex``) inside the script that checks a write's preconditions, so
the check and the write are one atomic step and no version is stored apart
from the document itself (``_modified`` has milliseconds, so two writes give
two ETags unless they stored the very same bytes).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the repository imports this module and must not need Flask
    from flask import Request
    from werkzeug.datastructures import ETags

# What etag_of produces; a tag of any other shape can never match a document.
_ETAG_VALUE = re.compile(r"[0-9a-f]{40}")


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

        The same rules as the conditional-write script in the repository,
        for writes that check in Python between WATCH and EXEC.
        """
        tag = None if current is None else etag_of(current)
        if self.if_match == "*" and current is None:
            return False
        if self.if_match == "list" and tag not in self.match_tags:
            return False
        if self.if_none_match == "*" and current is not None:
            return False
        return not (self.if_none_match == "list" and tag in self.none_match_tags)


def write_preconditions(request: Request) -> Preconditions:
    """If-Match (strong comparison) and If-None-Match (weak comparison) of a write."""
    match_mode, match_tags = _condition(request, "If-Match", request.if_match, weak=False)
    none_mode, none_tags = _condition(request, "If-None-Match", request.if_none_match, weak=True)
    return Preconditions(match_mode, match_tags, none_mode, none_tags)


def not_modified(request: Request, document: bytes) -> bool:
    """Whether a GET's If-None-Match names the document's current ETag (or ``*``)."""
    if "If-None-Match" not in request.headers:
        return False
    tags = request.if_none_match
    return tags.star_tag or tags.contains_weak(etag_of(document))


def _condition(
    request: Request, header: str, tags: ETags, *, weak: bool
) -> tuple[str, tuple[str, ...]]:
    if header not in request.headers:
        return "", ()
    if tags.star_tag:
        return "*", ()
    values = tags.as_set(include_weak=weak)
    # Werkzeug parses the empty tag `""` as None; like any other foreign tag, it never matches.
    return "list", tuple(sorted(v for v in values if v is not None and _ETAG_VALUE.fullmatch(v)))
