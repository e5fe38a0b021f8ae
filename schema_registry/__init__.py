"""Sessionator's schema language: YAML schema files checked, compiled and kept in registries.

Typical use::

    registry = load_directory("schemas")  # raises SchemaLoadError listing every problem
    schema = registry.get("restaurants.lastVisited.v1")
    if schema is not None:
        schema.validate(document)  # raises ValidationFailed with per-field details

See ``docs/schema-language.md`` for the language itself.
"""

from schema_registry.compiler import CompiledSchema, compile_schema
from schema_registry.errors import SchemaLoadError, SchemaProblem, ValidationFailed
from schema_registry.loader import load_directory, load_schema_file, read_schema_file
from schema_registry.registry import Registry

__all__ = [
    "CompiledSchema",
    "Registry",
    "SchemaLoadError",
    "SchemaProblem",
    "ValidationFailed",
    "compile_schema",
    "load_directory",
    "load_schema_file",
    "read_schema_file",
]
