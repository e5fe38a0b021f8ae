"""The bodies of the OpenAPI document: marshmallow schemas for the service's own JSON, and
every namespace schema of the registry as JSON Schema 2020-12 (which OpenAPI 3.1 speaks).

apispec's marshmallow plugin turns the classes here into ``components.schemas``;
a class whose ``Meta.unknown`` is ``RAISE`` (marshmallow's default) becomes an
object with ``additionalProperties: false``, so the document is as strict as
the service's answers are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from marshmallow import EXCLUDE, INCLUDE, Schema, fields
from marshmallow.validate import Length, OneOf, Regexp

from app import identifiers
from app.errors import error_codes
from schema_registry import Registry, to_json_schema

JsonSchema = dict[str, Any]

SESSION_ID = f"^(?:{identifiers.SESSION_ID_PATTERN.pattern})$"  # the very patterns the views check
NAMESPACE = f"^(?:{identifiers.NAMESPACE_PATTERN.pattern})$"
TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"
DIGEST = r"^sha256:[0-9a-f]{64}$"
# RFC 6901: empty (the whole document) or "/"-separated tokens, "~" only as "~0" or "~1".
POINTER = r"^(?:/(?:[^/~]|~[01])*)*$"
MEMBER_POINTER = r"^(?:/(?:[^/~]|~[01])*)+$"


def _session_id(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=[Length(1, identifiers.SESSION_ID_MAX), Regexp(SESSION_ID)], **kwargs
    )


def _namespace(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=[Length(1, identifiers.NAMESPACE_MAX), Regexp(NAMESPACE)], **kwargs
    )


def _timestamp(description: str = "", **kwargs: Any) -> fields.String:
    metadata = {"format": "date-time", **({"description": description} if description else {})}
    return fields.String(metadata=metadata, validate=Regexp(TIMESTAMP), **kwargs)


class ErrorSchema(Schema):
    """Every error: ``error`` (a code), ``message`` (a sentence), ``details`` where useful."""

    error = fields.String(
        required=True,
        validate=OneOf(sorted({c for codes in error_codes().values() for c in codes})),
    )
    message = fields.String(required=True)
    details = fields.Dict(
        keys=fields.String(),
        metadata={
            "description": "For validation_failed, each failing field's path (friends.0.age) "
            "to a list of messages; for quotas, the limit's name and value; for forbidden, "
            "the tenant, action and namespaces refused."
        },
    )


class StoredDocumentSchema(Schema):
    """A namespace document as served: the client's object plus the service's metadata."""

    class Meta:
        unknown = INCLUDE  # the client's own members, in the order sent

    session = _session_id(data_key="_session", required=True)
    namespace = _namespace(data_key="_namespace", required=True)
    modified = _timestamp("The last write, UTC.", data_key="_modified", required=True)
    expires = _timestamp(
        "When Redis drops the namespace (UTC); null: never.",
        data_key="_expires",
        required=True,
        allow_none=True,
    )
    schema_version = fields.String(
        data_key="_schemaVersion",
        validate=Regexp(DIGEST),
        metadata={"description": "The digest of the schema version that accepted the document."},
    )


class SessionSchema(Schema):
    """A session's namespace names, then each document asked for with ``?namespaces=``."""

    class Meta:
        unknown = EXCLUDE  # additionalProperties is set apart: each is a StoredDocument

    session = _session_id(data_key="_session", required=True)
    namespaces = fields.List(_namespace(), data_key="_namespaces", required=True)


class RemovedSchema(Schema):
    """The answer to deleting a whole session."""

    removed = fields.Integer(required=True, validate=OneOf([0, 1]))


class DeletedSchema(Schema):
    """The answer to deleting one namespace."""

    success = fields.Boolean(required=True, validate=OneOf([True]))


class TouchedSchema(Schema):
    """The answer to touching a session."""

    touched = fields.Boolean(required=True, validate=OneOf([True]))


class SchemaSummarySchema(Schema):
    """What ``GET /v1/schemas`` says about one schema."""

    name = _namespace(required=True)
    status = fields.String(required=True, validate=OneOf(["ok", "stale", "broken"]))
    source = fields.String(required=True)
    digest = fields.String(required=True, validate=Regexp(DIGEST))
    inForce = fields.String(required=True, allow_none=True, validate=Regexp(DIGEST))
    loadedAt = _timestamp(required=True)
    problems = fields.List(fields.String(), required=True)


class SchemaListSchema(Schema):
    """Every schema, and every problem found loading them."""

    schemas = fields.List(fields.Nested(SchemaSummarySchema), required=True)
    problems = fields.List(fields.String(), required=True)


class SchemaDetailSchema(SchemaSummarySchema):
    """One schema: its summary, the version in force as written and parsed, and as JSON Schema."""

    yaml = fields.String(required=True, allow_none=True)
    definition = fields.Dict(required=True, allow_none=True)
    jsonSchema = fields.Dict(required=True, allow_none=True)


class ReadinessSchema(Schema):
    """``/readyz``: the store answers; schema and access state, for operators."""

    class Meta:
        unknown = INCLUDE  # operators' fields may grow

    status = fields.String(required=True, validate=OneOf(["ready"]))
    store = fields.Dict(required=True)
    schemas = fields.Dict(required=True)
    access = fields.Dict(required=True)


class AliveSchema(Schema):
    """``/healthz``: the worker answers."""

    status = fields.String(required=True, validate=OneOf(["alive"]))


