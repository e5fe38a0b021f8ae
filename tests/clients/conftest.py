"""One gunicorn for every client test that uses the ``http`` fixture, not one per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.store.embedded import EmbeddedStore
from tests.conftest import SCHEMA_DIR, start_gunicorn, stop_process
from tests.httpclient import HttpClient


@pytest.fixture(scope="package")
def gunicorn(valkey: EmbeddedStore) -> Iterator[HttpClient]:
    """A real gunicorn with two workers on the private server, for this package's tests."""
    process, port = start_gunicorn({"REDIS_URL": valkey.url, "SCHEMA_DIR": str(SCHEMA_DIR)})
    yield HttpClient(f"http://127.0.0.1:{port}")
    stop_process(process)
