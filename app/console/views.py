"""The console's pages: sign-in, who am I, session look-up and edit, schemas, health.

Server-rendered HTML, no script. Look-ups and edits are POSTed forms: a
session id or document never appears in a URL. The session id looked up last
is kept in the browser's signed session, so that the session page can be
shown again after an edit (POST, then redirect, then GET).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response

from app import identifiers
from app.access.audit import record
from app.access.grants import current_caller
from app.console import guard
from app.console.editing import Draft, open_draft, refused_draft, save_draft
from app.console.guard import SID, ConsoleRefusal, NotSignedIn
from app.console.health import REFRESH_SECONDS, read_health
from app.console.lookup import read_session
from app.console.schemas import schema_views
from app.errors import InvalidSessionId, ServiceError, Unauthorized
from app.logs import log_unexpected
from app.services import current_services
from schema_registry import ValidationFailed

log = logging.getLogger(__name__)

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
)
bp.before_request(guard.bound_forms)
bp.before_request(guard.authenticate)  # before the CSRF check: a refused form names its tenant
bp.before_request(guard.check_csrf)
bp.after_request(guard.security_headers)


@bp.context_processor
def page_globals() -> dict[str, Any]:
    """What every page may use: the CSRF token, the caller, whether the service is open."""
    return {
        "csrf_token": guard.csrf_token,
        "caller": g.get("caller"),
        "open_service": current_services().tenants is None,
    }


def page(template: str, status: int = 200, **context: Any) -> Response:
    """A console page from ``templates/console/<template>``."""
    return make_response(render_template(f"console/{template}", **context), status)


def error_page(status: int, message: str) -> Response:
    """The page of a request the console refused or could not serve."""
    return page("error.html", status, failed_status=status, message=message)


def see(endpoint: str) -> Response:
    """303 See Other: after a POST, the browser GETs the page."""
    return redirect(url_for(endpoint), 303)


@bp.get("")
def index() -> Response:
    """The session look-up, where work starts."""
    return see(".session_page")


@bp.get("/sign-in")
def sign_in() -> Response:
    """The sign-in form (an open service needs no key)."""
    if current_services().tenants is None:
        return see(".me")
    return page("sign_in.html")


@bp.post("/sign-in")
def sign_in_with_key() -> Response:
    """Check the key as the API would; keep it in the browser's session if valid."""
    if current_services().tenants is None:
        return see(".me")
    try:
        guard.sign_in(request.form.get("key", "").strip())
    except Unauthorized as refused:
        return page("sign_in.html", 401, error=refused.message)
    return see(".me")


@bp.post("/sign-out")
def sign_out() -> Response:
    """Forget the key; back to the sign-in form."""
    guard.sign_out()
    flash("You are signed out.", "info")
    return see(".sign_in")


@bp.get("/me")
def me() -> Response:
    """Who the key belongs to, and what it may read and write."""
    caller = current_caller()
    rate = caller.tenant.rate_limit or current_services().config.RATE_LIMIT
    return page("me.html", rate=rate, page="me")


@bp.get("/session")
def session_page() -> Response:
    """The look-up form, and the session looked up last with its readable namespaces."""
    sid = session.get(SID)
    namespaces = read_session(sid) if isinstance(sid, str) else None
    return page("session.html", sid=sid, namespaces=namespaces, page="session")


@bp.post("/session")
def look_up() -> Response:
    """Look up a session id sent in the form body (never in the URL)."""
    typed = request.form.get("sid", "").strip()
    try:
        session[SID] = identifiers.session_id(typed)
    except InvalidSessionId as error:
        return page(
            "session.html", 400, sid=None, namespaces=None, typed=typed, error=error.message
        )
    return see(".session_page")


@bp.post("/edit")
def edit() -> Response:
    """The edit form of one namespace of the session looked up, at its current ETag."""
    sid = looked_up()
    draft = open_draft(sid, identifiers.namespace(request.form.get("ns", "")))
    return page("edit.html", sid=sid, draft=draft, page="session")


@bp.post("/save")
def save() -> Response:
    """Save an edited document as PUT with If-Match would; show why not if refused."""
    sid = looked_up()
    form = request.form
    draft = Draft(form.get("ns", "")[:200], form.get("text", ""), form.get("etag", "")[:100])
    try:
        save_draft(sid, identifiers.namespace(draft.name), draft.text, draft.etag)
    except (ServiceError, ValidationFailed) as error:
        status = error.status if isinstance(error, ServiceError) else 422
        audit_save(status)
        shown = refused_draft(sid, draft, error)
        return page("edit.html", status, sid=sid, draft=shown, page="session")
    audit_save(200)
    flash(f"Saved {draft.name}.", "info")
    return see(".session_page")


@bp.get("/schemas")
def schemas() -> Response:
    """The schemas in force that the caller may read: status, problems, YAML, JSON Schema."""
    views, others = schema_views()
    return page("schemas.html", schemas=views, other_problems=others, page="schemas")


@bp.get("/health")
def health() -> Response:
    """Store, durability, traffic, schemas and access at a glance."""
    return page("health.html", health=read_health(), refresh=REFRESH_SECONDS, page="health")


def looked_up() -> str:
    """The session id the browser looked up last; refused when there is none."""
    sid = session.get(SID)
    if not isinstance(sid, str):
        raise ConsoleRefusal(400, "Look up a session first.")
    return sid


def audit_save(status: int) -> None:
    """The audit line of a save attempt, as the API's PUT leaves one (marked via console)."""
    try:
        namespace = request.form.get("ns")
    except RequestEntityTooLarge:  # a form too large to read has no namespace to name
        namespace = None
    record("put", session.get(SID), namespace, status, via="console")


def audit_if_save(status: int) -> None:
    """A save refused before its view ran (sign-in, rate, CSRF) is audited too, as the API's."""
    if request.endpoint == "console.save":
        audit_save(status)


@bp.errorhandler(NotSignedIn)
def to_sign_in(error: NotSignedIn) -> Response:
    """Back to the sign-in page, saying why when a sign-in ended."""
    audit_if_save(401)
    if error.message:
        flash(error.message, "error")
    return see(".sign_in")


@bp.errorhandler(ConsoleRefusal)
def refused(error: ConsoleRefusal) -> Response:
    """A page saying why the console refused the request (a stale form, no session)."""
    audit_if_save(error.status)
    return error_page(error.status, error.message)


@bp.errorhandler(ServiceError)
def service_error(error: ServiceError) -> Response:
    """The API's refusal (403, 429, 503...) as a page, with the same status and headers."""
    audit_if_save(error.status)
    response = error_page(error.status, error.message)
    response.headers.update(error.headers)
    return response


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    """Werkzeug's own refusals (a body over the form limit...) as a page."""
    status = error.code or 500
    message = (error.description or "The request could not be served.").split("  ")[0]
    return error_page(status, message)


@bp.errorhandler(Exception)
def unexpected(error: Exception) -> Response:
    """A bug: logged with its trace, shown as a page without one."""
    log_unexpected(log, error)
    return error_page(500, "The console failed; this is a bug.")
