"""Editing one namespace in the console: open it at its ETag, save through PUT's own path.

A save is the API's ``PUT /v1/sessions/{sid}/{ns}`` with ``If-Match`` set to
the ETag the document was opened at (``If-None-Match: *`` for a namespace
that did not exist): the same grants, size limit, JSON rules, schema,
namespace quota and atomic conditional write (``put_document``). So a change
made by someone else in between is reported as a conflict, never overwritten.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from app.access.grants import require_read, require_write
from app.access.quotas import size_limit
from app.api.writes import put_document
from app.console.lookup import NamespaceView, namespace_view
from app.console.pretty import pretty
from app.documents import client_data, parse_document
from app.errors import PreconditionFailed, ServiceError
from app.services import current_services
from app.store.preconditions import ETAG_VALUE, Preconditions, etag_of
from schema_registry import ValidationFailed

MAX_SHOWN_VALUE = 80  # characters of a refused value shown next to its field


@dataclass(frozen=True)
class FieldProblem:
    """One field the schema refused: its path, the value sent there, and why."""

    path: str
    sent: str
    messages: list[str]


@dataclass(frozen=True)
class Draft:
    """What the edit page shows: the text being edited, the ETag it started from, any refusal."""

    name: str
    text: str
    etag: str  # "": the namespace did not exist when opened
    message: str | None = None
    problems: list[FieldProblem] = field(default_factory=list)
    current: NamespaceView | None = None  # after a conflict: what is stored now
    schema_text: str | None = None  # the schema in force, as written


def open_draft(sid: str, ns: str) -> Draft:
    """The namespace as stored now, ready to edit; ``{}`` for a new one."""
    require_read([ns])
    require_write(ns)
    stored = current_services().repository.read(sid, ns)
    if stored is None:
        return with_schema(Draft(ns, "{}", ""))
    document = stored.document
    return with_schema(Draft(ns, pretty(client_data(json.loads(document))), etag_of(document)))


def save_draft(sid: str, ns: str, text: str, etag: str) -> None:
    """Store ``text`` as the namespace's document if it is unchanged since ``etag``; or raise."""
    require_read([ns])
    require_write(ns)
    services = current_services()
    registry = services.schemas.registry  # one snapshot for the size limit and validation
    limit = size_limit(registry, ns, services.config.MAX_BODY_BYTES)
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) > limit.value:
        raise limit.refusal("The document")
    data = client_data(parse_document(raw, services.config.MAX_JSON_DEPTH))
    put_document(sid, ns, data, preconditions(etag), registry)


def preconditions(etag: str) -> Preconditions:
    """If-Match the ETag the draft was opened at; If-None-Match * when it was new."""
    if not etag:
        return Preconditions(if_none_match="*")
    return Preconditions("list", (etag,) if ETAG_VALUE.fullmatch(etag) else ())


def refused_draft(sid: str, draft: Draft, error: ServiceError | ValidationFailed) -> Draft:
    """The draft again, with why it was not saved: field problems, or what is stored now."""
    if isinstance(error, ValidationFailed):
        problems = [field_problem(draft.text, path, msgs) for path, msgs in error.details.items()]
        message = "The namespace's schema refused the document; nothing was saved."
        return with_schema(Draft(draft.name, draft.text, draft.etag, message, problems))
    if isinstance(error, PreconditionFailed):
        return with_schema(conflict(sid, draft))
    message = f"{error.message} Nothing was saved."
    return with_schema(Draft(draft.name, draft.text, draft.etag, message))


def conflict(sid: str, draft: Draft) -> Draft:
    """The draft after someone else changed (or created, or deleted) the namespace."""
    stored = current_services().repository.read(sid, draft.name)
    if stored is None:
        message = "Someone deleted this namespace since you opened it; nothing was saved."
        return Draft(draft.name, draft.text, draft.etag, message)
    registry = current_services().schemas.registry
    current = namespace_view(draft.name, stored.document, stored.expires, registry, True)
    message = (
        "Someone changed this namespace since you opened it; nothing was saved. Its current "
        "version is shown below: open it again to edit that version."
    )
    return Draft(draft.name, draft.text, draft.etag, message, current=current)


def with_schema(draft: Draft) -> Draft:
    """The draft with the text of its namespace's schema in force, if it has one."""
    schema = current_services().schemas.registry.get(draft.name)
    if schema is None:
        return draft
    return replace(draft, schema_text=schema.text)


def field_problem(text: str, path: str, messages: list[str]) -> FieldProblem:
    """A refused field with the value the draft holds there (shortened)."""
    try:
        found = value_at(json.loads(text), path)
    except (ValueError, LookupError, TypeError):
        return FieldProblem(path, "(absent)", messages)
    shown = json.dumps(found, ensure_ascii=False)
    if len(shown) > MAX_SHOWN_VALUE:
        shown = shown[: MAX_SHOWN_VALUE - 1] + "…"
    return FieldProblem(path, shown, messages)


def value_at(document: Any, path: str) -> Any:
    """The value at a dotted field path (``friends.0.age``); ``_schema`` is the whole document."""
    if path == "_schema":
        return document
    value = document
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value
