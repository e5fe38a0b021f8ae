"""How large a namespace's documents may be: its schema's ``maxBytes``, else MAX_BODY_BYTES."""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import PayloadTooLarge
from schema_registry import Registry


@dataclass(frozen=True)
class SizeLimit:
    """The most bytes one namespace's document may take, and which setting says so."""

    namespace: str
    value: int
    name: str  # "maxBytes" (the namespace's schema) or "MAX_BODY_BYTES" (the service)

    def refusal(self, what: str) -> PayloadTooLarge:
        """The 413 for ``what`` (a body, a patched document) over this limit."""
        source = "its schema's maxBytes" if self.name == "maxBytes" else "MAX_BODY_BYTES"
        return PayloadTooLarge(
            f"{what} is larger than the {self.value}-byte limit of namespace "
            f"{self.namespace!r} ({source}).",
            self.name,
            self.value,
        )


def size_limit(registry: Registry, namespace: str, default: int) -> SizeLimit:
    """The size limit of ``namespace`` under the schemas in ``registry``."""
    schema = registry.get(namespace)
    if schema is not None and schema.max_bytes is not None:
        return SizeLimit(namespace, schema.max_bytes, "maxBytes")
    return SizeLimit(namespace, default, "MAX_BODY_BYTES")
