"""Requests released at one moment, to meet races: shared by the concurrency tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor


def run_parallel(count: int, task: Callable[[int], object]) -> list[object]:
    """Run ``task(i)`` for i in range(count), all released at the same moment."""
    barrier = threading.Barrier(count)

    def synchronised(i: int) -> object:
        barrier.wait()
        return task(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(synchronised, range(count)))
