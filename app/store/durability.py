"""Whether the store keeps what it is given: its eviction policy and its persistence.

A store that evicts keys when its memory is full, or keeps nothing across a
restart, loses users' data silently, which is worse than refusing writes.
``/readyz`` shows these findings to callers with a key, and gunicorn logs
them once per start (``app.server.store_check``).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.store.client import StoreClient


@dataclass(frozen=True)
class Durability:
    """What the store does when its memory is full and when it restarts, as CONFIG says."""

    eviction_policy: str | None = None  # maxmemory-policy; None: could not be read
    persistence: str | None = None  # "aof", "rdb", "aof+rdb" or "none"; None: could not be read
    unreadable: str | None = None  # why CONFIG GET failed

    def warnings(self) -> list[str]:
        """Sentences for the operator; empty when the store keeps what it is given."""
        if self.unreadable is not None:
            return [
                "Could not check whether Redis evicts keys or persists them (CONFIG GET: "
                f"{self.unreadable}); managed services often disable CONFIG: make sure "
                "maxmemory-policy is noeviction and persistence is on in its settings."
            ]
        found = []
        if self.eviction_policy != "noeviction":
            found.append(
                f"Redis maxmemory-policy is {self.eviction_policy}: when its memory is full it "
                "deletes keys, and sessions vanish silently. Set maxmemory-policy noeviction, "
                "so that writes are refused (503) instead."
            )
        if self.persistence == "none":
            found.append(
                "Redis does not persist (appendonly no, no save points): a restart of Redis "
                "loses every session. Set appendonly yes (or RDB save points)."
            )
        return found

    def as_json(self) -> dict[str, object]:
        """The findings as ``/readyz`` shows them."""
        return {
            "evictionPolicy": self.eviction_policy,
            "persistence": self.persistence,
            "warnings": self.warnings(),
        }


def read_durability(client: StoreClient) -> Durability:
    """Ask Redis for its eviction policy and persistence settings; redis-py errors propagate.

    On a cluster, CONFIG GET goes to one node: the nodes are assumed alike.
    """
    settings = {}
    for name in ("maxmemory-policy", "appendonly", "save"):
        settings.update(client.config_get(name))
    aof = settings.get("appendonly") == "yes"
    rdb = bool(settings.get("save"))
    kinds = [kind for kind, on in (("aof", aof), ("rdb", rdb)) if on]
    return Durability(settings.get("maxmemory-policy"), "+".join(kinds) or "none")
