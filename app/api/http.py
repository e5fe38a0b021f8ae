"""Reading requests and writing responses the way every view does."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import Request, Response, after_this_request, has_request_context
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from app import identifiers
from app.access.quotas import SizeLimit
from app.documents import parse_json, require_object
from app.errors import BadRequest, InvalidQuery, RequestTimeout, UnsupportedMediaType

MAX_NAMESPACES_PER_READ = 100
JSON_MEDIA_TYPE = "application/json"
REPLICAS_HEADER = "Sessionator-Replicas"
_JSON_HEADERS = (("Content-Type", JSON_MEDIA_TYPE), ("Cache-Control", "no-store"))


class NamespaceSegment(BaseConverter):
    """``<namespace:ns>``: any path segment but the actions a session's path has (``_touch``).

    A namespace name starts with a letter, so ``_touch`` can never be one; were it
    routed to the namespace views, ``GET .../_touch`` would be ``400
    invalid_namespace`` instead of ``405``. Other segments starting with ``_``
    still reach the views, which refuse them as ``400 invalid_namespace``.
    """

    regex = r"(?!_touch\Z)[^/]+"


def json_response(body: bytes, status: int = 200) -> Response:
    """A JSON response from already-serialized bytes; session data is never cached."""
    return Response(body, status=status, headers=_JSON_HEADERS)


def answer_options_in_json(served: Request, response: Response) -> None:
    """Flask's automatic OPTIONS answer, as JSON like every other: the methods allowed."""
    if served.method == "OPTIONS" and response.status_code == 200 and not response.data:
        allowed = sorted(response.allow)
        response.set_data(json.dumps({"allow": allowed}, separators=(",", ":")))
        response.mimetype = JSON_MEDIA_TYPE
        response.headers["Cache-Control"] = "no-store"


def read_json_object(request: Request, limit: SizeLimit, max_depth: int) -> dict[str, Any]:
    """The body of a write as a JSON object: media type, size, then syntax checked."""
    return require_object(read_json(request, (JSON_MEDIA_TYPE,), limit, max_depth))


def read_json(
    request: Request, media_types: tuple[str, ...], limit: SizeLimit, max_depth: int
) -> Any:
    """The body as any JSON value, sent as one of ``media_types``, within the limits."""
    if request.mimetype not in media_types:
        shown = request.content_type or "none"
        wanted = " or ".join(media_types)
        raise UnsupportedMediaType(f"Send the body as {wanted}, not {shown[:100]}.")
    return parse_json(_read_body(request, limit), max_depth)


def _read_body(request: Request, limit: SizeLimit) -> bytes:
    """At most ``limit`` bytes of body, refused before reading any when declared larger."""
    if request.content_length is not None and request.content_length > limit.value:
        raise limit.refusal("The body")
    try:
        body: bytes = _body_stream(request).read(limit.value + 1)
    except TimeoutError:
        raise RequestTimeout("The request body did not arrive in time.") from None
    except HTTPException:
        raise  # Werkzeug's own refusals (a client gone) are answered as they are
    except Exception:  # the server's HTTP parser: a broken chunk, a body cut short (gunicorn's
        # errors are not OSError): the client's body is unusable, whatever the server calls it
        raise broken_body() from None
    if len(body) > limit.value:
        raise limit.refusal("The body")
    return body


def broken_body() -> BadRequest:
    """The 400 for a body the server's HTTP parser could not read (and never quotes)."""
    return BadRequest(
        "The request body is not valid HTTP: its chunked framing is broken, or it ended "
        "before its declared length."
    )


def _body_stream(request: Request) -> Any:
    """The body as the server gives it, when the server bounds it (gunicorn says so with
    ``wsgi.input_terminated``), else Werkzeug's stream, which bounds it by Content-Length.

    Werkzeug's wrapping costs more CPU than the rest of reading a body; a
    server that ends the input itself at the body's end needs none of it.
    """
    if request.environ.get("wsgi.input_terminated"):
        return request.environ["wsgi.input"]
    return request.stream


def no_query(request: Request) -> None:
    """Refuse any query parameter: the endpoint takes none (and most requests send none,
    so nothing is parsed then)."""
    if request.environ.get("QUERY_STRING"):
        allow_query(request.args)


def allow_query(args: MultiDict[str, str], allowed: Iterable[str] = ()) -> None:
    """Refuse query parameters the endpoint does not take."""
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        takes = ", ".join(allowed) or "no query parameters"
        raise InvalidQuery(f"Unknown query parameter {unknown[0][:64]!r}; this takes {takes}.")


def requested_namespaces(args: MultiDict[str, str]) -> list[str]:
    """The distinct ``namespaces`` asked for, in the order first asked, each checked."""
    allow_query(args, ("namespaces",))
    names = list(dict.fromkeys(args.getlist("namespaces")))
    if len(names) > MAX_NAMESPACES_PER_READ:
        raise InvalidQuery(
            f"Ask for at most {MAX_NAMESPACES_PER_READ} namespaces at once, not {len(names)}."
        )
    return [identifiers.namespace(name) for name in names]


def report_replicas(acknowledged: int, wanted: int) -> None:
    """Tell the client how many replicas acknowledged the request's write (WRITE_REPLICAS).

    Sets ``Sessionator-Replicas: <acknowledged>/<wanted>`` on the response;
    outside a request (the CLI, tests of the repository alone) does nothing.
    """
    if not has_request_context():
        return

    @after_this_request
    def add_header(response: Response) -> Response:
        response.headers[REPLICAS_HEADER] = f"{acknowledged}/{wanted}"
        return response
