"""The ``sessionator`` command run in-process, as its console script would run it.

Much faster than a subprocess (no interpreter start, no imports), with the
same arguments, environment, exit status and output; one test per command
family still runs the real console script in a subprocess.
"""

from __future__ import annotations

import io
import os
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from unittest import mock

from app.cli import main

#: Variables of the test run's environment that a command must not inherit.
CLEARED = ("REDIS_URL", "SCHEMA_DIR", "SESSIONATOR_KEY", "TENANTS_FILE")


@dataclass(frozen=True)
class Result:
    """What a command did: its exit status and everything it printed."""

    returncode: int
    stdout: str
    stderr: str


def sessionator(*args: str, **env: str) -> Result:
    """Run ``sessionator ARGS`` with ``env`` added to the environment (CLEARED removed)."""
    environ = {k: v for k, v in os.environ.items() if k not in CLEARED} | env
    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, environ, clear=True),
        redirect_stdout(out),
        redirect_stderr(err),
    ):
        try:
            code = main(list(args))
        except SystemExit as exit:  # argparse refusing the arguments
            code = exit.code if isinstance(exit.code, int) else 1
    return Result(code, out.getvalue(), err.getvalue())
