"""PATCH bodies: JSON Merge Patch (RFC 7396) and JSON Patch (RFC 6902) applied to a document."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Request

from app import patches
from app.access.quotas import SizeLimit
from app.api.http import read_json
from app.documents import check_depth, client_data, dumps, stamp
from app.errors import (
    InvalidPatch,
    PatchConflict,
    namespace_not_found,
    namespace_precondition_failed,
)
from app.store.preconditions import Preconditions
from app.validation import validate_for_namespace
from schema_registry import Registry

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"

MEDIA_TYPES = (MERGE_PATCH, JSON_PATCH)


@dataclass(frozen=True)
class Patch:
    """A parsed PATCH body and the format it is in."""

    media_type: str
    body: Any

    def apply(self, data: dict[str, Any], after_copy: Callable[[Any], None]) -> Any:
        """The patched data; refusals become the contract's errors.

        ``after_copy`` sees the document after each JSON Patch ``copy``, the
        one operation that can grow it beyond what the patch carries.
        """
        try:
            if self.media_type == JSON_PATCH:
                return patches.json_patch(data, self.body, after_copy)
            return patches.merge_patch(data, self.body)
        except patches.PatchError as error:
            raise InvalidPatch(str(error)) from None
        except patches.PatchConflict as error:
            raise PatchConflict(str(error)) from None


def read_patch(
    request: Request, limit: SizeLimit, max_depth: int, media_types: tuple[str, ...] = MEDIA_TYPES
) -> Patch:
    """The PATCH body, in one of ``media_types`` (by default, either patch format).

    A malformed patch is refused here, before the namespace is read: the body
    is checked before the write (404, 409, 412), as for a PUT. A merge patch
    must be an object: RFC 7396 lets any other value replace the whole
    document, which would leave a namespace that is not an object.
    """
    patch = Patch(request.mimetype, read_json(request, media_types, limit, max_depth))
    if patch.media_type == MERGE_PATCH and not isinstance(patch.body, dict):
        raise InvalidPatch(
            "A merge patch document must be an object: any other JSON value would replace "
            "the whole document by something else than an object."
        )
    if patch.media_type == JSON_PATCH:
        try:
            patches.check_json_patch(patch.body)
        except patches.PatchError as error:
            raise InvalidPatch(str(error)) from None
    return patch


@dataclass(frozen=True)
class PatchStep:
    """Everything needed to turn the stored document into the patched one."""

    session_id: str
    namespace: str
    patch: Patch
    preconditions: Preconditions
    registry: Registry
    max_depth: int
    limit: SizeLimit

    def __call__(self, current: bytes | None) -> bytes:
        """The new stored document, or an error that refuses the PATCH (nothing written)."""
        if current is None:
            raise namespace_not_found(self.session_id, self.namespace)
        if not self.preconditions.hold_for(current):
            raise namespace_precondition_failed(self.session_id, self.namespace)
        patched = self.patch.apply(client_data(json.loads(current)), self._within_limits)
        if not isinstance(patched, dict):
            raise PatchConflict("The patch would make the document something else than an object.")
        data = client_data(patched)
        self._within_limits(data)
        schema = validate_for_namespace(self.registry, self.namespace, data)
        version = schema.digest if schema else None
        now = datetime.now(UTC)
        return stamp(data, self.session_id, self.namespace, now, schema_version=version)

    def _within_limits(self, document: Any) -> None:
        """Refuse a (partly) patched document nested too deeply or over the size limit."""
        check_depth(document, self.max_depth)
        if len(dumps(document)) > self.limit.value:
            raise self.limit.refusal("The patched document")
