"""The OpenAPI document: valid OpenAPI 3.1, complete, rebuilt on schema reload, and true.

"True" is schemathesis's part: the Makefile's command, run against a real
gunicorn (open, and with a tenants file), sends thousands of generated
requests and checks every answer against the document: no 500, every status
and header documented, every body valid against its schema.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from referencing import Registry as RefRegistry
from referencing import Resource
from referencing.jsonschema import DRAFT202012

from app.access.tenants import generate_key, key_digest
from app.errors import error_codes
from app.openapi.naming import pascal_case
from app.openapi.paths import response_name
from schema_registry import load_registry
from tests.conftest import REPO, SCHEMA_DIR, start_gunicorn, stop_process
from tests.openapi_document import document_of, operations, write_schemas

KEY = generate_key()
SHIPPED = sorted(path.stem for path in SCHEMA_DIR.glob("*.yaml"))
V1 = "/v1/"
ERROR = "#/components/schemas/Error"
AUTH_STATUSES = {"401", "403", "429"}


def tenants_file(folder: Path) -> Path:
    """A tenants file whose one tenant, holding KEY, may do anything."""
    path = folder / "tenants.yaml"
    path.write_text(
        f'tenants:\n  platform:\n    keys: ["{key_digest(KEY)}"]\n'
        '    read: ["*"]\n    write: ["*"]\n    delete_sessions: true\n'
    )
    return path


@pytest.fixture
def tenants_app(make_app: Callable[..., Flask], tmp_path: Path) -> Flask:
    return make_app(TENANTS_FILE=str(tenants_file(tmp_path)))


def validator_for(document: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Validator:
    """A JSON Schema 2020-12 validator of ``schema``, whose references resolve in ``document``."""
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry = RefRegistry().with_resource("urn:openapi", resource)
    return jsonschema.Draft202012Validator(
        {"$ref": f"urn:openapi#{schema['$ref'][1:]}"}, registry=registry
    )


def test_the_document_is_valid_openapi_3_1_in_open_mode(client: FlaskClient) -> None:
    document = document_of(client)
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)


def test_open_mode_asks_for_no_key_and_documents_no_refusal_of_access(client: FlaskClient) -> None:
    document = document_of(client)
    assert "securitySchemes" not in document["components"]
    for _path, _method, operation in operations(document):
        assert "security" not in operation
        assert not AUTH_STATUSES & set(operation["responses"])
    assert "open" in document["info"]["description"]


def test_with_a_tenants_file_the_document_is_valid_and_v1_asks_for_a_bearer_key(
    tenants_app: Flask,
) -> None:
    document = document_of(tenants_app.test_client())
    validate(document, cls=OpenAPIV31SpecValidator)
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for path, _method, operation in operations(document):
        responses = set(operation["responses"])
        if path.startswith(V1):
            assert operation["security"] == [{"bearer": []}]
            assert {"401", "429"} <= responses
        else:
            assert "security" not in operation
            assert not AUTH_STATUSES & responses
    grants = document["paths"]["/v1/sessions/{sid}/{ns}"]["put"]["responses"]
    assert "403" in grants
    assert "403" not in document["paths"]["/v1/schemas"]["get"]["responses"]


def test_every_route_and_method_of_the_app_is_documented(app: Flask, client: FlaskClient) -> None:
    document = document_of(client)
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("console."):
            continue
        path = re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        documented = set(document["paths"][path])
        assert {m.lower() for m in rule.methods or ()} - {"head", "options"} <= documented


def test_the_consoles_pages_for_people_are_not_in_the_api_document(
    app: Flask, client: FlaskClient
) -> None:
    console = [rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/console")]
    assert "/console/session" in console  # the console is on in development
    assert not [path for path in document_of(client)["paths"] if path.startswith("/console")]


def test_the_old_touch_path_also_documents_the_namespace_called_touch(client: FlaskClient) -> None:
    # OpenAPI matches /v1/sessions/{sid}/touch before /v1/sessions/{sid}/{ns}, and
    # GET, PUT, PATCH and DELETE there reach the namespace "touch".
    paths = document_of(client)["paths"]
    item = paths["/v1/sessions/{sid}/touch"]
    assert set(item) == {"post", "get", "put", "patch", "delete"}
    assert item["post"]["operationId"] == "touchSessionDeprecated"
    assert item["post"]["deprecated"] is True
    assert item["get"]["operationId"] == "getTouch"
    assert "deprecated" not in item["get"]
    assert paths["/v1/sessions/{sid}/touch/_json-patch"]["patch"]["operationId"] == "jsonPatchTouch"


def test_the_touch_path_is_never_a_namespace_and_takes_only_post(client: FlaskClient) -> None:
    paths = document_of(client)["paths"]
    assert set(paths["/v1/sessions/{sid}/_touch"]) == {"post"}
    assert paths["/v1/sessions/{sid}/_touch"]["post"]["operationId"] == "touchSession"
    assert not [path for path in paths if path.startswith("/v1/sessions/{sid}/_touch/")]


def test_every_error_response_is_the_one_error_component_and_lists_its_codes(
    client: FlaskClient,
) -> None:
    document = document_of(client)
    codes = error_codes()
    every = document["components"]["schemas"]["Error"]["properties"]["error"]["enum"]
    assert sorted(every) == sorted(code for by_status in codes.values() for code in by_status)
    for name, response in document["components"]["responses"].items():
        assert response["content"] == {"application/json": {"schema": {"$ref": ERROR}}}, name
    for status, by_status in codes.items():
        if status in (405, 500):  # no documented operation answers either
            continue
        response = document["components"]["responses"][response_name(status)]
        assert re.findall(r"^- `(\w+)`: ", response["description"], re.M) == list(by_status)
    unavailable = document["components"]["responses"]["ServiceUnavailable"]
    assert set(unavailable["headers"]) == {"X-Request-ID", "Retry-After"}


def test_every_link_names_an_operation_of_the_document(client: FlaskClient) -> None:
    document = document_of(client)
    ids = {operation["operationId"] for _path, _method, operation in operations(document)}
    assert len(ids) == len(list(operations(document)))
    for _path, _method, operation in operations(document):
        for response in operation["responses"].values():
            for link in response.get("links", {}).values():
                assert link["operationId"] in ids


def test_every_shipped_schema_is_a_component_and_its_namespace_path_uses_it(
    client: FlaskClient,
) -> None:
    document = document_of(client)
    for name in SHIPPED:
        ref, stored = f"#/components/schemas/{name}", f"#/components/schemas/{name}.stored"
        assert document["components"]["schemas"][name]["title"] == name
        assert document["components"]["schemas"][f"{name}.stored"]["allOf"] == [
            {"$ref": "#/components/schemas/StoredDocument"},
            {"$ref": ref},
        ]
        item = document["paths"][f"/v1/sessions/{{sid}}/{name}"]
        assert item["put"]["requestBody"]["content"]["application/json"]["schema"] == {"$ref": ref}
        for method in ("put", "patch"):
            written = item[method]["responses"]["200"]["content"]["application/json"]["schema"]
            assert written == {"$ref": stored}
        json_patch = document["paths"][f"/v1/sessions/{{sid}}/{name}/_json-patch"]["patch"]
        written = json_patch["responses"]["200"]["content"]["application/json"]["schema"]
        assert written == {"$ref": stored}
        stem = pascal_case(name)
        assert item["get"]["tags"] == [stem]
        assert item["get"]["operationId"] == f"get{stem}"


def test_a_component_accepts_what_its_namespace_accepts_and_describes_what_is_stored(
    client: FlaskClient,
) -> None:
    document = document_of(client)
    name = "restaurants.lastVisited.v1"
    visit = {"restaurantId": "r1", "visitedAt": "2017-03-26T23:14:10.617Z", "source": "map"}
    good, bad = {"visits": [visit]}, {"visits": [{**visit, "rating": 6}]}
    component = validator_for(document, {"$ref": f"#/components/schemas/{name}"})
    assert component.is_valid(good) and not component.is_valid(bad)
    path = f"/v1/sessions/u1/{name}"
    assert client.put(path, json=bad).status_code == 422
    stored = client.put(path, json=good)
    assert stored.status_code == 200
    item = document["paths"][f"/v1/sessions/{{sid}}/{name}"]
    written = item["put"]["responses"]["200"]["content"]["application/json"]["schema"]
    validator_for(document, written).validate(stored.get_json())
    assert not validator_for(document, written).is_valid({**stored.get_json(), "visits": 1})


def test_references_between_schemas_resolve_inside_the_document(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    folder = write_schemas(
        tmp_path / "schemas",
        {
            "team.user.v1": "type: object\nproperties:\n  name: {type: string, min: 1}\n",
            "team.t.v1": "type: object\nproperties:\n  owner: {type: team.user.v1}\n",
        },
    )
    document = document_of(make_app(SCHEMA_DIR=str(folder)).test_client())
    validate(document, cls=OpenAPIV31SpecValidator)
    component = document["components"]["schemas"]["team.t.v1"]
    owner = component["properties"]["owner"]
    assert owner == {"$ref": "#/components/schemas/team.t.v1/$defs/team.user.v1"}
    team = validator_for(document, {"$ref": "#/components/schemas/team.t.v1"})
    assert team.is_valid({"owner": {"name": "Ada"}})
    assert not team.is_valid({"owner": {"name": ""}})


def test_a_schema_named_like_a_component_of_ours_gets_a_key_of_its_own(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    folder = write_schemas(tmp_path / "schemas", {"Error": "type: object\nallowUnknown: true\n"})
    document = document_of(make_app(SCHEMA_DIR=str(folder)).test_client())
    schemas = document["components"]["schemas"]
    assert "message" in schemas["Error"]["properties"]
    assert schemas["Error_"]["title"] == "Error"
    put = document["paths"]["/v1/sessions/{sid}/Error"]["put"]
    body = put["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Error_"}


def test_the_document_is_built_again_only_when_the_registry_changes(app: Flask) -> None:
    cache = app.extensions["sessionator"].openapi
    services = app.extensions["sessionator"]
    first = cache.document(app, services)
    assert cache.document(app, services) is first
    services.schemas.registry = load_registry([], entry_points=False)  # what a reload does
    rebuilt = cache.document(app, services)
    assert rebuilt is not first
    assert b'"teamName.objectType.v1"' in first and b'"teamName.objectType.v1"' not in rebuilt


def test_a_new_schema_file_appears_in_the_served_document_once_the_watcher_loads_it(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    folder = write_schemas(tmp_path / "schemas", {})
    client = make_app(SCHEMA_DIR=str(folder), SCHEMA_POLL_MS=50).test_client()
    assert "late.v1" not in document_of(client)["components"]["schemas"]
    write_schemas(folder, {"late.v1": "type: object\nproperties:\n  n: {type: integer}\n"})
    deadline = time.monotonic() + 10
    while "late.v1" not in (document := document_of(client))["components"]["schemas"]:
        assert time.monotonic() < deadline, "the new schema never reached /openapi.json"
        time.sleep(0.05)
    assert "/v1/sessions/{sid}/late.v1" in document["paths"]


class Assets(HTMLParser):
    """The URLs a page loads: every src and href."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def test_the_docs_page_loads_only_files_this_service_serves(client: FlaskClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html
    assert 'url: "/openapi.json"' in html
    parser = Assets()
    parser.feed(html)
    assert len(parser.urls) == 4
    for url in parser.urls:
        assert url.startswith("/docs/")
        with client.get(url) as asset:  # a file response: close it
            assert asset.status_code == 200, url
            assert asset.mimetype in ("text/css", "text/javascript", "image/png")
            assert len(asset.get_data()) > 100


