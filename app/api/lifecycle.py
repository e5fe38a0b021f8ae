"""What happens around every request: one hook before it, one after it.

Before: the clock starts and the request gets its id (the caller's
``X-Request-ID`` when it is a sane token, else a new one). After, errors
included: Flask's own OPTIONS answer becomes JSON, the id goes back in
``X-Request-ID``, a write is audited, the metrics count the request, and its
one log line is written. One hook each, and one look-up of the request, the
app and its services: these run on every request, and Flask's hooks and
context look-ups cost more than the work they do.

What a view is, the view says (``@write``), not a table of endpoint names
elsewhere that renaming the view would silently leave behind.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Request, Response, current_app, g, request

from app.access.audit import record
from app.api.http import answer_options_in_json
from app.api.metrics import observe_document
from app.identifiers import REQUEST_ID_PATTERN
from app.logs import log_request_line
from app.services import Services

View = TypeVar("View", bound=Callable[..., Any])

_CONVERTER = re.compile(r"<[a-z_]+:")  # the converter's name in a URL rule's variable
_ROUTES: dict[str, str] = {}  # URL rule: its name in logs and metrics
_ids: list[Any] = []  # this process's random prefix and counter (see new_request_id)


def _new_id_source() -> None:
    _ids[:] = [secrets.token_hex(8), itertools.count(secrets.randbelow(1 << 32))]


_new_id_source()
os.register_at_fork(after_in_child=_new_id_source)  # a forked worker must not share them


def write(action: str, stores_document: bool = False) -> Callable[[View], View]:
    """Declare a view a write: its requests are audited as ``action`` (``put``, ``delete``...);
    ``stores_document``: a success answers the stored document, whose size the metrics count."""

    def declare(view: View) -> View:
        view.audited_as = action  # type: ignore[attr-defined]
        view.stores_document = stores_document  # type: ignore[attr-defined]
        return view

    return declare


def begin() -> None:
    """The app's one ``before_request`` hook: start the clock, name the request."""
    g.request_started = time.perf_counter()
    given = request.environ.get("HTTP_X_REQUEST_ID", "")
    g.request_id = given if REQUEST_ID_PATTERN.fullmatch(given) else new_request_id()


def finish(response: Response) -> Response:
    """The app's one ``after_request`` hook (see the module's docstring), errors included."""
    served: Request = request._get_current_object()  # type: ignore[attr-defined]
    context = g._get_current_object()
    answer_options_in_json(served, response)
    request_id = context.get("request_id")
    if request_id:
        response.headers["X-Request-ID"] = request_id
    seconds = time.perf_counter() - context.get("request_started", time.perf_counter())
    view = current_app.view_functions.get(served.endpoint or "")
    services: Services = current_app.extensions["sessionator"]
    action = getattr(view, "audited_as", None)
    if action is not None:
        args = served.view_args or {}
        record(action, args.get("sid"), args.get("ns"), response.status_code)
    route = route_of(served)
    metrics = services.metrics
    metrics.observe_request(served.method, route, response.status_code, seconds)
    if action is not None:
        stores = getattr(view, "stores_document", False)
        observe_document(metrics, services, served, response, stores)
    _log_line(served, response, route, seconds, context)
    return response


def new_request_id() -> str:
    """A request id no other request of any worker gets: 32 hex digits, like a UUID's.

    A random prefix per process and a counter, not uuid4(): every request
    without an ``X-Request-ID`` needs one, and uuid4 cost more than the rest
    of the hook.
    """
    prefix, counter = _ids
    return f"{prefix}{next(counter):016x}"


def route_of(served: Request) -> str | None:
    """The URL rule the request matched (``/v1/sessions/<sid>/<ns>``); None: no route.

    Without converter names (``<namespace:ns>`` is ``<ns>``): how a variable is
    matched is no part of the route's name in logs and metrics.
    """
    if served.url_rule is None:
        return None
    rule = served.url_rule.rule
    name = _ROUTES.get(rule)
    if name is None:
        name = _ROUTES[rule] = _CONVERTER.sub("<", rule)
    return name


def _log_line(
    served: Request, response: Response, route: str | None, seconds: float, context: Any
) -> None:
    caller = context.get("caller")
    log_request_line(
        request_id=context.get("request_id"),
        method=served.method[:20],
        route=route,
        status=response.status_code,
        seconds=seconds,
        tenant=caller.tenant.name if caller is not None else None,
        reason=context.get("error_reason"),
    )
