"""Documents the HTTP tests write: shared by the tests of PUT and of PATCH."""

from __future__ import annotations

from typing import Any

#: Valid against the shipped schema teamName.objectType.v1.
SEED_DOCUMENT: dict[str, Any] = {
    "name": "Ada",
    "age": 36,
    "height": 170.5,
    "friends": [{"name": "Bob", "age": 40}],
    "language": "en-GB",
    "pet": {"name": "Rex", "species": "dog"},
}
