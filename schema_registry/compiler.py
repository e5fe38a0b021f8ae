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

A reference node (``type: <schema name>``) is compiled to the referenced
`CompiledSchema`'s *nested* form (its object schema without the top-level
metadata fields), which `compile_schema` is given ready-made: the loader
compiles schemas in dependency order and never builds a cycle.

A `CompiledSchema` is never changed once built: validating a document only
reads it, so any number of threads may share one.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from marshmallow import INCLUDE, RAISE, Schema, fields, validate

from schema_registry.definition import (
    RESERVED_FIELDS,
    check_definition,
    is_reference,
    unknown_reference,
)
from schema_registry.errors import (
    SchemaLoadError,
    SchemaProblem,
    ValidationFailed,
    details_from_messages,
)
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
from schema_registry.sizes import parse_max_bytes
from schema_registry.ttl import parse_ttl
from schema_registry.yamlsource import KeyPath, dotted

Definition = Mapping[str, Any]
Validators = list[validate.Validator]
References = Mapping[str, Schema]  # schema name -> its nested object schema
FieldBuilder = Callable[[Definition, "str | None", References], "fields.Field[Any]"]


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
    ``references`` are the compiled schemas it refers to directly, as they
    were when it was built; ``text`` is the file's text as it was loaded.
    """

    name: str
    source: str
    digest: str
    definition: dict[str, Any]
    _validator: Schema = field(repr=False)
    accepts: Predicate = field(repr=False)
    references: Mapping[str, CompiledSchema] = field(repr=False)
    text: str = field(repr=False)
    _nested_validator: Schema = field(repr=False)
    _nested_accepts: Predicate = field(repr=False)

    @property
    def ttl_seconds(self) -> int | None:
        """How long the namespace lives after each write (``ttl``); None: as its session."""
        return parse_ttl(self.definition.get("ttl"))

    @property
    def max_bytes(self) -> int | None:
        """The largest document the namespace accepts (``maxBytes``); None: the service's limit."""
        return parse_max_bytes(self.definition.get("maxBytes"))

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
    name: str,
    definition: Definition,
    *,
    source: str = "<memory>",
    digest: str = "",
    text: str = "",
    references: Mapping[str, CompiledSchema] | None = None,
) -> CompiledSchema:
    """Compile a schema definition; raise `SchemaLoadError` if it breaks the language.

    The loaders check definitions (with line numbers) before calling this;
    the check is repeated here so that a definition built in memory cannot
    reach the builders unchecked. ``digest`` and ``text`` are kept as given
    (the loaders pass `digest_of` the file's bytes, and its text).
    ``references`` must hold every schema the definition refers to by name.
    """
    given = dict(references or {})
    problems = check_definition(definition, file=source)
    problems += [
        SchemaProblem(source, 1, dotted(path), unknown_reference(ref))
        for path, ref in referenced_names(definition)
        if ref not in given
    ]
    if problems:
        raise SchemaLoadError(problems)
    plain = copy.deepcopy(dict(definition))
    used = {ref: given[ref] for _, ref in referenced_names(plain)}
    schemas = {ref: compiled._nested_validator for ref, compiled in used.items()}
    predicates = {ref: compiled._nested_accepts for ref, compiled in used.items()}
    return CompiledSchema(
        name,
        source,
        digest,
        plain,
        object_schema(plain, schemas, metadata_fields=RESERVED_FIELDS),
        build_predicate(plain, predicates, always_known=RESERVED_FIELDS),
        MappingProxyType(used),
        text,
        object_schema(plain, schemas),
        build_predicate(plain, predicates),
    )


