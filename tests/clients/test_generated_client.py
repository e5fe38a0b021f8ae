"""A client generated from the live ``/openapi.json`` performs every operation on a live server.

openapi-python-client (the generator most Python teams reach for) turns the
document a real gunicorn serves into a package, which is imported and used
for every operation id of the document: PUT, GET (and 304 with
If-None-Match), both PATCH flavours with If-Match (and 412 with a stale
ETag), DELETE, on the templated namespace path and on each schema
namespace's own path; the session, schema, probe and documentation
operations. Its post-generation hooks (ruff) are turned off: the code is
used as generated.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from app.openapi.naming import pascal_case
from tests.httpclient import HttpClient

PACKAGE = "generated_sessionator"
CONFIG = f"post_hooks: []\npackage_name_override: {PACKAGE}\n"
MAX_MODELS = 60  # for the shipped schemas: one Error, one model per component and enum

VISIT = {"restaurantId": "r1", "visitedAt": "2017-03-26T23:14:10.617Z", "source": "map"}
ADA = {
    "name": "Ada", "age": 36, "height": 170.5, "friends": [], "language": "en-GB",
    "pet": {"name": "Rex", "species": "dog"},
}  # fmt: skip
# Per namespace: a document to PUT, a merge patch, one JSON Patch operation, what is left.
SAMPLES: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "favoriteThings": (
        {"things": ["cats"], "old": 1},
        {"old": None, "size": 1},
        {"op": "add", "path": "/things/-", "value": "dogs"},
        {"things": ["cats", "dogs"], "size": 1},
    ),
    "checkout.cart.v1": (
        {"currency": "EUR", "items": [{"sku": "A-1", "quantity": 2, "unitPrice": 3.5}]},
        {"notes": {"door": "blue"}},
        {"op": "replace", "path": "/currency", "value": "USD"},
        {
            "currency": "USD",
            "items": [{"sku": "A-1", "quantity": 2, "unitPrice": 3.5}],
            "notes": {"door": "blue"},
        },
    ),
    "restaurants.lastVisited.v1": (
        {"visits": [VISIT]},
        {"updatedBy": "app"},
        {"op": "add", "path": "/visits/-", "value": {**VISIT, "rating": 5}},
        {"visits": [VISIT, {**VISIT, "rating": 5}], "updatedBy": "app"},
    ),
    "teamName.objectType.v1": (
        ADA,
        {"cool": True},
        {"op": "replace", "path": "/age", "value": 37},
        {**ADA, "age": 37, "cool": True},
    ),
}


@dataclass
class Generated:
    """The generated package, a client of it for the live server, and the operations used."""

    package: ModuleType
    output: str
    models: list[str]
    document: dict[str, Any]
    client: Any = None
    used: set[str] = field(default_factory=set)

    def model(self, name: str) -> Any:
        return getattr(importlib.import_module(f"{PACKAGE}.models"), name)

    def call(self, operation_id: str, *args: Any, **kwargs: Any) -> Any:
        """Call the generated function of ``operation_id``; the detailed response."""
        module = self.operation_module(operation_id)
        self.used.add(operation_id)
        return module.sync_detailed(*args, client=self.client, **kwargs)

    def operation_module(self, operation_id: str) -> ModuleType:
        name = snake(operation_id)
        path = next(Path(self.package.__file__).parent.glob(f"api/*/{name}.py"))
        return importlib.import_module(f"{PACKAGE}.api.{path.parent.name}.{name}")


def snake(identifier: str) -> str:
    """``putCheckoutCartV1`` as ``put_checkout_cart_v1``, as the generator names modules."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in identifier).lstrip("_")


@pytest.fixture(scope="module")
def generated(
    gunicorn: HttpClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Generated]:
    """The client openapi-python-client generates from the document the server serves."""
    work = tmp_path_factory.mktemp("generated")
    reply = gunicorn.get("/openapi.json")
    assert reply.status == 200
    (work / "openapi.json").write_bytes(reply.body)
    (work / "config.yaml").write_text(CONFIG)
    command = [sys.executable, "-m", "openapi_python_client", "generate", "--path", "openapi.json"]
    command += ["--output-path", "out", "--config", "config.yaml"]
    run = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    models = sorted(path.stem for path in (work / "out" / PACKAGE / "models").glob("*.py"))
    sys.path.insert(0, str(work / "out"))
    try:
        package = importlib.import_module(PACKAGE)
        url = f"http://{gunicorn.host}:{gunicorn.port}"
        with package.Client(base_url=url, raise_on_unexpected_status=True) as client:
            yield Generated(
                package,
                run.stdout + run.stderr,
                [name for name in models if name != "__init__"],
                json.loads(reply.body),
                client,
            )
    finally:
        sys.path.remove(str(work / "out"))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def test_the_generator_warns_of_nothing_and_makes_few_models(generated: Generated) -> None:
    assert "Warning" not in generated.output and "WARNING" not in generated.output
    assert len(generated.models) < MAX_MODELS, generated.models
    assert "error" in generated.models  # one, shared by every error status
    assert not [name for name in generated.models if "_response_" in name and "200" not in name]
    for name in (name for name in SAMPLES if "." in name):
        assert snake(f"{pascal_case(name)}Stored") in generated.models


