"""``sessionator store migrate``: move every session written before the current data model.

Sessions are one hash each since this version (app/store/repository.py);
before, each document was a key of its own, with an index. The service
reads sessions in either layout and moves one into the new layout at its
next write, so nothing needs to run for it to work. This command moves the
rest in the background, so that the old layout's reading can be dropped in
a later version: it walks the old indexes with SCAN (paced, ``--rate`` keys
examined a second) and moves each session in one atomic script, keeping its
lifetime. It can be stopped and run again at any time; a second run finds
nothing to move. Exit 0 when done, 2 when it cannot run.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from app.cli_support import CannotRun, positive, store_client, store_config
from app.errors import StoreUnavailable
from app.store.keys import KeySpace
from app.store.policies import Lifetime
from app.store.repository import SessionRepository

DEFAULT_RATE = 10_000  # keys examined per second
DEFAULT_BATCH = 250  # keys per SCAN call


def add_commands(commands: Any) -> None:
    """Add ``store migrate`` to the ``sessionator`` parser's commands."""
    store = commands.add_parser("store", help="maintain the stored data")
    store_commands = store.add_subparsers(dest="store_command", required=True)
    migrate = store_commands.add_parser(
        "migrate", help="move every session of the old layout into the current one (paced)"
    )
    migrate.add_argument(
        "--rate", type=positive, default=DEFAULT_RATE, help="keys examined per second (%(default)s)"
    )
    migrate.add_argument(
        "--batch", type=positive, default=DEFAULT_BATCH, help="keys per SCAN call (%(default)s)"
    )


def run(args: argparse.Namespace) -> int:
    """Run the ``store`` sub-command ``args`` name."""
    try:
        return migrate(args.rate, args.batch)
    except (CannotRun, StoreUnavailable) as error:
        print(f"sessionator: {error}", file=sys.stderr)
        return 2


def migrate(rate: int, batch: int) -> int:
    """Move every session still in the old layout; print how many."""
    config = store_config()
    client = store_client(config.REDIS_URL, config.REDIS_TIMEOUT_MS)
    started, moved = time.monotonic(), 0
    try:
        lifetime = Lifetime(config.SESSION_TTL, config.SESSION_MAX_AGE)
        repository = SessionRepository(client, KeySpace(config.KEY_PREFIX), lifetime)
        for session_id in repository.legacy_sessions(batch=batch, keys_per_second=rate):
            moved += repository.move_legacy(session_id)
    finally:
        client.close()
    print(f"moved {moved} session{'s' if moved != 1 else ''} into the current layout")
    print(f"walked the store in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0
