"""An audit of the stored documents of one namespace against a version of its schema.

The documents come from `SessionRepository.scan_namespace`; this module only
counts them: how many there are per ``_schemaVersion`` (the digest of the
schema version that accepted each, absent for documents written while the
namespace had no schema), how many fail the version checked (the one in
force, or one proposed), and which sessions hold a few of those.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from schema_registry import CompiledSchema

#: The version label of documents stored without ``_schemaVersion``.
UNSTAMPED = "(none)"


@dataclass
class Audit:
    """The running tally of one namespace's audit; `add` each document, then read `lines`."""

    namespace: str
    schema: CompiledSchema
    shown: int = 10  # failing documents listed, at most
    documents: int = 0
    failing: int = 0
    by_version: Counter[str] = field(default_factory=Counter)
    examples: list[tuple[str, str]] = field(default_factory=list)  # session id, first failure

    def add(self, session_id: str, stored: bytes) -> None:
        """Count one stored document of session ``session_id``."""
        self.documents += 1
        try:
            document = json.loads(stored)
        except ValueError:
            self._failed(session_id, "the stored document is not JSON")
            return
        version = document.get("_schemaVersion") if isinstance(document, dict) else None
        self.by_version[version if isinstance(version, str) else UNSTAMPED] += 1
        if not self.schema.accepts(document):
            path, messages = next(iter(self.schema.explain(document).items()))
            self._failed(session_id, f"{path}: {' '.join(messages)}")

    def _failed(self, session_id: str, why: str) -> None:
        self.failing += 1
        if len(self.examples) < self.shown:
            self.examples.append((session_id, why))

    def lines(self) -> list[str]:
        """The report, for an operator's terminal."""
        schema = self.schema
        lines = [
            f"{self.namespace}, checked against {schema.digest} ({schema.source})",
            f"documents: {self.documents}, failing: {self.failing}",
            "documents per _schemaVersion:",
        ]
        width = max((len(str(count)) for count in self.by_version.values()), default=1)
        for version, count in sorted(self.by_version.items(), key=lambda item: (-item[1], item[0])):
            mark = "  (this version)" if version == schema.digest else ""
            lines.append(f"  {count:>{width}}  {version}{mark}")
        if self.examples:
            lines.append(f"failing documents (first {len(self.examples)} of {self.failing}):")
            lines += [f"  {session}  {why}" for session, why in sorted(self.examples)]
        return lines
