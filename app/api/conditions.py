"""Conditional requests: If-Match and If-None-Match read into a write's Preconditions.

The rules themselves, and the ETag, are ``app.store.preconditions``'s.
"""

from __future__ import annotations

from flask import Request
from werkzeug.datastructures import ETags

from app.store.preconditions import ETAG_VALUE, Preconditions, etag_of

NONE = Preconditions()


def write_preconditions(request: Request) -> Preconditions:
    """If-Match (strong comparison) and If-None-Match (weak comparison) of a write."""
    environ = request.environ
    if "HTTP_IF_MATCH" not in environ and "HTTP_IF_NONE_MATCH" not in environ:
        return NONE  # most writes: nothing to parse
    match_mode, match_tags = _condition(request, "HTTP_IF_MATCH", "if_match", weak=False)
    none_mode, none_tags = _condition(request, "HTTP_IF_NONE_MATCH", "if_none_match", weak=True)
    return Preconditions(match_mode, match_tags, none_mode, none_tags)


def not_modified(request: Request, document: bytes) -> bool:
    """Whether a GET's If-None-Match names the document's current ETag (or ``*``)."""
    if "HTTP_IF_NONE_MATCH" not in request.environ:  # most GETs: no header to parse
        return False
    tags = request.if_none_match
    return tags.star_tag or tags.contains_weak(etag_of(document))


def _condition(
    request: Request, variable: str, attribute: str, *, weak: bool
) -> tuple[str, tuple[str, ...]]:
    if variable not in request.environ:
        return "", ()
    tags: ETags = getattr(request, attribute)  # Werkzeug parses the header
    if tags.star_tag:
        return "*", ()
    values = tags.as_set(include_weak=weak)
    # Werkzeug parses the empty tag `""` as None; like any other foreign tag, it never matches.
    return "list", tuple(sorted(v for v in values if v is not None and ETAG_VALUE.fullmatch(v)))
