"""What the maintenance commands (``sessionator schemas audit``, ``sessionator store``) share:
reaching the store named by the configuration, and refusing clearly when they cannot."""

from __future__ import annotations

import argparse
import os

from app.config import Config, load_config
from app.store.client import StoreClient, redis_client

MAINTENANCE_TIMEOUT_MS = 2_000  # a SCAN of a large batch may take longer than a request's timeout


class CannotRun(Exception):
    """The command cannot do its work; the message says why (exit status 2)."""


def store_config() -> Config:
    """The configuration, which must name the store to audit."""
    if not os.environ.get("REDIS_URL"):
        raise CannotRun(
            "REDIS_URL is not set: point it at the store to work on (for `make run`'s "
            "embedded store: REDIS_URL=unix://$PWD/var/valkey.sock)."
        )
    return load_config()


def store_client(url: str, timeout_ms: int) -> StoreClient:
    """A client of the store, with a timeout fit for SCAN; close it after use."""
    try:
        return redis_client(url, max(timeout_ms, MAINTENANCE_TIMEOUT_MS))
    except Exception as error:  # a cluster client reads the slot map as it is made
        raise CannotRun(f"cannot reach the store: {error}") from error


def positive(text: str) -> int:
    """An argparse type: a whole number above 0."""
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {value}")
    return value
