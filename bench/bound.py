"""The floor plus the contract's least work: how close to the floor a Flask service can get.

Served in place of the service (`bench/run.py --app bench.bound:app`), this
answers the benchmark's four requests doing only what the contract and the
production settings require of each, with the service's own parts and none
of its structure: the key checked and rate-counted, the grant checked, the
same Redis scripts (exact expiry, metadata, the namespace limit), the body
parsed and validated by its schema, the metadata stamped, the ETag and
request id, the request metrics, the JSON request line, and for writes the
audit line and the stored size. Nothing else: no hooks, no error answers
(any refusal is a bare 500), no query or header checks, no other route.

It is a measuring stick, not a service. If even this stays under the aim
(0.8 of the floor's req/s), the gap is the price of the contract's work on
Flask, not of the service's structure; what it reaches is the most that
trimming the service's own code could win. bench/README.md has the figures.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Response, g, request

from app import create_app
from app.access.audit import record
from app.access.quotas import size_limit
from app.api.lifecycle import new_request_id
from app.api.patching import MEDIA_TYPES, PatchStep, read_patch
from app.api.writes import put_document
from app.documents import client_data, dumps, parse_json, require_object, with_expiry
from app.logs import log_request_line
from app.store.preconditions import etag_of
from app.store.repository import ANY

service = create_app()
services = service.extensions["sessionator"]
app = Flask(__name__)
app.extensions["sessionator"] = services  # current_services() for the parts that ask
ROUTE = "/v1/sessions/<sid>/<ns>"
HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-store"}


def _caller() -> Any:
    """The key's tenant, counted against its rate: the service's own check."""
    key = request.environ["HTTP_AUTHORIZATION"].partition(" ")[2]
    caller = services.tenants.tenants.authenticate(key)
    services.rate_limiter.hit(caller)
    g.caller, g.request_id = caller, new_request_id()
    return caller


def _answer(body: bytes, route: str, started: float, document: bytes | None = None) -> Response:
    """The response with its ETag and request id; the metrics and the request line."""
    response = Response(body, headers=HEADERS)
    if document is not None:
        response.set_etag(etag_of(document))
    response.headers["X-Request-ID"] = g.request_id
    seconds = time.perf_counter() - started
    services.metrics.observe_request(request.method, route, 200, seconds)
    log_request_line(
        request_id=g.request_id, method=request.method, route=route, status=200,
        seconds=seconds, tenant=g.caller.tenant.name,
    )  # fmt: skip
    return response


def _stored(ns: str, sid: str, document: bytes, action: str) -> None:
    """A write's audit line and stored size."""
    record(action, sid, ns, 200)
    label = ns if ns in services.schemas.registry else "other"
    services.metrics.document_bytes.labels(label).observe(len(document))


@app.get("/readyz")
def ready() -> Response:
    return Response(b'{"status":"ready"}', headers=HEADERS)


@app.get(ROUTE)
def get_one(sid: str, ns: str) -> Response:
    started = time.perf_counter()
    if not _caller().tenant.may_read(ns):
        raise PermissionError(ns)
    stored = services.repository.read(sid, ns)
    body = with_expiry(stored.document, stored.expires)
    return _answer(body, ROUTE, started, stored.document)


@app.get("/v1/sessions/<sid>")
def get_many(sid: str) -> Response:
    started = time.perf_counter()
    tenant = _caller().tenant
    wanted = list(dict.fromkeys(request.args.getlist("namespaces")))
    if not all(tenant.may_read(ns) for ns in wanted):
        raise PermissionError(wanted)
    names, found = services.repository.read_session(sid, wanted)
    head = dumps({"_session": sid, "_namespaces": [n for n in names if tenant.may_read(n)]})
    parts = [
        b"," + dumps(ns) + b":" + with_expiry(found[ns].document, found[ns].expires)
        for ns in wanted
        if ns in found
    ]
    return _answer(head[:-1] + b"".join(parts) + b"}", "/v1/sessions/<sid>", started)


@app.put(ROUTE)
def put(sid: str, ns: str) -> Response:
    started = time.perf_counter()
    if not _caller().tenant.may_write(ns):
        raise PermissionError(ns)
    registry = services.schemas.registry
    limit = size_limit(registry, ns, services.config.MAX_BODY_BYTES)
    raw = request.environ["wsgi.input"].read(limit.value + 1)
    data = client_data(require_object(parse_json(raw, services.config.MAX_JSON_DEPTH)))
    document, expires = put_document(sid, ns, data, ANY, registry)
    _stored(ns, sid, document, "put")
    return _answer(with_expiry(document, expires), ROUTE, started, document)


@app.patch(ROUTE)
def patch(sid: str, ns: str) -> Response:
    started = time.perf_counter()
    tenant = _caller().tenant
    if not (tenant.may_write(ns) and tenant.may_read(ns)):
        raise PermissionError(ns)
    registry = services.schemas.registry
    config = services.config
    limit = size_limit(registry, ns, config.MAX_BODY_BYTES)
    change = read_patch(request, limit, config.MAX_JSON_DEPTH, MEDIA_TYPES)
    step = PatchStep(sid, ns, change, ANY, registry, config.MAX_JSON_DEPTH, limit)
    schema = registry.get(ns)
    stored = services.repository.patch(sid, ns, step, schema.ttl_seconds if schema else None)
    _stored(ns, sid, stored.document, "patch")
    body = with_expiry(stored.document, stored.expires)
    return _answer(body, ROUTE, started, stored.document)