MARSHMALLOW_COMPONENTS: dict[str, type[Schema]] = {
    "Error": ErrorSchema,
    "StoredDocument": StoredDocumentSchema,
    "Session": SessionSchema,
    "Removed": RemovedSchema,
    "Deleted": DeletedSchema,
    "Touched": TouchedSchema,
    "SchemaSummary": SchemaSummarySchema,
    "SchemaList": SchemaListSchema,
    "SchemaDetail": SchemaDetailSchema,
    "Readiness": ReadinessSchema,
    "Alive": AliveSchema,
}

# Members of components the marshmallow plugin cannot say; merged with what it makes.
EXTRA: dict[str, JsonSchema] = {
    "Session": {"additionalProperties": {"$ref": "#/components/schemas/StoredDocument"}},
}


def _pointer(pattern: str) -> JsonSchema:
    return {"type": "string", "pattern": pattern}


def _operation(ops: list[str], **properties: JsonSchema) -> JsonSchema:
    return {
        "type": "object",
        "required": ["op", *properties],
        "properties": {"op": {"enum": ops}, **properties},
    }


# RFC 6902 (members an operation does not use are ignored, as the RFC says) and RFC 7396,
# and the body of a PUT.
BODY_COMPONENTS: dict[str, JsonSchema] = {
    "JsonPatch": {
        "type": "array",
        "items": {"$ref": "#/components/schemas/JsonPatchOperation"},
        "description": "RFC 6902: operations applied in order, all or none.",
    },
    "JsonPatchOperation": {
        "oneOf": [
            {"$ref": "#/components/schemas/JsonPatchValueOperation"},
            {"$ref": "#/components/schemas/JsonPatchRemoveOperation"},
            {"$ref": "#/components/schemas/JsonPatchFromOperation"},
        ],
    },
    # Named, not inline: generators make a class of each, named after it.
    "JsonPatchValueOperation": _operation(
        ["add", "replace", "test"], path=_pointer(POINTER), value={}
    ),
    "JsonPatchRemoveOperation": _operation(["remove"], path=_pointer(MEMBER_POINTER)),
    # A move into the moved value's own child is 400 invalid_patch (RFC 6902 4.4);
    # JSON Schema cannot compare two members, so only the description says it.
    "JsonPatchFromOperation": _operation(
        ["move", "copy"], **{"from": _pointer(POINTER), "path": _pointer(POINTER)}
    ),
    "MergePatch": {
        "type": "object",
        "additionalProperties": True,
        "description": "RFC 7396: members are merged into the document: null removes one, "
        "objects merge, anything else replaces. Only an object: another JSON value would "
        "replace the whole document by a non-object (400 invalid_patch).",
    },
    "Document": {
        "type": "object",
        "additionalProperties": True,
        "description": "A namespace document as a client writes it: any JSON object. Members "
        "named like the metadata (`_session`, `_namespace`, `_modified`, `_expires`, "
        "`_schemaVersion`) are ignored.",
    },
}


@dataclass(frozen=True)
class NamespaceComponent:
    """One namespace schema as components of the document: as sent, and as stored."""

    namespace: str
    key: str  # under components.schemas: the name, unless a component of ours has it
    schema: JsonSchema
    stored_key: str = ""  # the document as a write answers it: metadata and this schema

    @property
    def ref(self) -> str:
        """The reference to this component."""
        return f"#/components/schemas/{self.key}"

    @property
    def stored_ref(self) -> str:
        """The reference to the component of the document as stored."""
        return f"#/components/schemas/{self.stored_key}"

    def stored_schema(self) -> JsonSchema:
        """The component of the document as stored: ``StoredDocument`` and this schema."""
        return {
            "description": f"A document of namespace `{self.namespace}` as a write stores it.",
            "allOf": [{"$ref": "#/components/schemas/StoredDocument"}, {"$ref": self.ref}],
        }


def namespace_components(registry: Registry, taken: Iterable[str]) -> list[NamespaceComponent]:
    """Each namespace schema in force, as a component keyed by its name (made unique if taken).

    The export's ``$defs`` (the schemas it refers to) stay inside the component,
    and each ``#/$defs/...`` reference is rewritten to point there from the
    root of the OpenAPI document, which is where a ``$ref`` without ``$id``
    resolves. Each also gets a component ``<name>.stored``, keyed after every
    namespace has its key, so that a namespace's key never depends on others.
    """
    used = set(taken)
    components = []
    for entry in registry.entries():
        if entry.schema is None:
            continue
        key = _unique(entry.name, used)
        exported = to_json_schema(entry.name, registry)
        exported.pop("$schema")  # the document's dialect: OpenAPI 3.1's, a superset of 2020-12
        schema = _rewrite_refs(exported, f"#/components/schemas/{key}/$defs/")
        components.append(NamespaceComponent(entry.name, key, schema))
    return [
        replace(component, stored_key=_unique(f"{component.namespace}.stored", used))
        for component in components
    ]


def _unique(key: str, used: set[str]) -> str:
    """``key``, with ``_`` appended until no component has it; then taken."""
    while key in used:
        key += "_"
    used.add(key)
    return key


def _rewrite_refs(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        return {
            key: prefix + value.removeprefix("#/$defs/")
            if key == "$ref" and isinstance(value, str)
            else _rewrite_refs(value, prefix)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(item, prefix) for item in node]
    return node
