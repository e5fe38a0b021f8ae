"""A tenants file of four tenants and their keys: shared by the tests of access and of logs.

``team`` reads ``team.*`` and ``shared.*`` and writes ``team.*``; ``root`` may do
anything, deleting whole sessions too; ``reader`` only reads; ``limited``
reads and writes anything, at 3 requests a minute.
"""

from __future__ import annotations

from pathlib import Path

from app.access.tenants import generate_key, key_digest

TEAM_KEY, ROOT_KEY, READER_KEY, LIMITED_KEY = (generate_key() for _ in range(4))


def write_tenants(path: Path) -> Path:
    """Write the tenants file above to ``path``; ``path``."""
    path.write_text(
        f"""tenants:
  team:
    keys: ["{key_digest(TEAM_KEY)}"]
    read: ["team.*", "shared.*"]
    write: ["team.*"]
  root:
    keys: ["{key_digest(ROOT_KEY)}"]
    read: ["*"]
    write: ["*"]
    delete_sessions: true
  reader:
    keys: ["{key_digest(READER_KEY)}"]
    read: ["*"]
  limited:
    keys: ["{key_digest(LIMITED_KEY)}"]
    read: ["*"]
    write: ["*"]
    rate_limit: 3/minute
"""
    )
    return path
