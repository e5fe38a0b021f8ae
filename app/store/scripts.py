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

import redis
from redis.exceptions import ConnectionError as RedisConnectionError
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
        """Run the script on ``client`` with EVALSHA, loading it first if Redis forgot it."""
        command = ("EVALSHA", self.sha, len(keys), *keys, *args)
        try:
            return execute(client, command)
        except NoScriptError:  # a restart, a failover, SCRIPT FLUSH
            client.script_load(self.script)
            return execute(client, command)


def execute(client: StoreClient, command: tuple[Any, ...]) -> Any:
    """Send one command and read its answer, as ``client.execute_command`` would.

    On one server (or the primary a Sentinel names), straight on a pooled
    connection: redis-py 8's ``execute_command`` wraps each call in its retry
    object, observability hooks and per-command checks, about a third of a
    script call's CPU in this process (``bench/costs.py``: 116 µs, now 80).
    The behaviour is the client's own (``app.store.client.redis_client``): a
    connection found broken is dropped and the command sent once more on a
    new one, at once; a timeout is not retried; an error Redis answers is
    raised as redis-py raises it, and the connection goes back to the pool.
    A cluster client routes the command itself.
    """
    if type(client) is not redis.Redis:
        return client.execute_command(*command)  # type: ignore[no-untyped-call]
    pool = client.connection_pool
    connection = pool.get_connection()
    try:  # a failure while sending or reading disconnects the connection itself
        try:
            connection.send_command(*command)  # type: ignore[no-untyped-call]
            return connection.read_response()
        except RedisConnectionError:
            connection.disconnect()  # type: ignore[no-untyped-call]
            connection.send_command(*command)  # type: ignore[no-untyped-call]  # connects again
            return connection.read_response()
    finally:
        pool.release(connection)


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
