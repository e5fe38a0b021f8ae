"""Request bodies to documents and back: strict JSON in, metadata stamped on.

What is stored is exactly what the client sent (no coercion, key order kept)
with the three metadata fields set by the service in front.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from app.errors import InvalidJson, RootMustBeObject, TooDeep
from app.json_values import kind
from schema_registry.definition import RESERVED_FIELDS

# The members the service sets; a schema may not declare them (the schema language reserves
# them), and the data a client reads back from a document is the rest.
METADATA_FIELDS = RESERVED_FIELDS


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def parse_document(raw: bytes, max_depth: int) -> dict[str, Any]:
    """Parse a request body as a JSON object under RFC 8259, or raise."""
    return require_object(parse_json(raw, max_depth))


def parse_json(raw: bytes, max_depth: int) -> Any:
    """Parse a request body as any JSON value under RFC 8259, or raise."""
    value = _parse_json(raw)
    check_depth(value, max_depth)
    if _SURROGATE_ESCAPE.search(raw):
        _refuse_lone_surrogates(value)
    return value


def require_object(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else RootMustBeObject."""
    if not isinstance(value, dict):
        raise RootMustBeObject(f"The body must be a JSON object, not {kind(value)}.")
    return value


def client_data(document: dict[str, Any]) -> dict[str, Any]:
    """The document without the metadata fields a client may send back."""
    return {key: value for key, value in document.items() if key not in METADATA_FIELDS}


def stamp(
    data: dict[str, Any],
    session_id: str,
    namespace: str,
    now: datetime,
    schema_version: str | None = None,
) -> bytes:
    """Serialize ``data`` with the service's metadata in front, as stored and served.

    ``schema_version`` is the digest of the schema that accepted ``data``, if
    the namespace has one, so data written under an older schema can be found.
    """
    modified = utc_milliseconds((now - _EPOCH) // _MILLISECOND)  # exact, in whole ms
    metadata = {"_session": session_id, "_namespace": namespace, "_modified": modified}
    if schema_version is not None:
        metadata["_schemaVersion"] = schema_version
    document = {**metadata, **data}
    try:
        return dumps(document)
    except UnicodeEncodeError:
        raise InvalidJson("The body contains a lone surrogate (\\ud800-\\udfff).") from None


# A document's forms, all owned here:
# - as written (``stamp``): {"_session":S,"_namespace":N,"_modified":M,[...,] client data}; its
#   SHA-1 is its ETag;
# - as served (``with_expiry``): the same with ``"_expires"`` after ``_modified``;
# - as stored (``compact``): without the ``_session`` and ``_namespace`` members, which the
#   store's key and field already say: ``{"_modified":M,...}``.
# Neither identifier can hold a quote or a backslash, so these are exact byte operations.
_MODIFIED = b'"_modified":"'
_EXPIRES = re.compile(rb',"_expires":(?:null|"[^"]*")')


def head(session_id: str, namespace: str) -> bytes:
    """How every written document of this namespace begins, up to its ``_modified``."""
    return b'{"_session":"' + session_id.encode() + b'","_namespace":"' + namespace.encode() + b'",'


def compact(document: bytes, session_id: str, namespace: str) -> bytes:
    """A written document as the store keeps it: without its (known) first two members."""
    start = head(session_id, namespace)
    if not document.startswith(start):
        raise ValueError("not a document of this session and namespace")
    return b"{" + document[len(start) :]


def expand(stored: bytes, session_id: str, namespace: str) -> bytes:
    """A stored document as written (its ETag is the SHA-1 of this)."""
    return head(session_id, namespace) + stored[1:]


def with_expiry(document: bytes, expires_at_ms: int | None) -> bytes:
    """A written document as served: ``_expires`` (UTC, or null: never) after ``_modified``.

    Expiry is not stored in the document, because a session's expiry moves
    whenever any of its namespaces is written; it is read with the document
    and spliced in. ``_modified`` is the third member and ours, 24 characters.
    """
    if expires_at_ms is None:
        value = b"null"
    else:
        value = b'"' + utc_milliseconds(expires_at_ms).encode() + b'"'
    at = document.index(_MODIFIED) + len(_MODIFIED) + 25
    return document[:at] + b',"_expires":' + value + document[at:]


def without_expiry(served: bytes) -> bytes:
    """A served document as written: ``with_expiry`` undone (its size, its ETag)."""
    return _EXPIRES.sub(b"", served, count=1)


# One encoder, made once: json.dumps with arguments makes a new one on every call.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON, key order kept; raises on lone surrogates."""
    return _ENCODE(value).encode("utf-8")


def iso_milliseconds(moment: datetime) -> str:
    """UTC, ISO 8601 with milliseconds and ``Z``: ``2017-03-26T23:14:10.617Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_SECONDS: dict[int, str] = {}  # whole seconds formatted lately, and their text
_KEPT_SECONDS = 64


def utc_milliseconds(milliseconds: int) -> str:
    """``iso_milliseconds`` of a POSIX time in ms, formatting the date only once a second.

    Every response and every log line needs one, and datetime's formatting
    costs more than the rest of the work; the text of the last few seconds
    used is kept (a request needs at least two: now, and when its session
    ends), and only the milliseconds are added each time.
    """
    whole, fraction = divmod(milliseconds, 1000)
    text = _SECONDS.get(whole)
    if text is None:
        if len(_SECONDS) >= _KEPT_SECONDS:
            _SECONDS.clear()
        text = _SECONDS[whole] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
    return f"{text}.{fraction:03d}Z"


def _parse_json(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidJson(f"The body is not UTF-8 (byte {error.start}).") from None
    try:
        return json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as error:
        raise InvalidJson(
            f"The body is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}."
        ) from None
    except RecursionError:
        raise TooDeep("The body is nested too deeply.") from None
    except ValueError as error:
        raise InvalidJson(f"The body is not valid JSON: {error}") from None


# A JSON escape of a UTF-16 surrogate; only then can a parsed value hold a lone one.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def _refuse_lone_surrogates(value: Any) -> None:
    """InvalidJson if some string holds a surrogate that is not half of a pair."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidJson("The body contains a lone surrogate (\\ud800-\\udfff).") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value.")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text[:40]} is out of range.")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                shown = json.dumps(key, ensure_ascii=False)[:80]
                raise ValueError(f"the key {shown} appears twice in one object.")
            seen.add(key)
    return result


def check_depth(value: Any, max_depth: int) -> None:
    """Raise TooDeep when objects and arrays nest more than ``max_depth`` levels."""
    if not isinstance(value, dict | list):
        return
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            raise TooDeep(f"The body nests objects and arrays deeper than {max_depth} levels.")
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
