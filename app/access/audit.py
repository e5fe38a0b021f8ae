"""The audit trail: one structured line per write or delete, whatever its outcome.

Each line says who (tenant and key id, a digest prefix: never the key), what
(session, namespace, action), the status answered and the request id. Never
the body. Refused attempts (401, 403, 429, ...) are logged too: they are what
an audit is for.
"""

from __future__ import annotations

import logging

from flask import Response, g, request

log = logging.getLogger(__name__)

ACTIONS = {
    "sessions.put_namespace": "put",
    "sessions.patch_namespace": "patch",
    "sessions.json_patch_namespace": "patch",
    "sessions.delete_namespace": "delete",
    "sessions.delete_session": "delete_session",
    "sessions.touch_session": "touch",
    "sessions.touch_session_deprecated": "touch",
}


def record_write(response: Response) -> Response:
    """Log one audit line if this request was a write or delete."""
    action = ACTIONS.get(request.endpoint or "")
    if action is None:
        return response
    caller = g.get("caller")
    view_args = request.view_args or {}
    fields = {
        "event": "audit",
        "tenant": caller.tenant.name if caller else None,
        "keyId": caller.key_id if caller else None,
        "session": _shown(view_args.get("sid")),
        "namespace": _shown(view_args.get("ns")),
        "action": action,
        "status": response.status_code,
        "requestId": g.get("request_id"),
    }
    log.info("%s %s", action, response.status_code, extra={"fields": fields})
    return response


def _shown(value: object) -> str | None:
    """An identifier from the URL as logged: at most 128 characters (it may be invalid)."""
    return None if value is None else str(value)[:128]
