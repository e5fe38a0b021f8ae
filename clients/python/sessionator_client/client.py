"""The client: one typed method per endpoint, and ``update`` for read-modify-write loops."""

from __future__ import annotations

import copy
import json
import random
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

import httpx

from sessionator_client.errors import Conflict, NotFound, PreconditionFailed
from sessionator_client.models import Document, SchemaDetail, SchemaSummary
from sessionator_client.retry import Retry
from sessionator_client.transport import Transport, json_body, path_of

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
Change = Callable[[dict[str, Any] | None], dict[str, Any]]


class Client:
    """Sessionator over HTTP: one pooled connection set, timeouts, retries where safe.

    Thread-safe: share one client in a process. Every method raises a
    ``SessionatorError`` subclass when the service refuses or cannot serve.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 5.0,
        connect_timeout: float = 2.0,
        max_connections: int = 20,
        retry: Retry | None = None,
    ) -> None:
        headers = {"Accept": "application/json", "User-Agent": "sessionator-client/0.1.0"}
        if api_key is not None:
            headers["Authorization"] = f"Bearer {api_key}"
        self.http = httpx.Client(
            base_url=base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
        )
        self.transport = Transport(self.http, retry or Retry())

    def close(self) -> None:
        """Close the pooled connections."""
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # -- one namespace ---------------------------------------------------------

    def get(self, session: str, namespace: str) -> Document:
        """One namespace's document (``NotFound`` if it does not exist)."""
        response = self.transport.send(
            "GET", path_of("sessions", session, namespace), repeatable=True
        )
        return _document(response)

    def get_if_changed(self, session: str, namespace: str, etag: str) -> Document | None:
        """The document if its ETag is no longer ``etag``; None if it still is (304)."""
        headers = {"If-None-Match": etag}
        path = path_of("sessions", session, namespace)
        response = self.transport.send("GET", path, headers=headers, repeatable=True)
        return None if response.status_code == 304 else _document(response)

    def put(
        self,
        session: str,
        namespace: str,
        data: Mapping[str, Any],
        *,
        if_match: str | None = None,
        if_none_match: str | None = None,
    ) -> Document:
        """Create or replace the namespace whole; its schema, if any, must accept ``data``.

        ``if_match``: write only over this ETag (``*``: only if it exists);
        ``if_none_match="*"``: only create. Else ``PreconditionFailed``.
        """
        headers = _conditions(if_match, if_none_match) | {"Content-Type": "application/json"}
        path = path_of("sessions", session, namespace)
        conditional = if_match is not None or if_none_match is not None
        response = self.transport.send(
            "PUT", path, body=json_body(data), headers=headers, repeatable=True,
            repeat_status=412 if conditional else None,
        )  # fmt: skip
        return _document(response)

    def merge_patch(
        self, session: str, namespace: str, patch: Mapping[str, Any], *, if_match: str | None = None
    ) -> Document:
        """Change part of the namespace with a merge patch (RFC 7396): ``None`` removes a member."""
        path = path_of("sessions", session, namespace)
        return self._patch(path, json_body(patch), MERGE_PATCH, if_match)

    def json_patch(
        self,
        session: str,
        namespace: str,
        operations: Iterable[Mapping[str, Any]],
        *,
        if_match: str | None = None,
    ) -> Document:
        """Change part of the namespace with a JSON Patch (RFC 6902), all operations or none."""
        path = path_of("sessions", session, namespace, "_json-patch")
        return self._patch(path, json_body(list(operations)), JSON_PATCH, if_match)

    def delete(self, session: str, namespace: str, *, if_match: str | None = None) -> None:
        """Remove the namespace (``NotFound`` if it does not exist)."""
        path = path_of("sessions", session, namespace)
        headers = _conditions(if_match, None)
        self.transport.send("DELETE", path, headers=headers, repeatable=True, repeat_status=404)

    def update(
        self, session: str, namespace: str, change: Change, *, attempts: int = 32
    ) -> Document:
        """Read, change, write back only if nobody wrote in between; else start again.

        ``change`` gets a copy of the namespace's data (None when it does not
        exist) and returns the new data; it may run several times, so it must
        do nothing else. The write carries the ETag read (``If-Match``), or
        creates only (``If-None-Match: *``), so no concurrent write is ever
        overwritten. After ``attempts`` lost races, ``Conflict``
        (``write_conflict``).
        """
        for attempt in range(1, attempts + 1):
            current = self._get_or_none(session, namespace)
            data = change(copy.deepcopy(current.data) if current else None)
            try:
                if current is None:
                    return self.put(session, namespace, data, if_none_match="*")
                return self.put(session, namespace, data, if_match=current.etag)
            except PreconditionFailed:
                time.sleep(random.uniform(0, min(0.5, 0.005 * 2**attempt)))
        raise Conflict(
            f"Namespace {namespace!r} of session {session!r} changed under each of "
            f"{attempts} attempts to update it.",
            status=409,
            code="write_conflict",
        )

    # -- a session ---------------------------------------------------------------

    def list_namespaces(self, session: str) -> list[str]:
        """The names of the session's namespaces (that the key may read), sorted."""
        response = self.transport.send("GET", path_of("sessions", session), repeatable=True)
        return list(response.json()["_namespaces"])

    def get_many(self, session: str, namespaces: Iterable[str]) -> dict[str, Document]:
        """The documents of those of ``namespaces`` that exist, in one request (up to 100)."""
        params = [("namespaces", name) for name in namespaces]
        path = path_of("sessions", session)
        body = self.transport.send("GET", path, params=params, repeatable=True).json()
        return {
            name: Document.from_served(served, None)
            for name, served in body.items()
            if not name.startswith("_")
        }

    def delete_session(self, session: str) -> bool:
        """Remove every namespace of the session; whether it held any."""
        response = self.transport.send("DELETE", path_of("sessions", session), repeatable=True)
        return bool(response.json()["removed"])

    def touch(self, session: str) -> None:
        """Extend the session's life as a write would (``NotFound`` if it holds nothing)."""
        self.transport.send("POST", path_of("sessions", session, "_touch"))

    # -- schemas and probes -----------------------------------------------------

    def schemas(self) -> list[SchemaSummary]:
        """Every namespace schema the service knows, with its status."""
        body = self.transport.send("GET", path_of("schemas"), repeatable=True).json()
        return [SchemaSummary.from_served(served) for served in body["schemas"]]

    def schema(self, name: str) -> SchemaDetail:
        """One schema: as written, as parsed, and as JSON Schema."""
        response = self.transport.send("GET", path_of("schemas", name), repeatable=True)
        return SchemaDetail.from_served(response.json())

    def ready(self) -> dict[str, Any]:
        """``/readyz`` now, not retried: ``ServiceUnavailable`` when the service is not ready."""
        body: dict[str, Any] = self.transport.send("GET", "/readyz").json()
        return body

    def alive(self) -> bool:
        """Whether the service answers ``/healthz``, not retried."""
        return bool(self.transport.send("GET", "/healthz").json()["status"] == "alive")

    # -- helpers -----------------------------------------------------------------

    def _patch(self, path: str, body: bytes, media_type: str, if_match: str | None) -> Document:
        """A PATCH, retried only when a specific ETag makes repeating it harmless."""
        headers = _conditions(if_match, None) | {"Content-Type": media_type}
        repeatable = if_match is not None and if_match.strip() != "*"
        response = self.transport.send(
            "PATCH", path, body=body, headers=headers, repeatable=repeatable, repeat_status=412
        )
        return _document(response)

    def _get_or_none(self, session: str, namespace: str) -> Document | None:
        try:
            return self.get(session, namespace)
        except NotFound:
            return None


def _conditions(if_match: str | None, if_none_match: str | None) -> dict[str, str]:
    conditions = {"If-Match": if_match, "If-None-Match": if_none_match}
    return {name: value for name, value in conditions.items() if value is not None}


def _document(response: httpx.Response) -> Document:
    return Document.from_served(json.loads(response.content), response.headers.get("ETag"))