def test_a_file_the_docs_page_does_not_use_is_a_json_404(client: FlaskClient) -> None:
    for name in ("LICENSE", "index.html", "..%2Fflask_swagger_ui.py", "nothing.js"):
        reply = client.get(f"/docs/{name}")
        assert reply.status_code == 404, name
        assert reply.get_json()["error"] == "not_found"


def test_the_document_and_the_docs_page_need_no_key(tenants_app: Flask) -> None:
    client = tenants_app.test_client()
    assert client.get("/v1/schemas").status_code == 401
    for path in ("/openapi.json", "/docs", "/docs/swagger-ui.css"):
        with client.get(path) as reply:
            assert reply.status_code == 200, path


# What schemathesis found in the service, kept as specifications.


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_an_empty_entity_tag_in_if_match_never_matches(client: FlaskClient, method: str) -> None:
    # Werkzeug parses `""` as None, which made every write with it a 500.
    path = "/v1/sessions/u1/things"
    assert client.put(path, json={"a": 1}).status_code == 200
    body = {"json": {"a": 2}} if method == "PUT" else {}
    if method == "PATCH":
        body = {"data": "{}", "content_type": "application/merge-patch+json"}
    reply = client.open(path, method=method, headers={"If-Match": 'W/"x", ""'}, **body)
    assert reply.status_code == 412
    assert reply.get_json()["error"] == "precondition_failed"


