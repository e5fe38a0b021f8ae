"""Sessionator's schema language: YAML schema files checked, compiled and kept in registries.

Typical use::

    registry = load_registry(parse_schema_dirs("schemas"))  # never raises for bad files
    for problem in registry.problems:
        print(problem)  # file:line: key: message
    entry = registry.entry("restaurants.lastVisited.v1")  # status ok, stale or broken
    schema = registry.get("restaurants.lastVisited.v1")  # the version in force, or None
    if schema is not None:
        schema.validate(document)  # raises ValidationFailed with per-field details

See ``docs/schema-language.md`` for the language itself.
"""

from schema_registry.compiler import CompiledSchema, compile_schema
from schema_registry.errors import SchemaLoadError, SchemaProblem, ValidationFailed
from schema_registry.export import definition_source, to_json_schema
from schema_registry.loader import (
    check_paths,
    load_directory,
    load_registry,
    load_schema_file,
    load_texts,
    read_schema_file,
)
from schema_registry.registry import Registry, SchemaEntry
from schema_registry.sources import fingerprint, parse_schema_dirs

__all__ = [
    "CompiledSchema",
    "Registry",
    "SchemaEntry",
    "SchemaLoadError",
    "SchemaProblem",
    "ValidationFailed",
    "check_paths",
    "compile_schema",
    "definition_source",
    "fingerprint",
    "load_directory",
    "load_registry",
    "load_schema_file",
    "load_texts",
    "parse_schema_dirs",
    "read_schema_file",
    "to_json_schema",
]
