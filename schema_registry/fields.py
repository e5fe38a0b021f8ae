"""Strict marshmallow fields: JSON types as they are, never coerced.

marshmallow's stock fields are lenient on purpose (``Float`` takes ``"5.5"``,
``Integer`` takes ``True``, ``Boolean`` takes ``1`` and ``"yes"``). The schema
language's types are JSON types, strictly, so each field here only checks the
type of the value ``json.loads`` produced and returns it unchanged; bounds and
enums are ordinary marshmallow validators added by the compiler.

Fields hold no per-call state, so one compiled schema can validate from many
threads at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import Schema, fields
from marshmallow.types import ErrorMessages


def invalid_message(text: str) -> ErrorMessages:
    """Return a field's error messages with ``text`` for a value of the wrong type."""
    return {"invalid": text}


def is_json_integer(value: Any) -> bool:
    """Tell whether a JSON value is an integer: an int, or an integral float such as ``2.0``."""
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, int) and not isinstance(value, bool)


def is_json_number(value: Any) -> bool:
    """Tell whether a JSON value is a number: a finite int or float, never a boolean."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool)


class JsonTypeField(fields.Field[Any]):
    """A field that accepts the values of one JSON type (``accepts``), unchanged."""

    accepts: Callable[[Any], bool]

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        """Return ``value`` itself if it has the field's JSON type."""
        if self.accepts(value):
            return value
        raise self.make_error("invalid")

    def _validate(self, value: Any) -> None:
        """Run the validators, if any (marshmallow builds a combinator per call otherwise)."""
        if self.validators:
            super()._validate(value)


class StrictString(JsonTypeField):
    """A JSON string."""

    default_error_messages = invalid_message("Not a valid string.")
    accepts = staticmethod(lambda value: isinstance(value, str))


class StrictInteger(JsonTypeField):
    """A JSON integer: ``5`` or ``5.0``, not ``5.5``, ``"5"`` or ``true``."""

    default_error_messages = invalid_message("Not a valid integer.")
    accepts = staticmethod(is_json_integer)


class StrictNumber(JsonTypeField):
    """A JSON number: any finite int or float, not ``"5"`` or ``true``."""

    default_error_messages = invalid_message("Not a valid number.")
    accepts = staticmethod(is_json_number)


class StrictBoolean(JsonTypeField):
    """A JSON boolean: ``true`` or ``false``, not ``1`` or ``"yes"``."""

    default_error_messages = invalid_message("Not a valid boolean.")
    accepts = staticmethod(lambda value: isinstance(value, bool))


class AnyArray(JsonTypeField):
    """A JSON array of any JSON values (an ``array`` without ``items``)."""

    default_error_messages = invalid_message("Not a valid array.")
    accepts = staticmethod(lambda value: isinstance(value, list))


class StrictArray(fields.List[Any]):
    """A JSON array whose every item matches an inner field."""

    default_error_messages = invalid_message("Not a valid array.")

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> list[Any]:
        """Accept a ``list`` only (marshmallow's List also takes tuples and sets)."""
        if not isinstance(value, list):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictObject(JsonTypeField):
    """A JSON object checked by a nested schema instance.

    Unlike ``fields.Nested``, which builds (and caches) its schema lazily on
    first use, this field is given its schema ready-made, so a compiled schema
    is never modified after it is built and concurrent use needs no lock.
    """

    default_error_messages = invalid_message("Not a valid object.")
    accepts = staticmethod(lambda value: isinstance(value, dict))

    def __init__(self, schema: Schema, **kwargs: Any) -> None:
        """Check objects with ``schema``; other options are marshmallow's field options."""
        super().__init__(**kwargs)
        self.schema = schema

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        """Accept a ``dict`` whose fields the nested schema accepts."""
        super()._deserialize(value, attr, data, **kwargs)
        self.schema.load(value)  # raises ValidationError with the nested messages
        return value
