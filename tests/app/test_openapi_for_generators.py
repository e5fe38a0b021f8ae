"""What client generators need from the OpenAPI document.

Operation ids and tags readable, stable and unique; one typed body per
operation; ETag, If-Match and If-None-Match described wherever they apply.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.openapi.naming import namespace_stems, pascal_case
from tests.openapi_document import document_of, operations, write_schemas

REF = "#/components/schemas/"
PARAMETER = "#/components/parameters/"
# A namespace's own paths and the templated one: /v1/sessions/{sid}/<ns>[/_json-patch].
NAMESPACE_PATH = re.compile(r"/v1/sessions/\{sid\}/(?!_touch$)[^/]+(?:/_json-patch)?")
GENERIC_IDS = {
    "getSession", "deleteSession", "touchSession", "touchSessionDeprecated", "getNamespace",
    "putNamespace", "patchNamespace", "jsonPatchNamespace", "deleteNamespace", "listSchemas",
    "getSchema", "getReadiness", "getLiveness", "getMetrics", "getOpenapiDocument",
    "getDocsPage", "getDocsAsset",
}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("checkout.cart.v1", "CheckoutCartV1"),
        ("restaurants.lastVisited.v1", "RestaurantsLastVisitedV1"),
        ("teamName.objectType.v1", "TeamNameObjectTypeV1"),
        ("a-b_c.d", "ABCD"),
        ("team.feature.2", "TeamFeature2"),
        ("lastSeen", "LastSeen"),
    ],
)
def test_a_stem_is_the_namespace_in_pascal_case(name: str, stem: str) -> None:
    assert pascal_case(name) == stem


def digest(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()[:6]


def test_stems_that_collide_or_repeat_a_generic_id_get_a_digest_of_their_name() -> None:
    stems = namespace_stems(["a.b", "a_b", "aB", "c", "session", "schema.x"], GENERIC_IDS)
    assert stems == {
        "a.b": f"AB{digest('a.b')}",
        "a_b": f"AB{digest('a_b')}",
        "aB": f"AB{digest('aB')}",
        "c": "C",
        "session": f"Session{digest('session')}",  # getSession is the session's own read
        "schema.x": "SchemaX",
    }


def test_a_stem_does_not_depend_on_other_namespaces_unless_they_collide() -> None:
    alone = namespace_stems(["team.x.v1"], GENERIC_IDS)
    among_many = namespace_stems(["a.v1", "team.x.v1", "z.v1"], GENERIC_IDS)
    assert alone["team.x.v1"] == among_many["team.x.v1"] == "TeamXV1"


def test_the_service_operations_have_fixed_camel_case_ids(client: FlaskClient) -> None:
    ids = {operation["operationId"] for _p, _m, operation in operations(document_of(client))}
    assert ids >= GENERIC_IDS
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z0-9][a-z0-9]*)*", i) for i in ids), sorted(ids)


def test_colliding_schema_names_still_make_unique_ids_and_tags(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    plain = "type: object\nallowUnknown: true\n"
    folder = write_schemas(tmp_path / "schemas", dict.fromkeys(["a.b", "a_b", "namespace"], plain))
    document = document_of(make_app(SCHEMA_DIR=str(folder)).test_client())
    ids = [operation["operationId"] for _p, _m, operation in operations(document)]
    assert len(ids) == len(set(ids))
    assert document["paths"]["/v1/sessions/{sid}/a_b"]["put"]["operationId"] == (
        f"putAB{digest('a_b')}"
    )
    namespace_put = document["paths"]["/v1/sessions/{sid}/namespace"]["put"]
    assert namespace_put["operationId"] == f"putNamespace{digest('namespace')}"
    assert namespace_put["tags"] == [f"Namespace{digest('namespace')}"]
    assert document["paths"]["/v1/sessions/{sid}/{ns}"]["put"]["operationId"] == "putNamespace"


def test_each_patch_flavour_has_one_typed_body_of_its_own(client: FlaskClient) -> None:
    document = document_of(client)
    schemas = document["components"]["schemas"]
    merge = document["paths"]["/v1/sessions/{sid}/{ns}"]["patch"]["requestBody"]["content"]
    assert merge == {"application/merge-patch+json": {"schema": {"$ref": f"{REF}MergePatch"}}}
    assert schemas["MergePatch"]["type"] == "object"
    json_patch = document["paths"]["/v1/sessions/{sid}/{ns}/_json-patch"]["patch"]
    assert json_patch["requestBody"]["content"] == {
        "application/json-patch+json": {"schema": {"$ref": f"{REF}JsonPatch"}}
    }
    assert schemas["JsonPatch"]["items"] == {"$ref": f"{REF}JsonPatchOperation"}
    shapes = [item["$ref"] for item in schemas["JsonPatchOperation"]["oneOf"]]
    assert [schemas[ref.removeprefix(REF)]["type"] for ref in shapes] == ["object"] * 3
    for _path, _method, operation in operations(document):
        assert len(operation.get("requestBody", {"content": [None]})["content"]) == 1


def test_conditional_headers_are_described_on_every_operation_that_takes_them(
    client: FlaskClient,
) -> None:
    document = document_of(client)
    takes = {"get": {"IfNoneMatch"}, "put": {"IfMatch", "IfNoneMatch"}, "patch": {"IfMatch"}}
    takes["delete"] = {"IfMatch"}
    namespace_paths = [p for p in document["paths"] if NAMESPACE_PATH.fullmatch(p)]
    assert len(namespace_paths) == 2 * (1 + 1 + 3)  # templated, touch, the 3 schemas; each
    for path in namespace_paths:
        for method, operation in document["paths"][path].items():
            if method == "post":  # the deprecated touch, where a namespace could be
                continue
            names = {ref["$ref"].removeprefix(PARAMETER) for ref in operation["parameters"]}
            assert takes[method] <= names, (path, method)
            for status in {"200", "304"} & set(operation["responses"]):
                if method != "delete":
                    assert "ETag" in operation["responses"][status]["headers"], (path, status)
    etag = document["components"]["headers"]["ETag"]
    assert etag["schema"] == {"type": "string", "pattern": '^"[0-9a-f]{40}"$'}
