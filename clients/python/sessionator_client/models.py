"""What the client returns: documents and schema descriptions, typed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

METADATA = frozenset({"_session", "_namespace", "_modified", "_expires", "_schemaVersion"})


def _instant(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


@dataclass(frozen=True)
class Document:
    """One namespace document as stored: the caller's data and the service's metadata."""

    session: str
    namespace: str
    data: dict[str, Any]  # the caller's members, in stored order, without the metadata
    modified: datetime
    expires: datetime | None  # None: never
    schema_version: str | None  # the digest of the schema that accepted it, if any
    etag: str | None  # the strong ETag, for If-Match; None in a multi-read (no header each)

    @classmethod
    def from_served(cls, served: dict[str, Any], etag: str | None) -> Document:
        """The document from a body the service served, with the ETag it sent."""
        modified = _instant(served["_modified"])
        assert modified is not None, "the service always sets _modified"
        return cls(
            session=served["_session"],
            namespace=served["_namespace"],
            data={key: value for key, value in served.items() if key not in METADATA},
            modified=modified,
            expires=_instant(served.get("_expires")),
            schema_version=served.get("_schemaVersion"),
            etag=etag,
        )


@dataclass(frozen=True)
class SchemaSummary:
    """A namespace schema as ``GET /v1/schemas`` lists it."""

    name: str
    status: str  # "ok", "stale" (an edit that does not load) or "broken" (never loaded)
    source: str
    digest: str  # of the file on disk
    in_force: str | None  # digest of the version in force, None while broken
    loaded_at: datetime
    problems: list[str]

    @classmethod
    def from_served(cls, served: dict[str, Any]) -> SchemaSummary:
        """The summary from its JSON."""
        loaded_at = _instant(served["loadedAt"])
        assert loaded_at is not None, "the service always sets loadedAt"
        return cls(
            name=served["name"],
            status=served["status"],
            source=served["source"],
            digest=served["digest"],
            in_force=served["inForce"],
            loaded_at=loaded_at,
            problems=list(served["problems"]),
        )


@dataclass(frozen=True)
class SchemaDetail:
    """One schema: its summary, the version in force as YAML and parsed, and as JSON Schema."""

    summary: SchemaSummary
    yaml: str | None
    definition: dict[str, Any] | None
    json_schema: dict[str, Any] | None  # JSON Schema 2020-12; None while broken

    @classmethod
    def from_served(cls, served: dict[str, Any]) -> SchemaDetail:
        """The detail from its JSON."""
        return cls(
            SchemaSummary.from_served(served),
            served["yaml"],
            served["definition"],
            served["jsonSchema"],
        )
