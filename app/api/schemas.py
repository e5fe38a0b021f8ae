"""``/v1/schemas``: which schemas are in force, where they come from, and their JSON Schema."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from app import identifiers
from app.access.grants import authenticate
from app.api.http import json_response, no_query
from app.documents import dumps, iso_milliseconds
from app.errors import NotFound
from app.services import current_services
from schema_registry import SchemaEntry, definition_source, to_json_schema

bp = Blueprint("schemas", __name__, url_prefix="/v1/schemas")
bp.before_request(authenticate)  # any valid key may read every schema: they are not data


def summary(entry: SchemaEntry) -> dict[str, Any]:
    """What the listing says about one schema."""
    return {
        "name": entry.name,
        "status": entry.status,
        "source": entry.source,
        "digest": entry.digest,
        "inForce": entry.schema.digest if entry.schema is not None else None,
        "loadedAt": iso_milliseconds(entry.loaded_at),
        "problems": [str(problem) for problem in entry.problems],
    }


@bp.get("")
def list_schemas() -> Response:
    """Every schema with its source, digest, load time and status, plus load problems."""
    no_query(request)
    registry = current_services().schemas.registry
    body = {
        "schemas": [summary(entry) for entry in registry.entries()],
        "problems": [str(problem) for problem in registry.problems],
    }
    return json_response(dumps(body))


@bp.get("/<name>")
def get_schema(name: str) -> Response:
    """One schema: its summary, the version in force (as written and parsed), its JSON Schema."""
    name = identifiers.namespace(name)
    no_query(request)
    registry = current_services().schemas.registry
    entry = registry.entry(name)
    if entry is None:
        raise NotFound(f"There is no schema named {name!r}.")
    body = summary(entry)
    in_force = entry.schema is not None
    body["yaml"] = definition_source(entry) if in_force else None
    body["definition"] = entry.schema.definition if entry.schema is not None else None
    body["jsonSchema"] = to_json_schema(name, registry) if in_force else None
    return json_response(dumps(body))
