"""The audit trail: one structured line per write or delete, whatever its outcome.

Each line says who (tenant and key id, a digest prefix: never the key), what
(session, namespace, action), the status answered and the request id. Never
the body. Refused attempts (401, 403, 429, ...) are logged too: they are what
an audit is for. Which views are writes, the views say (``app.api.lifecycle.write``).
"""

from __future__ import annotations

import logging

from flask import g

log = logging.getLogger(__name__)


def record(
    action: str, session: object, namespace: object, status: int, via: str | None = None
) -> None:
    """Log the audit line of one write or delete attempt by this request's caller.

    ``via`` names where the attempt came from when not the HTTP API (the console).
    """
    caller = g.get("caller")
    fields = {
        "event": "audit",
        "tenant": caller.tenant.name if caller else None,
        "keyId": caller.key_id if caller else None,
        "session": _shown(session),
        "namespace": _shown(namespace),
        "action": action,
        "status": status,
        "requestId": g.get("request_id"),
    }
    if via is not None:
        fields["via"] = via
    log.info("%s %s", action, status, extra={"fields": fields})


def _shown(value: object) -> str | None:
    """An identifier from the URL as logged: at most 128 characters (it may be invalid)."""
    return None if value is None else str(value)[:128]
