"""The repository's Lua scripts, one per operation, read from ``app/store/scripts/*.lua``.

Each write script begins with ``session.lua``, the prelude that knows a
session's layout and lifetime (its KEYS and first five ARGV are the same in
every write script, documented there), and each read script with
``session_end.lua``, when a session ends; each file documents its own. Scripts
run with EVALSHA, so Redis keeps one compiled copy of each; ``Script`` loads
a script again if Redis forgot it (NOSCRIPT, after SCRIPT FLUSH or a restart).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

from redis.exceptions import NoScriptError

from app.store.client import StoreClient

WRITES = ("put", "delete", "touch", "delete_session", "move")
READS = ("read", "read_session")
PRELUDES = {**dict.fromkeys(WRITES, "session"), **dict.fromkeys(READS, "session_end")}


def source(name: str) -> str:
    """The text of script ``name``, with its prelude in front: ``session.lua`` for a write
    script, ``session_end.lua`` for a read script."""
    text = files("app.store").joinpath("scripts", f"{name}.lua").read_text(encoding="utf-8")
    prelude = PRELUDES.get(name)
    return text if prelude is None else source(prelude) + "\n" + text


@dataclass(frozen=True)
class Script:
    """One script: its text and the SHA-1 that EVALSHA names it by."""

    script: str
    sha: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha", hashlib.sha1(self.script.encode()).hexdigest())

    def __call__(self, client: StoreClient, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        """Run the script on ``client`` with EVALSHA, loading it first if Redis forgot it.

        Straight to the client's ``execute_command``: redis-py's own Script
        object goes through three more layers, which cost as much CPU as a
        read of a namespace's document does in the service itself.
        """
        try:
            return client.execute_command("EVALSHA", self.sha, len(keys), *keys, *args)  # type: ignore[no-untyped-call]
        except NoScriptError:  # a restart, a failover, SCRIPT FLUSH
            client.script_load(self.script)
            return client.execute_command("EVALSHA", self.sha, len(keys), *keys, *args)  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class Scripts:
    """Every script of the repository."""

    put: Script
    delete: Script
    touch: Script
    delete_session: Script
    move: Script
    read: Script
    read_session: Script

    @classmethod
    def load(cls) -> Scripts:
        """Every script, read from its file (nothing is sent until a script runs)."""
        return cls(**{name: Script(source(name)) for name in WRITES + READS})
