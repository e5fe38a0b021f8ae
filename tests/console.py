"""Shared by the console's tests: a tenants file, and a browser-like Flask test client.

Three tenants: ``support`` reads everything and writes ``teamName.*``;
``payments`` reads and writes only ``payments.*``, so every other namespace
must be invisible to it; ``platform`` (every grant) writes the tests' data.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.access.tenants import generate_key, key_digest
from tests.sample_documents import SEED_DOCUMENT

KEYS = {name: generate_key() for name in ("support", "payments", "platform")}
SCHEMA_NS = "teamName.objectType.v1"  # has a schema in schemas/
GOOD = SEED_DOCUMENT  # valid against SCHEMA_NS's schema; the tests change copies only
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
ETAG_FIELD = re.compile(r'name="etag" value="([^"]*)"')


def tenants_yaml() -> str:
    """The tenants file of the console's tests."""
    return f"""tenants:
  support:
    keys: ["{key_digest(KEYS["support"])}"]
    read: ["*"]
    write: ["teamName.*"]
  payments:
    keys: ["{key_digest(KEYS["payments"])}"]
    read: ["payments.*"]
    write: ["payments.*"]
  platform:
    keys: ["{key_digest(KEYS["platform"])}"]
    read: ["*"]
    write: ["*"]
"""


def console_tenants(folder: Path) -> str:
    """Write the tenants file above as ``folder/tenants.yaml``; its path, for TENANTS_FILE."""
    tenants = folder / "tenants.yaml"
    tenants.write_text(tenants_yaml())
    return str(tenants)


class Console:
    """A Flask test client used as a browser would: forms carry the last page's CSRF token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.last: TestResponse | None = None

    def get(self, path: str) -> TestResponse:
        self.last = self.client.get(path, buffered=True)
        return self.last

    def post(self, path: str, **form: str) -> TestResponse:
        """POST ``form`` with the CSRF token of the last page shown (unless given)."""
        form.setdefault("csrf", self.csrf())
        self.last = self.client.post(path, data=form, buffered=True)
        return self.last

    def csrf(self) -> str:
        assert self.last is not None, "no page shown yet"
        found = CSRF_FIELD.search(self.last.get_data(as_text=True))
        assert found, "the last page has no form"
        return found[1]

    def sign_in(self, tenant: str) -> None:
        self.get("/console/sign-in")
        assert self.post("/console/sign-in", key=KEYS[tenant]).status_code == 303
        assert self.get("/console/me").status_code == 200

    def look_up(self, sid: str) -> TestResponse:
        reply = self.post("/console/session", sid=sid)
        assert (reply.status_code, reply.headers["Location"]) == (303, "/console/session")
        return self.get("/console/session")

    def open_editor(self, ns: str) -> TestResponse:
        return self.post("/console/edit", ns=ns)

    def etag(self) -> str:
        assert self.last is not None
        found = ETAG_FIELD.search(self.last.get_data(as_text=True))
        assert found, "the last page is not an edit page"
        return found[1]
