"""openapi-typescript turns the document into types that compile, and type what clients rely on.

The tools are pinned in ``clients/typescript`` (``make install`` runs ``npm ci``
there when npm is on the PATH; ``make test`` first installs Debian's Node and
npm when run as root; ``.ci/run`` sets ``SESSIONATOR_REQUIRE_NODE_TOOLS=1``, so
in CI a missing tool fails instead of skipping). ``check.ts`` uses the
generated types as a team would, and marks with ``@ts-expect-error`` what must
not type-check.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.conftest import REPO

TOOLS = REPO / "clients" / "typescript"
BIN = TOOLS / "node_modules" / ".bin"


@pytest.fixture
def tools() -> Path:
    """The directory of the pinned openapi-typescript and tsc."""
    if not (BIN / "openapi-typescript").exists() or not (BIN / "tsc").exists():
        if os.environ.get("SESSIONATOR_REQUIRE_NODE_TOOLS") == "1":
            pytest.fail("clients/typescript has no node_modules: run `make install` with npm")
        pytest.skip("no npm tools in clients/typescript (make install runs npm ci when npm exists)")
    return BIN


def run(command: list[str], cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=180)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


def test_openapi_typescript_makes_types_that_compile_and_type_the_contract(
    client: FlaskClient, tools: Path, tmp_path: Path
) -> None:
    reply = client.get("/openapi.json")
    assert reply.status_code == 200
    (tmp_path / "openapi.json").write_bytes(reply.data)
    generated = run(
        [str(tools / "openapi-typescript"), "openapi.json", "-o", "sessionator-api.ts"], tmp_path
    )
    assert "sessionator-api.ts" in generated and "warn" not in generated.lower(), generated
    shutil.copy(TOOLS / "check.ts", tmp_path / "check.ts")
    # The standard library is not checked, and without the DOM's: 2 s, not 8.
    compiler = [str(tools / "tsc"), "--noEmit", "--strict", "--skipLibCheck"]
    compiler += ["--target", "es2022", "--lib", "es2022"]
    run([*compiler, "sessionator-api.ts", "check.ts"], tmp_path)
    types = (tmp_path / "sessionator-api.ts").read_text()
    assert "ETag: string;" in types
    assert '"/v1/sessions/{sid}/_touch"' in types
