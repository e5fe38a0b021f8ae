"""Who is calling, and whether they may: the API key, the tenant's grants, its rate.

Blueprints that serve tenant data register ``authenticate`` as their
``before_request``: it runs before the view reads anything, so a request
without a valid key learns nothing, not even whether its identifiers are
well formed. Views then ask ``require_read``/``require_write``/... before
touching a namespace. With no tenants file the service is open: every
request is the ``open`` tenant, which may do anything.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import g, request

from app.access.tenants import OPEN, Caller, Tenant
from app.errors import Forbidden, Unauthorized
from app.services import current_services

_OPEN_CALLER = Caller(OPEN)


def authenticate() -> None:
    """Find the caller from ``Authorization: Bearer <key>`` and count it against its rate."""
    services = current_services()
    if services.tenants is None:
        g.caller = _OPEN_CALLER
        return
    header = request.headers.get("Authorization")
    if header is None:
        raise Unauthorized("Send an API key as Authorization: Bearer <key>.")
    key = _bearer_key(header)
    if key is None:
        raise Unauthorized("Send the API key as Authorization: Bearer <key>; no other scheme.")
    g.caller = identify(key)


def _bearer_key(header: str) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header; None for any other scheme."""
    scheme, _, key = header.strip().partition(" ")
    return key.strip() if scheme.lower() == "bearer" and key.strip() else None


def identify(key: str) -> Caller:
    """The caller holding ``key``, counted against its rate; Unauthorized if no tenant does.

    The one check of a key, whether it came as a Bearer header or from the
    console's sign-in: the API and the console authenticate the same way.
    An open service (no tenants file) has no keys: anyone is its ``open`` tenant.
    """
    services = current_services()
    if services.tenants is None:
        return _OPEN_CALLER
    caller = services.tenants.tenants.authenticate(key)
    if caller is None:
        raise Unauthorized("The API key is not valid: unknown, revoked or mistyped.")
    if services.rate_limiter is not None:
        services.rate_limiter.hit(caller)
    return caller


def optional_caller() -> Caller | None:
    """The caller whose valid key this request carries, if any; nothing refused or counted.

    For endpoints open to all (the probes) that say more to a caller with a key.
    """
    tenants = current_services().tenants
    key = _bearer_key(request.headers.get("Authorization", ""))
    if tenants is None or key is None:
        return None
    return tenants.tenants.authenticate(key)


def current_caller() -> Caller:
    """The caller ``authenticate`` found for this request."""
    caller: Caller = g.caller
    return caller


def require_read(namespaces: Iterable[str]) -> None:
    """403 naming every one of ``namespaces`` the caller may not read."""
    tenant = current_caller().tenant
    refused = [ns for ns in namespaces if not tenant.may_read(ns)]
    if refused:
        raise _forbidden(tenant, "read", refused)


def require_write(namespace: str) -> None:
    """403 unless the caller may write (PUT, PATCH, DELETE) ``namespace``."""
    tenant = current_caller().tenant
    if not tenant.may_write(namespace):
        raise _forbidden(tenant, "write", [namespace])


def require_delete_sessions() -> None:
    """403 unless the caller's tenant holds the grant to delete whole sessions."""
    tenant = current_caller().tenant
    if not tenant.delete_sessions:
        raise Forbidden(
            f"Tenant {tenant.name!r} may not delete whole sessions (they hold every team's "
            "data); that needs delete_sessions: true in the tenants file.",
            details={"tenant": tenant.name, "action": "delete_sessions"},
        )


def require_some_write() -> None:
    """403 unless the caller may write some namespace: touching extends every team's data."""
    tenant = current_caller().tenant
    if not tenant.write:
        raise Forbidden(
            f"Tenant {tenant.name!r} may not touch sessions: it has no write grant.",
            details={"tenant": tenant.name, "action": "touch"},
        )


def readable(names: Iterable[str]) -> list[str]:
    """Those of ``names`` the caller may read, in order."""
    tenant = current_caller().tenant
    return [name for name in names if tenant.may_read(name)]


def _forbidden(tenant: Tenant, action: str, namespaces: list[str]) -> Forbidden:
    shown = ", ".join(repr(ns) for ns in namespaces[:3])
    more = f" and {len(namespaces) - 3} more" if len(namespaces) > 3 else ""
    noun = "namespace" if len(namespaces) == 1 else "namespaces"
    return Forbidden(
        f"Tenant {tenant.name!r} may not {action} {noun} {shown}{more}.",
        details={"tenant": tenant.name, "action": action, "namespaces": namespaces},
    )
