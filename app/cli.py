"""The sessionator command: run the service, check schemas, audit and migrate data, make keys."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType

from app import schema_cli, store_cli
from app.access.tenants import TenantsFileError, generate_key, key_digest, load_tenants
from app.config import ConfigError, load_config
from app.store.embedded import EmbeddedStore, EmbeddedStoreError, exit_with_parent

PLACEHOLDER_URL = "unix:///embedded-store-starts-later"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sessionator`` console script."""
    parser = argparse.ArgumentParser(prog="sessionator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="serve HTTP with gunicorn (embedded store if no REDIS_URL)"
    )
    run.add_argument(
        "--var-dir",
        default=os.environ.get("SESSIONATOR_VAR_DIR", "var"),
        help="where the embedded store keeps its socket, log and data (default var/)",
    )
    run.add_argument("gunicorn_args", nargs=argparse.REMAINDER, help="passed on to gunicorn")
    schema_cli.add_commands(commands)
    store_cli.add_commands(commands)
    keys = commands.add_parser("keys", help="make API keys for the tenants file")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    create = key_commands.add_parser(
        "create", help="print a new random key once, and the sha256: line for the tenants file"
    )
    create.add_argument("tenant", help="the tenant the key is for (only printed, as a reminder)")
    args = parser.parse_args(argv)
    if args.command == "keys":
        return create_key(args.tenant)
    if args.command == "schemas":
        return schema_cli.run(args)
    if args.command == "store":
        return store_cli.run(args)
    if os.environ.get("SESSIONATOR_EXIT_WITH_PARENT") == "1":
        exit_with_parent()  # `make run` killed by a script takes the service down too
    return run_service(Path(args.var_dir), args.gunicorn_args)


def run_service(var_dir: Path, gunicorn_args: list[str]) -> int:
    """Check config and schemas, start the store if needed, then serve until stopped."""
    env = dict(os.environ)
    problem = _preflight(env)
    if problem:
        print(f"sessionator: {problem}", file=sys.stderr)
        return 2
    fsync = env.get("EMBEDDED_STORE_FSYNC", "everysec")
    store = None if env.get("REDIS_URL") else EmbeddedStore(var_dir, appendfsync=fsync)
    try:
        if store is not None:
            env["REDIS_URL"] = store.start()
            print(f"sessionator: embedded store on {store.url}", file=sys.stderr)
        return _serve(env, gunicorn_args)
    except EmbeddedStoreError as error:
        print(f"sessionator: {error}", file=sys.stderr)
        return 1
    finally:
        if store is not None:
            store.stop()


def create_key(tenant: str) -> int:
    """Print a new key (the only time it is ever shown) and the digest to store instead."""
    key = generate_key()
    print(f"API key for tenant {tenant} (shown once; keep it in your secret store):")
    print(f"  {key}")
    print(f"Add this line to tenants.{tenant}.keys in the tenants file:")
    print(f'  - "{key_digest(key)}"')
    return 0


def _preflight(env: dict[str, str]) -> str | None:
    """Refuse to start on bad configuration, before starting anything.

    A broken schema file does not stop the service: it serves, reports the
    file, and refuses writes to that one namespace.
    """
    try:
        config = load_config(environ={**env, "REDIS_URL": env.get("REDIS_URL") or PLACEHOLDER_URL})
        if config.TENANTS_FILE:
            load_tenants(Path(config.TENANTS_FILE))
    except (ConfigError, TenantsFileError) as error:
        return str(error)
    return None


def _serve(env: dict[str, str], gunicorn_args: list[str]) -> int:
    """Run gunicorn in the foreground, passing on SIGTERM and SIGINT."""
    command = [sys.executable, "-m", "gunicorn", "wsgi:app", *gunicorn_args]
    server = subprocess.Popen(command, env=env, preexec_fn=exit_with_parent)

    def forward(signum: int, _frame: FrameType | None) -> None:
        server.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
    return server.wait()


if __name__ == "__main__":
    sys.exit(main())
