"""bench/bound.py, the measuring stick, does the service's store work: the same answers.

The stick's figures stand for "the contract's least work on Flask" only if it
stores and serves what the service does. Here, on the private Valkey, what
the stick writes the service reads back unchanged, and both serve the same
bytes and ETags for the benchmark's reads.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app import create_app
from tests.tenants_file import ROOT_KEY, write_tenants

REPO = Path(__file__).resolve().parents[2]
AUTH = {"Authorization": f"Bearer {ROOT_KEY}"}
CART = {"name": "basket", "qty": 2, "price": 3.5, "tags": ["a"], "flag": True}


@pytest.fixture
def apps(redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    settings = {
        "REDIS_URL": redis_url,
        "TENANTS_FILE": str(write_tenants(tmp_path / "tenants.yaml")),
        "SCHEMA_DIR": str(REPO / "bench" / "schemas"),
        "SCHEMA_POLL_MS": "0",
        "TENANTS_POLL_MS": "0",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    sys.modules.pop("bench.bound", None)
    bound = importlib.import_module("bench.bound")
    yield create_app(), bound.app
    bound.services.rate_limiter.close()
    sys.modules.pop("bench.bound", None)


def _same_read(service: Flask, stick: Flask, path: str) -> bytes:
    ours = service.test_client().get(path, headers=AUTH)
    its = stick.test_client().get(path, headers=AUTH)
    assert (ours.status_code, its.status_code) == (200, 200)
    assert its.data == ours.data
    assert its.headers.get("ETag") == ours.headers.get("ETag")
    return its.data


def test_what_the_stick_writes_the_service_serves_as_the_stick_does(apps: Any) -> None:
    service, stick = apps
    path = "/v1/sessions/s1/bench.cart.v1"
    put = stick.test_client().put(path, json=CART, headers=AUTH)
    assert put.status_code == 200
    assert _same_read(service, stick, path) == put.data
    stored = json.loads(put.data)
    assert {k: stored[k] for k in CART} == CART
    assert stored["_session"] == "s1" and "_schemaVersion" in stored

    patched = stick.test_client().patch(
        path, data=b'{"qty": 7}', headers={**AUTH, "Content-Type": "application/merge-patch+json"}
    )
    assert patched.status_code == 200
    assert json.loads(patched.data)["qty"] == 7
    assert _same_read(service, stick, path) == patched.data

    service.test_client().put("/v1/sessions/s1/bench.profile.v1", json={"a": 1}, headers=AUTH)
    many = "/v1/sessions/s1?namespaces=bench.cart.v1&namespaces=bench.absent.v1"
    body = json.loads(_same_read(service, stick, many))
    assert body["_namespaces"] == ["bench.cart.v1", "bench.profile.v1"]


def test_the_stick_refuses_what_the_schema_refuses(apps: Any) -> None:
    _, stick = apps
    refused = stick.test_client().put(
        "/v1/sessions/s1/bench.cart.v1", json={**CART, "qty": "two"}, headers=AUTH
    )
    assert refused.status_code == 500  # the stick has no error answers: a refusal is a 500
