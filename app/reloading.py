"""The live schema registry of one worker, and the watcher that reloads it.

Each gunicorn worker holds one `SchemaHolder`. A request reads
``holder.registry`` once and uses that snapshot throughout, so it sees the
old set of schemas or the new one, never a mix. The watcher thread polls the
schema directories' fingerprint (file names, sizes and modification times:
one ``stat`` per file, no reading) and, when it changes, loads a complete new
registry and swaps it in with one assignment. Loading never raises: a file
that fails keeps its last good version in force (``stale``) or, if it never
loaded, refuses writes to its namespace (``broken``). So does a breaking
in-place edit, unless ``compatibility`` is ``"none"`` or the file opts out
(see `schema_registry.compatibility`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from schema_registry import Registry, fingerprint, load_registry
from schema_registry.modes import BACKWARD

log = logging.getLogger(__name__)


class Reloadable(Protocol):
    """What a Watcher polls."""

    def reload_if_changed(self) -> bool: ...


class SchemaHolder:
    """Holds the registry in force; replaced whole, never changed in place.

    ``on_load``, if given, is told of every registry loaded: the first with
    ``False``, each reload with ``True`` (the metrics count them).
    ``compatibility`` is ``SCHEMA_COMPATIBILITY``: ``"backward"`` refuses
    breaking edits of schemas in force, ``"none"`` applies them.
    """

    def __init__(
        self,
        directories: Sequence[str],
        entry_points: bool = True,
        on_load: Callable[[Registry, bool], None] | None = None,
        compatibility: str = BACKWARD,
    ) -> None:
        self.directories = list(directories)
        self.entry_points = entry_points
        self.compatibility = compatibility
        self._on_load = on_load
        self._fingerprint: Any = fingerprint(self.directories)
        self.registry: Registry = self._load(None)

    def reload_if_changed(self) -> bool:
        """Load a new registry if any schema file changed; whether one was swapped in."""
        current = fingerprint(self.directories)
        if current == self._fingerprint:
            return False
        self._fingerprint = current
        self.registry = self._load(self.registry)
        return True

    def _load(self, previous: Registry | None) -> Registry:
        registry = load_registry(
            self.directories,
            entry_points=self.entry_points,
            previous=previous,
            compatibility=self.compatibility,
        )
        for problem in registry.problems:
            log.error("Schema problem: %s", problem)
        in_force = sum(1 for entry in registry.entries() if entry.schema is not None)
        log.info("Schemas in force: %d (%d problems)", in_force, len(registry.problems))
        if self._on_load is not None:
            self._on_load(registry, previous is not None)
        return registry


class Watcher(threading.Thread):
    """A daemon thread that calls ``reload_if_changed`` every ``interval`` seconds.

    Watches the schema folders and the tenants file alike: anything with a
    ``reload_if_changed()`` that swaps in a new version whole.
    """

    def __init__(self, name: str, holder: Reloadable, interval: float) -> None:
        super().__init__(name=f"{name}-watcher", daemon=True)
        self.holder = holder
        self.interval = interval

    def run(self) -> None:
        """Poll for the life of the worker; a failure is logged and the next poll tries again."""
        while True:
            time.sleep(self.interval)
            try:
                self.holder.reload_if_changed()
            except Exception:  # the watcher must outlive any one bad reload
                log.exception("%s failed to reload; keeping the version in force", self.name)
