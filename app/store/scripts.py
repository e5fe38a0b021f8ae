"""The repository's Lua scripts, one per operation, read from ``app/store/scripts/*.lua``.

Each write script begins with ``session.lua``, the prelude that knows a
session's layout and lifetime (its KEYS and first five ARGV are the same in
every write script, documented there); each file documents its own. Scripts
run with EVALSHA, so Redis keeps one compiled copy of each; redis-py loads a
script again if Redis forgot it (NOSCRIPT, after SCRIPT FLUSH or a restart).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

from redis.commands.core import Script

from app.store.client import StoreClient

PRELUDE = "session"
WRITES = ("put", "delete", "touch", "delete_session", "move")
READS = ("read", "read_session")


def source(name: str) -> str:
    """The text of script ``name``, with the session prelude in front of a write script."""
    text = files("app.store").joinpath("scripts", f"{name}.lua").read_text(encoding="utf-8")
    if name in WRITES:
        return source(PRELUDE) + "\n" + text
    return text


@dataclass(frozen=True)
class Scripts:
    """Every script, registered with one client."""

    put: Script
    delete: Script
    touch: Script
    delete_session: Script
    move: Script
    read: Script
    read_session: Script

    @classmethod
    def register(cls, client: StoreClient) -> Scripts:
        """Register each script with ``client`` (nothing is sent until a script runs)."""
        return cls(**{name: client.register_script(source(name)) for name in WRITES + READS})
