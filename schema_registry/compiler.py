"""Compile checked schema definitions to marshmallow: the only place fields are made.

The compiler is a table, `FIELD_BUILDERS`, of one small function per
``type``; each turns a definition node into one strict field (see
`schema_registry.fields`) with marshmallow's own validators for ``min``,
``max`` and ``enum``. Objects become schema classes made with
`Schema.from_dict`, which keeps them out of marshmallow's global class
registry, so compiling schemas again and again (hot reload) leaks nothing.

Alongside each marshmallow schema, `schema_registry.predicates` builds a
plain-Python acceptance check from the same definition: valid documents pass
that alone, and marshmallow runs only to explain a refusal.

A `CompiledSchema` is never changed once built: validating a document only
reads it, so any number of threads may share one.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import INCLUDE, RAISE, Schema, fields, validate

from schema_registry.definition import RESERVED_FIELDS, check_definition
from schema_registry.errors import SchemaLoadError, ValidationFailed, details_from_messages
from schema_registry.fields import (
    AnyArray,
    StrictArray,
    StrictBoolean,
    StrictInteger,
    StrictNumber,
    StrictObject,
    StrictString,
)
from schema_registry.predicates import Predicate, build_predicate

Definition = Mapping[str, Any]
Validators = list[validate.Validator]
FieldBuilder = Callable[[Definition, "str | None"], "fields.Field[Any]"]


class ObjectSchema(Schema):
    """Base of every generated object schema: the messages of the schema language."""

    error_messages = {"type": "Not a valid object."}  # noqa: RUF012 (marshmallow's own idiom)

    class Meta:
        """Keep this base class out of marshmallow's class registry too."""

        register = False


@dataclass(frozen=True, eq=False)
class CompiledSchema:
    """A schema ready to validate documents: its name, origin and compiled validator.

    Thread safety: nothing here changes after `compile_schema` returns. The
    marshmallow schema instances are built ready (no lazily created nested
    schemas) and marshmallow keeps per-call state in a fresh error store, so
    concurrent `validate` calls from gunicorn's threads need no lock.
    ``definition`` is the compiler's own copy: read it, do not change it.
    """

    name: str
    source: str
    digest: str
    definition: dict[str, Any]
    _validator: Schema = field(repr=False)
    accepts: Predicate = field(repr=False)

    def validate(self, document: dict[str, Any]) -> None:
        """Raise `ValidationFailed` unless ``document`` matches this schema."""
        if self.accepts(document):
            return
        details = self.explain(document)
        if details:
            raise ValidationFailed(details, schema_name=self.name)

    def explain(self, document: Any) -> dict[str, list[str]]:
        """Every failing field of ``document`` with its messages; empty when it is valid."""
        return details_from_messages(self._validator.validate(document))


def compile_schema(
    name: str, definition: Definition, *, source: str = "<memory>", digest: str = ""
) -> CompiledSchema:
    """Compile a schema definition; raise `SchemaLoadError` if it breaks the language.

    The loaders check definitions (with line numbers) before calling this;
    the check is repeated here so that a definition built in memory cannot
    reach the builders unchecked. ``digest`` is kept as given (the loaders
    pass `digest_of` the file's bytes).
    """
    problems = check_definition(definition, file=source)
    if problems:
        raise SchemaLoadError(problems)
    plain = copy.deepcopy(dict(definition))
    validator = object_schema(plain, metadata_fields=RESERVED_FIELDS)
    accepts = build_predicate(plain, always_known=RESERVED_FIELDS)
    return CompiledSchema(name, source, digest, plain, validator, accepts)


def digest_of(data: bytes) -> str:
    """Return the digest recorded for a schema source: ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def object_schema(node: Definition, *, metadata_fields: tuple[str, ...] = ()) -> Schema:
    """Build the marshmallow schema instance that checks one ``type: object`` node.

    Fields get neutral attribute names and the property name as ``data_key``,
    so that no property (``load``, ``fields``, ``Meta``...) can collide with a
    `Schema` attribute. ``metadata_fields`` are accepted with any value: the
    service sets them itself, and clients may send back what they read.
    """
    properties: Mapping[str, Definition] = node.get("properties") or {}
    declared: dict[str, fields.Field[Any]] = {
        f"field_{index}": build_field(schema, name)
        for index, (name, schema) in enumerate(properties.items())
    }
    for index, name in enumerate(metadata_fields):
        declared[f"metadata_{index}"] = fields.Raw(data_key=name, allow_none=True)
    schema_class = ObjectSchema.from_dict(declared, name="CompiledObject")
    return schema_class(unknown=INCLUDE if node.get("allowUnknown", False) else RAISE)


def build_field(node: Definition, data_key: str | None) -> fields.Field[Any]:
    """Build the field for one schema node, read from ``data_key`` in its parent object."""
    return FIELD_BUILDERS[node["type"]](node, data_key)


def _presence(node: Definition, data_key: str | None) -> dict[str, Any]:
    """Return the options every field shares: required unless optional; its key."""
    return {"required": not node.get("optional", False), "data_key": data_key}


def _bounds(node: Definition, validator: type[validate.Length | validate.Range]) -> Validators:
    """Return a validator for the inclusive ``min``/``max`` of a node, if it has any."""
    low, high = node.get("min"), node.get("max")
    if low is None and high is None:
        return []
    return [validator(min=low, max=high)]


def _enum(node: Definition) -> Validators:
    """Return a validator for the node's ``enum``, if it has one."""
    return [validate.OneOf(node["enum"])] if "enum" in node else []


def _string(node: Definition, data_key: str | None) -> fields.Field[Any]:
    """Build a ``string`` field: ``min``/``max`` bound its length."""
    checks = _bounds(node, validate.Length) + _enum(node)
    return StrictString(validate=checks, **_presence(node, data_key))


def _integer(node: Definition, data_key: str | None) -> fields.Field[Any]:
    """Build an ``integer`` field: ``min``/``max`` bound its value."""
    checks = _bounds(node, validate.Range) + _enum(node)
    return StrictInteger(validate=checks, **_presence(node, data_key))


def _number(node: Definition, data_key: str | None) -> fields.Field[Any]:
    """Build a ``number`` field: ``min``/``max`` bound its value."""
    checks = _bounds(node, validate.Range) + _enum(node)
    return StrictNumber(validate=checks, **_presence(node, data_key))


def _boolean(node: Definition, data_key: str | None) -> fields.Field[Any]:
    """Build a ``boolean`` field."""
    return StrictBoolean(**_presence(node, data_key))


def _array(node: Definition, data_key: str | None) -> fields.Field[Any]:
    """Build an ``array`` field: ``min``/``max`` bound its item count; ``items`` checks each."""
    checks = _bounds(node, validate.Length)
    if "items" not in node:
        return AnyArray(validate=checks, **_presence(node, data_key))
    inner = build_field(node["items"], None)
    return StrictArray(inner, validate=checks, **_presence(node, data_key))


def _object(node: Definition, data_key: str | None) -> fields.Field[Any]:
    """Build an ``object`` field from its own nested schema."""
    return StrictObject(object_schema(node), **_presence(node, data_key))


#: One builder per ``type`` of the schema language.
FIELD_BUILDERS: dict[str, FieldBuilder] = {
    "string": _string,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "array": _array,
    "object": _object,
}