@pytest.mark.parametrize("stored", [True, False])
def test_a_malformed_json_patch_is_refused_before_the_namespace_is_read(
    client: FlaskClient, stored: bool
) -> None:
    # The body is checked before the write (404, 409, 412), as docs/api.md orders them.
    path = "/v1/sessions/u1/things"
    if stored:
        assert client.put(path, json={"a": 1}).status_code == 200
    reply = client.patch(
        path,
        data="{}",
        content_type="application/json-patch+json",
        headers={"If-Match": '"0000000000000000000000000000000000000000"'},
    )
    assert reply.status_code == 400
    assert reply.get_json()["error"] == "invalid_patch"


def makefile_command(base_url: str) -> str:
    """The command `make schemathesis` runs (printed by make, not run: no install step)."""
    printed = subprocess.run(
        ["make", "--no-print-directory", "-n", "schemathesis", f"SCHEMATHESIS_URL={base_url}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return next(line for line in printed.splitlines() if "/st run " in line)


@pytest.mark.gunicorn
@pytest.mark.parametrize("mode", ["open", "tenants"])
def test_schemathesis_finds_no_failure_against_a_live_server(
    mode: str, redis_url: str, tmp_path: Path
) -> None:
    env = {"REDIS_URL": redis_url, "SCHEMA_DIR": str(SCHEMA_DIR)}
    if mode == "tenants":
        env |= {"TENANTS_FILE": str(tenants_file(tmp_path)), "RATE_LIMIT": "100000/second"}
    process, port = start_gunicorn(env, log=tmp_path / "gunicorn.log")
    try:
        command = makefile_command(f"http://127.0.0.1:{port}")
        assert shlex.split(command)[3:5] == ["--checks", "all"]
        run = subprocess.run(
            ["sh", "-c", command],
            cwd=REPO,
            env={**os.environ, "SESSIONATOR_KEY": KEY if mode == "tenants" else ""},
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        stop_process(process)
    report = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, report
    assert " passed" in run.stdout and "failures" not in run.stdout, report
