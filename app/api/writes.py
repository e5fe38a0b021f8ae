"""Storing a whole document: the one path for the API's PUT and the console's edits.

Whoever calls has already checked the caller's grants and read the document
within its namespace's size limit; this validates it by the schema in force,
stamps the metadata and writes it if the preconditions hold, in one atomic
step. Every outcome but success is a raised ServiceError (or the schema's
ValidationFailed), as for any view.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.documents import stamp
from app.errors import TooManyNamespaces, namespace_precondition_failed
from app.services import current_services
from app.store.preconditions import Preconditions
from app.store.repository import WriteOutcome
from app.validation import validate_for_namespace
from schema_registry import Registry


def put_document(
    sid: str,
    ns: str,
    data: dict[str, Any],
    preconditions: Preconditions,
    registry: Registry,
) -> tuple[bytes, int | None]:
    """Validate and store ``data`` as namespace ``ns``: the stored document and its expiry (ms).

    ``registry`` is the snapshot the caller used for the size limit, so one
    request sees one version of the namespace's schema throughout.
    """
    services = current_services()
    schema = validate_for_namespace(registry, ns, data)
    version, ttl = (schema.digest, schema.ttl_seconds) if schema else (None, None)
    document = stamp(data, sid, ns, datetime.now(UTC), schema_version=version)
    outcome, expires = services.repository.put(sid, ns, document, preconditions, ttl)
    if outcome == WriteOutcome.TOO_MANY_NAMESPACES:
        raise TooManyNamespaces(services.repository.max_namespaces)
    if outcome != WriteOutcome.DONE:
        raise namespace_precondition_failed(sid, ns)
    return document, expires
