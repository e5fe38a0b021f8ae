"""The served OpenAPI document, and schema folders to serve: shared by the OpenAPI tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient


def document_of(client: FlaskClient) -> dict[str, Any]:
    """The app's /openapi.json, which must answer 200 with JSON."""
    reply = client.get("/openapi.json")
    assert reply.status_code == 200
    assert reply.mimetype == "application/json"
    body: dict[str, Any] = reply.get_json()
    return body


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every operation of the document, with its path and method."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def write_schemas(folder: Path, files: dict[str, str]) -> Path:
    """Write each ``name: text`` of ``files`` as ``folder/name.yaml``; ``folder``."""
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text)
    return folder
