"""The session endpoints (the seed's six and PATCH): one blueprint, thin views."""

from __future__ import annotations

from flask import Blueprint, Response, after_this_request, request

from app import identifiers
from app.access.grants import (
    authenticate,
    readable,
    require_delete_sessions,
    require_read,
    require_some_write,
    require_write,
)
from app.access.quotas import size_limit
from app.api.conditions import not_modified, write_preconditions
from app.api.http import json_response, no_query, read_json_object, requested_namespaces
from app.api.lifecycle import write
from app.api.patching import JSON_PATCH, MEDIA_TYPES, PatchStep, read_patch
from app.api.writes import put_document
from app.documents import client_data, dumps, with_expiry
from app.errors import (
    NotFound,
    namespace_not_found,
    namespace_precondition_failed,
)
from app.services import current_services
from app.store.preconditions import etag_of
from app.store.repository import WriteOutcome

bp = Blueprint("sessions", __name__, url_prefix="/v1/sessions")
# RFC 9745: when `POST .../touch` was deprecated (2026-12-07), as a structured-field date.
TOUCH_DEPRECATED_AT = "@1796601600"
bp.before_request(authenticate)


@bp.get("/<sid>")
def get_session(sid: str) -> Response:
    """The session's namespace names, plus the documents of any ``namespaces`` asked for."""
    sid = identifiers.session_id(sid)
    wanted = requested_namespaces(request.args)
    require_read(wanted)
    names, found = current_services().repository.read_session(sid, wanted)
    head = dumps({"_session": sid, "_namespaces": readable(names)})[:-1]
    parts = [
        b"," + dumps(ns) + b":" + with_expiry(found[ns].document, found[ns].expires)
        for ns in wanted
        if ns in found
    ]
    return json_response(head + b"".join(parts) + b"}")


@bp.delete("/<sid>")
@write("delete_session")
def delete_session(sid: str) -> Response:
    """Remove every namespace of the session at once."""
    sid = identifiers.session_id(sid)
    no_query(request)
    require_delete_sessions()
    count = current_services().repository.delete_session(sid)
    return json_response(dumps({"removed": 1 if count else 0}))


@bp.post("/<sid>/_touch")
@write("touch")
def touch_session(sid: str) -> Response:
    """Extend the session's life as a write would, without changing any namespace."""
    sid = identifiers.session_id(sid)
    no_query(request)
    require_some_write()
    if not current_services().repository.touch(sid):
        raise NotFound(f"Session {sid!r} holds no namespace.")
    return json_response(b'{"touched":true}')


@bp.post("/<sid>/touch")
@write("touch")
def touch_session_deprecated(sid: str) -> Response:
    """Deprecated: use ``POST /v1/sessions/{sid}/_touch``, which does the same.

    `touch` is also a valid namespace name, so this path reads like one. Its answers (all
    but the key check's and the rate limit's) carry `Deprecation` (RFC 9745) and a `Link`
    to the path that replaces it.
    """

    @after_this_request
    def deprecated(response: Response) -> Response:
        response.headers["Deprecation"] = TOUCH_DEPRECATED_AT
        response.headers["Link"] = '<_touch>; rel="successor-version"'  # relative to this path
        return response

    return touch_session(sid)


@bp.get("/<sid>/<namespace:ns>")
def get_namespace(sid: str, ns: str) -> Response:
    """One namespace's document."""
    sid, ns = identifiers.session_id(sid), identifiers.namespace(ns)
    no_query(request)
    require_read([ns])
    stored = current_services().repository.read(sid, ns)
    if stored is None:
        raise namespace_not_found(sid, ns)
    if not_modified(request, stored.document):
        return with_etag(Response(status=304), stored.document)
    return with_etag(json_response(with_expiry(stored.document, stored.expires)), stored.document)


@bp.put("/<sid>/<namespace:ns>")
@write("put", stores_document=True)
def put_namespace(sid: str, ns: str) -> Response:
    """Create or replace one namespace's document, validated by its schema if it has one."""
    sid, ns = identifiers.session_id(sid), identifiers.namespace(ns)
    no_query(request)
    require_write(ns)
    services = current_services()
    config = services.config
    registry = services.schemas.registry  # one snapshot for the size limit, validation and ttl
    limit = size_limit(registry, ns, config.MAX_BODY_BYTES)
    data = client_data(read_json_object(request, limit, config.MAX_JSON_DEPTH))
    document, expires = put_document(sid, ns, data, write_preconditions(request), registry)
    return with_etag(json_response(with_expiry(document, expires)), document)


@bp.patch("/<sid>/<namespace:ns>")
@write("patch", stores_document=True)
def patch_namespace(sid: str, ns: str) -> Response:
    """Change part of one namespace atomically: merge patch or JSON Patch, then validation.

    A PATCH reads the document (its answer is the whole patched document, and
    a JSON Patch ``test`` compares values), so it needs a read grant as well
    as a write grant.
    """
    return _patch(sid, ns, MEDIA_TYPES)


@bp.patch("/<sid>/<namespace:ns>/_json-patch")
@write("patch", stores_document=True)
def json_patch_namespace(sid: str, ns: str) -> Response:
    """Change part of one namespace atomically with a JSON Patch (RFC 6902), then validation.

    The same as PATCH of the namespace with `application/json-patch+json`, at a path of its
    own: one body type per operation is what client generators can type.
    """
    return _patch(sid, ns, (JSON_PATCH,))


def _patch(sid: str, ns: str, media_types: tuple[str, ...]) -> Response:
    """Apply the body, one of ``media_types``, to namespace ``ns`` of session ``sid``."""
    sid, ns = identifiers.session_id(sid), identifiers.namespace(ns)
    no_query(request)
    require_write(ns)
    require_read([ns])
    services = current_services()
    config = services.config
    registry = services.schemas.registry  # one snapshot for the size limit, validation and ttl
    limit = size_limit(registry, ns, config.MAX_BODY_BYTES)
    step = PatchStep(
        sid,
        ns,
        read_patch(request, limit, config.MAX_JSON_DEPTH, media_types),
        write_preconditions(request),
        registry,
        config.MAX_JSON_DEPTH,
        limit,
    )
    schema = registry.get(ns)
    ttl = schema.ttl_seconds if schema else None
    stored = services.repository.patch(sid, ns, step, ttl)
    return with_etag(json_response(with_expiry(stored.document, stored.expires)), stored.document)


@bp.delete("/<sid>/<namespace:ns>")
@write("delete")
def delete_namespace(sid: str, ns: str) -> Response:
    """Remove one namespace from the session."""
    sid, ns = identifiers.session_id(sid), identifiers.namespace(ns)
    no_query(request)
    require_write(ns)
    outcome = current_services().repository.delete(sid, ns, write_preconditions(request))
    if outcome == WriteOutcome.NOTHING_TO_DELETE:
        raise namespace_not_found(sid, ns)
    if outcome == WriteOutcome.PRECONDITION_FAILED:
        raise namespace_precondition_failed(sid, ns)
    return json_response(b'{"success":true}')


def with_etag(response: Response, document: bytes) -> Response:
    """Set the strong ETag of the namespace document a response is about."""
    response.set_etag(etag_of(document))
    return response