def data_of(content: bytes) -> dict[str, Any]:
    return {k: v for k, v in json.loads(content).items() if not k.startswith("_")}


def round_trip(generated: Generated, name: str, stem: str, ids: tuple[str, ...]) -> None:
    """PUT, GET, 304, merge patch, 412, JSON Patch, DELETE, 404 through one namespace's ops."""
    document, merge, operation, final = SAMPLES.get(name, SAMPLES["favoriteThings"])
    schema = name in generated.document["components"]["schemas"]
    body = generated.model(stem if schema else "Document").from_dict(document)
    put = generated.call(f"put{stem}", *ids, body=body)
    assert (put.status_code, data_of(put.content)) == (200, document), put.content
    assert type(put.parsed).__name__ == (f"{stem}Stored" if schema else "StoredDocument")
    assert put.parsed.field_session == ids[0]
    etag = put.headers["ETag"]
    got = generated.call(f"get{stem}", *ids)
    assert (got.status_code, got.headers["ETag"], got.parsed.field_modified) == (
        200, etag, put.parsed.field_modified,
    )  # fmt: skip
    assert generated.call(f"get{stem}", *ids, if_none_match=etag).status_code == 304
    patch = generated.model("MergePatch").from_dict(merge)
    merged = generated.call(f"patch{stem}", *ids, body=patch, if_match=etag)
    assert merged.status_code == 200, merged.content
    stale = generated.call(f"patch{stem}", *ids, body=patch, if_match=etag)
    assert (stale.status_code, stale.parsed.error.value) == (412, "precondition_failed")
    op = generated.model("JsonPatchValueOperation").from_dict(operation)
    patched = generated.call(f"jsonPatch{stem}", *ids, body=[op], if_match=merged.headers["ETag"])
    assert (patched.status_code, data_of(patched.content)) == (200, final), patched.content
    deleted = generated.call(f"delete{stem}", *ids, if_match=patched.headers["ETag"])
    assert (deleted.status_code, deleted.parsed.success) == (200, True)
    gone = generated.call(f"get{stem}", *ids)
    assert (gone.status_code, gone.parsed.error.value) == (404, "not_found")


def use_the_session(generated: Generated) -> None:
    things = generated.model("Document").from_dict({"things": ["owls"]})
    assert generated.call("putNamespace", "u2", "things", body=things).status_code == 200
    session = generated.call("getSession", "u2", namespaces=["things", "absent"])
    assert session.parsed.field_namespaces == ["things"]
    assert session.parsed.additional_properties["things"].additional_properties == things.to_dict()
    assert generated.call("touchSession", "u2").parsed.touched is True
    old = generated.call("touchSessionDeprecated", "u2")
    assert (old.parsed.touched, old.headers["Deprecation"]) == (True, "@1796601600")
    assert generated.call("deleteSession", "u2").parsed.removed == 1
    assert generated.call("deleteSession", "u2").parsed.removed == 0


def use_the_rest(generated: Generated) -> None:
    listed = generated.call("listSchemas").parsed
    assert sorted(schema.name for schema in listed.schemas) == sorted(
        n for n in SAMPLES if "." in n
    )
    detail = generated.call("getSchema", "checkout.cart.v1").parsed
    assert (detail.name, detail.status.value) == ("checkout.cart.v1", "ok")
    assert generated.call("getReadiness").parsed.status.value == "ready"
    assert generated.call("getLiveness").parsed.status.value == "alive"
    assert "sessionator_http_requests_total" in generated.call("getMetrics").parsed
    served = generated.call("getOpenapiDocument").parsed.additional_properties
    assert served["paths"] == generated.document["paths"]
    assert "SwaggerUIBundle" in generated.call("getDocsPage").parsed
    assert generated.call("getDocsAsset", "swagger-ui.css").status_code == 200


def test_a_generated_client_performs_every_operation_against_a_live_server(
    generated: Generated, http: HttpClient
) -> None:
    round_trip(generated, "favoriteThings", "Namespace", ("u1", "favoriteThings"))
    round_trip(generated, "touch", "Touch", ("u1",))  # the namespace where the old touch is
    for name in SAMPLES:
        if "." in name:
            round_trip(generated, name, pascal_case(name), ("u1",))
    use_the_session(generated)
    use_the_rest(generated)
    documented = {
        operation["operationId"]
        for item in generated.document["paths"].values()
        for operation in item.values()
    }
    assert generated.used == documented
