"""The schemas a running service has in force, read over its HTTP API.

``GET /v1/schemas`` lists the names; ``GET /v1/schemas/<name>`` gives, in its
``yaml`` field, the text of the version in force (the last good one, for a
stale schema). A broken schema has none and is left out: nothing of it is in
force. With tenants, any valid API key may read the schemas: pass one (the
CLI reads ``SESSIONATOR_KEY``).
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

from schema_registry import Registry, load_texts

TIMEOUT_SECONDS = 10.0


class RemoteSchemasError(Exception):
    """The schemas in force could not be read from the service; the message says why."""


def is_service_url(value: str) -> bool:
    """Tell whether a command-line argument names a service rather than a directory."""
    return value.startswith(("http://", "https://"))


def schemas_in_force(base_url: str, key: str | None = None) -> Registry:
    """A registry of the versions in force at the service at ``base_url``."""
    base = base_url.rstrip("/")
    listing = _get_json(f"{base}/v1/schemas", key)
    summaries = listing.get("schemas")
    if not isinstance(summaries, list) or not all(_named(summary) for summary in summaries):
        # Else a wrong URL answering some other JSON would pass for a service with no schemas.
        raise RemoteSchemasError(f"{base}/v1/schemas did not list schemas: is it Sessionator's?")
    texts: dict[str, str] = {}
    for summary in summaries:
        if summary.get("inForce") is None:
            continue  # broken: nothing of it is in force
        name = summary["name"]
        text = _get_json(f"{base}/v1/schemas/{quote(name)}", key).get("yaml")
        if not isinstance(text, str):
            raise RemoteSchemasError(f"{base}/v1/schemas/{name} did not give its YAML")
        texts[name] = text
    return load_texts(texts, f"{base}/v1/schemas")


def _named(summary: object) -> bool:
    return isinstance(summary, dict) and isinstance(summary.get("name"), str)


def _get_json(url: str, key: str | None) -> dict[str, Any]:
    """GET ``url`` and parse its JSON object; `RemoteSchemasError` on any failure."""
    headers = {"Accept": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers), timeout=TIMEOUT_SECONDS
        ) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise RemoteSchemasError(_refusal(url, error)) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", error)
        raise RemoteSchemasError(f"cannot reach {url}: {reason}") from None
    except ValueError:
        raise RemoteSchemasError(f"{url} did not answer JSON") from None
    if not isinstance(body, dict):
        raise RemoteSchemasError(f"{url} did not answer a JSON object")
    return body


def _refusal(url: str, error: urllib.error.HTTPError) -> str:
    """Explain an HTTP error answer, with a hint for a missing or wrong key."""
    message = f"{url} answered {error.code}"
    if error.code in (401, 403):
        message += ": set SESSIONATOR_KEY to an API key of that service"
    return message
