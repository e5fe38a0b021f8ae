"""``sessionator schemas check --against`` and ``sessionator schemas audit``, run as commands.

The linter against a directory here; against a running service (its URL)
in test_schema_changes.py. One test runs the console script in a subprocess,
the others run it in-process (tests/clirun.py). The audit walks the private Valkey, filled
through the service itself so that documents carry the stamps it sets.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from tests.clirun import CLEARED, sessionator
from tests.conftest import REPO

USER = "type: object\nproperties:\n  name: {type: string, min: 1}\n"
USER_STRICTER = "type: object\nproperties:\n  name: {type: string, min: 2}\n"
USER_WIDER = "type: object\nproperties:\n  name: {type: string}\n"
ADVICE = "publish it as team.user.v2 instead, or opt out with 'compatibility: none'"


def console_script(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command, in a subprocess, with none of this run's store or schema settings."""
    environ = {k: v for k, v in os.environ.items() if k not in CLEARED}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def schema_dir(path: Path, **files: str) -> Path:
    """A directory holding ``name.yaml`` for each ``name=text`` (dots as double underscores)."""
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / f"{name.replace('__', '.')}.yaml").write_text(text)
    return path


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def test_check_against_a_directory_prints_each_breaking_change_and_exits_1(
    tmp_path: Path,
) -> None:
    old = schema_dir(tmp_path / "old", team__user__v1=USER)
    new = schema_dir(tmp_path / "new", team__user__v1=USER_STRICTER, team__new__v1=USER)
    result = console_script("schemas", "check", str(new), "--against", str(old))
    assert result.returncode == 1
    assert result.stdout == (
        f"{new}/team.user.v1.yaml:3: properties.name.min: breaking change: min raised from 1 to"
        f" 2: stored lengths below 2 would fail; {ADVICE}\n"
    )
    assert result.stderr == f"1 problem in {new} against {old}\n"


def test_check_against_a_directory_exits_0_for_compatible_or_opted_out_changes(
    tmp_path: Path,
) -> None:
    old = schema_dir(tmp_path / "old", team__user__v1=USER, team__other__v1=USER)
    new = schema_dir(
        tmp_path / "new",
        team__user__v1=USER_WIDER,
        team__other__v1="compatibility: none\n" + USER_STRICTER,
    )
    result = sessionator("schemas", "check", str(new), "--against", str(old))
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == f"0 problems in {new} against {old}\n"


def test_check_against_a_missing_directory_cannot_run(tmp_path: Path) -> None:
    new = schema_dir(tmp_path / "new", team__user__v1=USER)
    result = sessionator("schemas", "check", str(new), "--against", str(tmp_path / "nope"))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"sessionator: {tmp_path / 'nope'}: no such directory\n"


def writer(make_app: Callable[..., Flask], schemas: Path) -> Callable[..., None]:
    """PUT documents through the service as it is with the schemas now in ``schemas``."""
    client = make_app(SCHEMA_DIR=str(schemas)).test_client()

    def put(sid: str, document: object, namespace: str = "team.user.v1") -> None:
        assert client.put(f"/v1/sessions/{sid}/{namespace}", json=document).status_code == 200

    return put


@pytest.fixture
def stored(tmp_path: Path, make_app: Callable[..., Flask]) -> Path:
    """Four documents of team.user.v1, three stamped with USER_WIDER's digest and one written
    before the namespace had a schema, and one of another namespace; the schema directory
    then proposes the stricter USER, which two of them break.
    """
    schemas = schema_dir(tmp_path / "schemas")
    writer(make_app, schemas)("u0", {"name": ""})
    (schemas / "team.user.v1.yaml").write_text(USER_WIDER)
    put = writer(make_app, schemas)
    for sid, name in (("u1", "Ada"), ("u2", "Bo"), ("u3", "")):
        put(sid, {"name": name})
    put("u1", {"name": 5}, namespace="team.other.v1")
    (schemas / "team.user.v1.yaml").write_text(USER)
    return schemas


def test_audit_counts_documents_per_version_and_lists_failing_sessions(
    stored: Path, redis_url: str
) -> None:
    result = sessionator(
        "schemas", "audit", "team.user.v1", REDIS_URL=redis_url, SCHEMA_DIR=str(stored)
    )
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"team.user.v1, checked against {digest(USER)} ({stored}/team.user.v1.yaml)",
        "documents: 4, failing: 2",
        "documents per _schemaVersion:",
        f"  3  {digest(USER_WIDER)}",
        "  1  (none)",
        "failing documents (first 2 of 2):",
        "  u0  name: Shorter than minimum length 1.",
        "  u3  name: Shorter than minimum length 1.",
    ]
    assert result.stderr.startswith("walked the store in ")


def test_audit_exits_0_when_every_document_passes_and_marks_the_version_checked(
    stored: Path, redis_url: str
) -> None:
    (stored / "team.user.v1.yaml").write_text(USER_WIDER)
    result = sessionator(
        "schemas", "audit", "team.user.v1", "--show", "1", "--rate", "500", "--batch", "10",
        REDIS_URL=redis_url, SCHEMA_DIR=str(stored),
    )  # fmt: skip
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        f"team.user.v1, checked against {digest(USER_WIDER)} ({stored}/team.user.v1.yaml)",
        "documents: 4, failing: 0",
        "documents per _schemaVersion:",
        f"  3  {digest(USER_WIDER)}  (this version)",
        "  1  (none)",
    ]


def test_audit_lists_at_most_show_failing_sessions(stored: Path, redis_url: str) -> None:
    result = sessionator(
        "schemas", "audit", "team.user.v1", "--show", "1",
        REDIS_URL=redis_url, SCHEMA_DIR=str(stored),
    )  # fmt: skip
    lines = result.stdout.splitlines()
    assert lines[-2] == "failing documents (first 1 of 2):"
    failure = "name: Shorter than minimum length 1."
    assert lines[-1] in (f"  u0  {failure}", f"  u3  {failure}")


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["team.nothing.v1"], {}, "no version of schema 'team.nothing.v1' is in force in"),
        (["team.user.v1"], {"REDIS_URL": ""}, "REDIS_URL is not set: point it at the store"),
        (["team.user.v1", "--rate", "0"], {}, "argument --rate: must be above 0, got 0"),
    ],
)
def test_audit_that_cannot_run_exits_2_saying_why(
    stored: Path, redis_url: str, args: list[str], env: dict[str, str], message: str
) -> None:
    result = sessionator(
        "schemas", "audit", *args, **{"REDIS_URL": redis_url, "SCHEMA_DIR": str(stored), **env}
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert message in result.stderr
