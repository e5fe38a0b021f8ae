"""``sessionator schemas``: check schema files (and their changes) before shipping; audit data.

- ``check [PATH...] [--against OLD]``: every problem of the files, as
  ``file:line: key: message``; with ``--against`` (a directory, or the base
  URL of a running service), every breaking change from those versions too,
  exactly as a hot reload would refuse it. Exit 1 if any, else 0.
- ``audit NAME``: walk the stored documents of namespace NAME (SCAN, paced)
  and count them per ``_schemaVersion`` and against the version in force.
  Exit 1 if any document fails, else 0.

Exit 2 when the command cannot do its work (a service or store out of
reach, a schema not in force, a bad setting), with the reason on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from app.cli_support import CannotRun, positive, store_client, store_config
from app.config import ConfigError
from app.errors import StoreUnavailable
from app.schema_audit import Audit
from app.schema_remote import RemoteSchemasError, is_service_url, schemas_in_force
from app.store.keys import KeySpace
from app.store.repository import SessionRepository
from schema_registry import Registry, check_paths, load_registry, parse_schema_dirs

#: The environment variable holding the API key for ``--against URL`` and ``--schemas URL``.
KEY_VARIABLE = "SESSIONATOR_KEY"
DEFAULT_RATE = 10_000  # keys examined per second by an audit
DEFAULT_BATCH = 250  # keys per SCAN call: Redis spends about 1 µs per key on one


def add_commands(commands: Any) -> None:
    """Add ``schemas check`` and ``schemas audit`` to the ``sessionator`` parser's commands."""
    schemas = commands.add_parser("schemas", help="check schema files and changes; audit data")
    schema_commands = schemas.add_subparsers(dest="schemas_command", required=True)
    check = schema_commands.add_parser(
        "check", help="print file:line: key: message for every problem; exit 1 if any"
    )
    check.add_argument("paths", nargs="*", help="schema directories or files (default: SCHEMA_DIR)")
    check.add_argument(
        "--against",
        metavar="OLD",
        help="also report breaking changes from the schemas in OLD: a directory, or the base "
        f"URL of a running service (API key from ${KEY_VARIABLE})",
    )
    audit = schema_commands.add_parser(
        "audit", help="count a namespace's stored documents per schema version and failures"
    )
    audit.add_argument("name", help="the namespace (schema name) to audit")
    audit.add_argument(
        "--rate",
        type=positive,
        default=DEFAULT_RATE,
        help="keys examined per second (%(default)s)",
    )
    audit.add_argument(
        "--batch", type=positive, default=DEFAULT_BATCH, help="keys per SCAN call (%(default)s)"
    )
    audit.add_argument(
        "--show", type=positive, default=10, help="failing sessions listed, at most (%(default)s)"
    )
    audit.add_argument(
        "--schemas",
        metavar="WHERE",
        help="where the version to check against is: schema directories separated by "
        f"{os.pathsep!r}, or the base URL of a running service (default: SCHEMA_DIR)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the ``schemas`` sub-command ``args`` name."""
    try:
        if args.schemas_command == "audit":
            return audit_namespace(args.name, args.schemas, args.rate, args.batch, args.show)
        return check_schemas(args.paths or _schema_dirs(), args.against)
    except (CannotRun, RemoteSchemasError, ConfigError, StoreUnavailable) as error:
        print(f"sessionator: {error}", file=sys.stderr)
        return 2


def check_schemas(paths: list[str], against: str | None = None) -> int:
    """The schema linter: one ``file:line: key: message`` line per problem or breaking change."""
    previous = _registry(against) if against else None
    problems = check_paths(paths, against=previous)
    for problem in problems:
        print(problem)
    count = len(problems)
    where = ", ".join(paths) + (f" against {against}" if against else "")
    print(f"{count} problem{'s' if count != 1 else ''} in {where}", file=sys.stderr)
    return 1 if problems else 0


def audit_namespace(name: str, where: str | None, rate: int, batch: int, shown: int) -> int:
    """Walk namespace ``name``'s stored documents and print how they fare; 1 if any fails."""
    registry = _registry(where) if where else load_registry(_schema_dirs())
    schema = registry.get(name)
    if schema is None:
        raise CannotRun(f"no version of schema {name!r} is in force in {where or _schema_dirs()}")
    config = store_config()
    audit = Audit(name, schema, shown=shown)
    started = time.monotonic()
    client = store_client(config.REDIS_URL, config.REDIS_TIMEOUT_MS)
    try:
        repository = SessionRepository(client, KeySpace(config.KEY_PREFIX))
        for session_id, stored in repository.scan_namespace(
            name, batch=batch, keys_per_second=rate
        ):
            audit.add(session_id, stored)
    finally:
        client.close()
    for line in audit.lines():
        print(line)
    print(f"walked the store in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 1 if audit.failing else 0


def _registry(where: str) -> Registry:
    """The schemas in force at a service's base URL, or those of directories."""
    if is_service_url(where):
        return schemas_in_force(where, os.environ.get(KEY_VARIABLE) or None)
    missing = [part for part in parse_schema_dirs(where) if not Path(part).is_dir()]
    if missing:
        raise CannotRun(f"{', '.join(missing)}: no such directory")
    return load_registry(parse_schema_dirs(where), entry_points=False)


def _schema_dirs() -> list[str]:
    """The directories of SCHEMA_DIR (default ``schemas``)."""
    return parse_schema_dirs(os.environ.get("SCHEMA_DIR", "schemas"))