def referenced_names(node: Any, path: KeyPath = ()) -> list[tuple[KeyPath, str]]:
    """List ``(key path of the type key, schema name)`` for every reference under ``node``.

    Tolerant of definitions that break other rules: it looks only where a
    reference could be, so the loader can report unknown names in any file.
    """
    if not isinstance(node, Mapping):
        return []
    kind = node.get("type")
    if isinstance(kind, str) and is_reference(kind):
        return [((*path, "type"), kind)]
    found: list[tuple[KeyPath, str]] = []
    properties = node.get("properties")
    if kind == "object" and isinstance(properties, Mapping):
        for key, child in properties.items():
            found += referenced_names(child, (*path, "properties", key))
    if kind == "array":
        found += referenced_names(node.get("items"), (*path, "items"))
    return found


def digest_of(data: bytes) -> str:
    """Return the digest recorded for a schema source: ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def object_schema(
    node: Definition, references: References | None = None, *, metadata_fields: tuple[str, ...] = ()
) -> Schema:
    """Build the marshmallow schema instance that checks one ``type: object`` node.

    Fields get neutral attribute names and the property name as ``data_key``,
    so that no property (``load``, ``fields``, ``Meta``...) can collide with a
    `Schema` attribute. ``metadata_fields`` are accepted with any value: the
    service sets them itself, and clients may send back what they read.
    """
    refs = references or {}
    properties: Mapping[str, Definition] = node.get("properties") or {}
    declared: dict[str, fields.Field[Any]] = {
        f"field_{index}": build_field(schema, name, refs)
        for index, (name, schema) in enumerate(properties.items())
    }
    for index, name in enumerate(metadata_fields):
        declared[f"metadata_{index}"] = fields.Raw(data_key=name, allow_none=True)
    schema_class = ObjectSchema.from_dict(declared, name="CompiledObject")
    return schema_class(unknown=INCLUDE if node.get("allowUnknown", False) else RAISE)


def build_field(
    node: Definition, data_key: str | None, references: References
) -> fields.Field[Any]:
    """Build the field for one schema node, read from ``data_key`` in its parent object."""
    builder = FIELD_BUILDERS.get(node["type"], _reference)
    return builder(node, data_key, references)


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


def _string(node: Definition, data_key: str | None, refs: References) -> fields.Field[Any]:
    """Build a ``string`` field: ``min``/``max`` bound its length."""
    checks = _bounds(node, validate.Length) + _enum(node)
    return StrictString(validate=checks, **_presence(node, data_key))


def _integer(node: Definition, data_key: str | None, refs: References) -> fields.Field[Any]:
    """Build an ``integer`` field: ``min``/``max`` bound its value."""
    checks = _bounds(node, validate.Range) + _enum(node)
    return StrictInteger(validate=checks, **_presence(node, data_key))


def _number(node: Definition, data_key: str | None, refs: References) -> fields.Field[Any]:
    """Build a ``number`` field: ``min``/``max`` bound its value."""
    checks = _bounds(node, validate.Range) + _enum(node)
    return StrictNumber(validate=checks, **_presence(node, data_key))


def _boolean(node: Definition, data_key: str | None, refs: References) -> fields.Field[Any]:
    """Build a ``boolean`` field."""
    return StrictBoolean(**_presence(node, data_key))


def _array(node: Definition, data_key: str | None, refs: References) -> fields.Field[Any]:
    """Build an ``array`` field: ``min``/``max`` bound its item count; ``items`` checks each."""
    checks = _bounds(node, validate.Length)
    if "items" not in node:
        return AnyArray(validate=checks, **_presence(node, data_key))
    inner = build_field(node["items"], None, refs)
    return StrictArray(inner, validate=checks, **_presence(node, data_key))


def _object(node: Definition, data_key: str | None, refs: References) -> fields.Field[Any]:
    """Build an ``object`` field from its own nested schema."""
    return StrictObject(object_schema(node, refs), **_presence(node, data_key))


def _reference(node: Definition, data_key: str | None, refs: References) -> fields.Field[Any]:
    """Build the field of ``type: <schema name>``: the referenced schema, nested."""
    return StrictObject(refs[node["type"]], **_presence(node, data_key))


#: One builder per ``type`` of the schema language.
FIELD_BUILDERS: dict[str, FieldBuilder] = {
    "string": _string,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "array": _array,
    "object": _object,
}
