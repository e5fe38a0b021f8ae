"""Fuzzing the HTTP surface: no 500, no HTML, and a refused request stores nothing.

Hypothesis sends requests built from valid and hostile parts (identifiers,
query strings, bodies, media types, conditional headers, Authorization
values) to the service with a tenants file, through Flask's test client, on
the private Valkey. Around every request the whole store is read (every key:
its type, value and absolute expiry), so each property is checked against
what Redis really holds, not against what the service says it did.

What the fuzzing found is pinned by the targeted tests at the end: lone
surrogates reaching an error message or PATCH's size check (500), Flask's
HTML answers to OPTIONS and to a doubled slash, and a JSON Patch of copies
that doubled a document per operation before any limit was checked.
"""

from __future__ import annotations

import fnmatch
import io
import json
import re
import string
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TypeVar
from urllib.parse import quote, urlencode

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException
from werkzeug.test import TestResponse

from app.access.tenants import generate_key, key_digest
from app.store.preconditions import etag_of
from tests.stored import KEYS, stored

KEY_PREFIX = "sessionator"
TEAM_READ = ("team.*", "shared.*")
TEAM_WRITE = ("team.*",)
PROTECTED_BLUEPRINTS = ("sessions", "schemas")  # the blueprints that authenticate
STRICT_SCHEMA = "team.strict.v1"
STRICT_MAX_BYTES = 2048
MAX_BODY_BYTES = 64 * 1024
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# A JSON escape of half a surrogate pair without its other half (\ud800 alone).
LONE_SURROGATE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
T = TypeVar("T")
_KEY = re.compile(r"sessionator:\{(?P<sid>[^}]*)\}(?P<kind>|:ttl)")  # a session's hash, expiries

# What the store holds before any fuzzed request: written with the root key.
SEEDED: dict[tuple[str, str], dict[str, Any]] = {
    ("alice", "team.a"): {"seed": "team"},
    ("alice", "shared.x"): {"seed": "shared"},
    ("alice", "other.y"): {"seed": "other"},
    ("bob", STRICT_SCHEMA): {"name": "Bob"},
    ("bob", "other.y"): {"seed": "other"},
}


def fuzz(examples: int) -> settings:
    """Hypothesis settings for a property over the one service of a test."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# -- the service under test ----------------------------------------------------


class Entry(NamedTuple):
    """One Redis key as the snapshot sees it."""

    kind: str
    value: Any
    expires_at: int  # PEXPIRETIME: ms since the epoch, -1 without a TTL


Snapshot = dict[str, Entry]

# Every key with its type, value and absolute expiry, read at one moment.
_SNAPSHOT = """
local out = {}
for _, key in ipairs(redis.call('KEYS', '*')) do
    local kind = redis.call('TYPE', key)['ok']
    local value
    if kind == 'string' then value = redis.call('GET', key)
    elseif kind == 'zset' then value = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
    elseif kind == 'hash' then value = redis.call('HGETALL', key)
    else value = redis.call('DUMP', key) end
    out[#out + 1] = {key, kind, value, redis.call('PEXPIRETIME', key)}
end
return out
"""


@dataclass(frozen=True)
class Route:
    """Where the app's URL map sends a request: an endpoint, or routing's own refusal."""

    endpoint: str | None
    args: dict[str, Any]
    status: int | None = None  # 404, 405 or 308 when routing refused

    @property
    def protected(self) -> bool:
        """Whether the endpoint belongs to a blueprint that asks for an API key."""
        return self.endpoint is not None and self.endpoint.split(".")[0] in PROTECTED_BLUEPRINTS


class Service:
    """The app on the private Valkey, its client, its keys, and eyes on the store."""

    def __init__(
        self, app: Flask, client: FlaskClient, store: redis.Redis, keys: dict[str, str]
    ) -> None:
        self.app, self.client, self.store, self.keys = app, client, store, keys
        self._snapshot = store.register_script(_SNAPSHOT)
        self._seen: dict[str, Any] = {}
        inner = app.wsgi_app

        def spy(environ: Any, start_response: Any) -> Any:
            self._seen["environ"] = environ  # the guard inside rewrites PATH_INFO in this dict
            return inner(environ, start_response)

        app.wsgi_app = spy  # type: ignore[method-assign]

    def __repr__(self) -> str:
        return "Service()"  # Hypothesis prints it with every failing example

    def snapshot(self) -> Snapshot:
        """Every key of the store, with its type, value and expiry."""
        return {
            key.decode(): Entry(kind.decode(), _frozen(value), int(expires_at))
            for key, kind, value, expires_at in self._snapshot()
        }

    def route(self) -> Route:
        """How the URL map routes the last request, as the app received it."""
        environ = self._seen["environ"]
        adapter = self.app.url_map.bind_to_environ(
            environ, subdomain=self.app.url_map.default_subdomain or ""
        )
        try:
            endpoint, args = adapter.match()
        except HTTPException as error:
            return Route(None, {}, error.code)
        return Route(str(endpoint), dict(args))

    def current_etag(self, sid: str, ns: str) -> str:
        """The ETag of the stored document (sid, ns), or one that matches nothing."""
        document = stored(self.store, sid, ns)
        return etag_of(document) if isinstance(document, bytes) else "0" * 40


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@pytest.fixture(scope="module")
def api_keys() -> dict[str, str]:
    """One fresh API key per tenant."""
    return {"team": generate_key(), "root": generate_key()}


@pytest.fixture(scope="module")
def service_files(tmp_path_factory: pytest.TempPathFactory, api_keys: dict[str, str]) -> Path:
    """A directory with the tenants file and a schema directory holding one strict schema."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "tenants.yaml").write_text(
        "tenants:\n"
        "  team:\n"
        f'    keys: ["{key_digest(api_keys["team"])}"]\n'
        '    read: ["team.*", "shared.*"]\n'
        '    write: ["team.*"]\n'
        "    delete_sessions: false\n"
        "  root:\n"
        f'    keys: ["{key_digest(api_keys["root"])}"]\n'
        '    read: ["*"]\n'
        '    write: ["*"]\n'
        "    delete_sessions: true\n",
        encoding="utf-8",
    )
    schemas = root / "schemas"
    schemas.mkdir()
    (schemas / f"{STRICT_SCHEMA}.yaml").write_text(
        "type: object\nmaxBytes: 2KiB\nproperties:\n  name: {type: string, max: 40}\n",
        encoding="utf-8",
    )
    return root


@pytest.fixture
def service(
    make_app: Callable[..., Flask],
    store: redis.Redis,
    service_files: Path,
    api_keys: dict[str, str],
) -> Service:
    """The service with tenants and no rate limit, on the emptied store, seeded by root."""
    app = make_app(
        SCHEMA_DIR=str(service_files / "schemas"),
        TENANTS_FILE=str(service_files / "tenants.yaml"),
        RATE_LIMIT="",
    )
    service = Service(app, app.test_client(), store, api_keys)
    root = {"Authorization": f"Bearer {api_keys['root']}"}
    for (sid, ns), document in SEEDED.items():
        response = service.client.put(f"/v1/sessions/{sid}/{ns}", json=document, headers=root)
        assert response.status_code == 200, response.data
    return service


# -- strategies ------------------------------------------------------------------

METHODS = ("GET", "PUT", "PATCH", "DELETE", "POST", "HEAD", "OPTIONS")
READ_METHODS = ("GET", "HEAD", "OPTIONS")
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


def mostly(usual: st.SearchStrategy[T], unusual: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """``usual`` three times in four, else ``unusual``: enough requests get past the checks."""
    return st.integers(0, 3).flatmap(lambda n: unusual if n == 0 else usual)


any_text = st.text(st.characters(codec="utf-8"), max_size=30)
long_text = st.text(string.printable, min_size=100, max_size=400)
header_text = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=40)

session_pool = st.sampled_from(["alice", "bob", "carol"])
valid_session_ids = st.from_regex(r"[A-Za-z0-9._~:@+=-]{1,256}", fullmatch=True)
namespace_pool = st.sampled_from(
    ["team.a", "team.b", STRICT_SCHEMA, "shared.x", "other.y", "team", "teamX.a", "Team.a"]
)
valid_namespaces = st.from_regex(
    r"[A-Za-z][A-Za-z0-9_-]{0,9}(\.[A-Za-z0-9_-]{1,9}){0,3}", fullmatch=True
)
tricky_identifiers = st.sampled_from(
    [
        "", ".", "..", "...", "a..b", ".a", "a.", "%2F", "a%2Fb", "a%2fb", "a/b", "/", "%00",
        "a%00b", "%ff", "%zz", "%", "a b", "touch", "{alice}", "alice}", "*", "team.*",
        "a" * 256, "a" * 257, "t" * 128, "t" * 129, "é", "\uff41\uff4c\uff49\uff43\uff45",
        "alice\x00", "alice\t", "alice\x7f", "\u2028", "team.a\n", "~", "-", "1team", "_a",
        "_touch",
    ]
)  # fmt: skip
session_ids = mostly(session_pool | valid_session_ids, tricky_identifiers | any_text | long_text)
namespaces = mostly(namespace_pool | valid_namespaces, tricky_identifiers | any_text | long_text)


@st.composite
def path_segments(draw: st.DrawFn, text: str) -> str:
    """An identifier as a path segment: percent-encoded, or raw (``%``, ``/`` and all)."""
    if draw(st.booleans()):
        return quote(text, safe="")
    return text.replace("?", "%3F").replace("#", "%23")  # raw, but the path stays a path


# Each shape of path, and the methods its route takes (writes twice: they are what can break).
ROUTE_METHODS = {
    "session": ("GET", "HEAD", "DELETE", "OPTIONS"),
    "namespace": ("GET", "HEAD", "PUT", "PUT", "PATCH", "PATCH", "DELETE", "OPTIONS"),
    "touch": ("POST",),
    "old_touch": ("POST",),
    "json_patch": ("PATCH", "PATCH", "GET"),
    "schemas": ("GET", "HEAD"),
    "schema": ("GET", "HEAD"),
    "elsewhere": ("GET",),
}
# How often each shape is drawn: a namespace three times, most of the contract is there.
SHAPES = (
    "session", *["namespace"] * 3, "touch", "old_touch", "json_patch", "schemas", "schema",
    "elsewhere",
)  # fmt: skip


@dataclass(frozen=True)
class Target:
    """The path of a request, its shape, and the identifiers it was built from."""

    path: str
    shape: str
    sid: str = ""
    ns: str = ""


@st.composite
def targets(draw: st.DrawFn, sids: st.SearchStrategy[str], names: st.SearchStrategy[str]) -> Target:
    """A path of one of the routes (or of none), from the given identifiers."""
    shape = draw(st.sampled_from(SHAPES))
    sid, ns = draw(sids), draw(names)
    sid_segment, ns_segment = draw(path_segments(sid)), draw(path_segments(ns))
    paths = {
        "session": f"/v1/sessions/{sid_segment}",
        "namespace": f"/v1/sessions/{sid_segment}/{ns_segment}",
        "touch": f"/v1/sessions/{sid_segment}/_touch",
        "old_touch": f"/v1/sessions/{sid_segment}/touch",
        "json_patch": f"/v1/sessions/{sid_segment}/{ns_segment}/_json-patch",
        "schemas": "/v1/schemas",
        "schema": f"/v1/schemas/{ns_segment}",
    }
    elsewhere = ["/", "/readyz", "/v1", "/v1/sessions", "/v1/sessions/", "/v1/schemas/"]
    path = paths.get(shape) or draw(st.sampled_from([*elsewhere, f"/v1/{sid_segment}"]))
    return Target(path, shape, sid, ns)


query_names = st.sampled_from(["namespaces", "namespace", "Namespaces", "x", ""]) | any_text
query_strings = mostly(
    st.just(""),
    st.one_of(
        st.lists(st.tuples(st.just("namespaces"), namespace_pool), max_size=4).map(urlencode),
        st.lists(st.tuples(query_names, namespaces), max_size=4).map(urlencode),
        st.integers(95, 110).map(
            lambda n: urlencode([("namespaces", f"team.n{i}") for i in range(n)])
        ),
        any_text.map(lambda text: text.replace("#", "")),  # raw: bad escapes, bad UTF-8...
    ),
)

lone_surrogates = st.sampled_from(["\ud800", "a\udfff", "\udc00\ud800"])  # JSON escapes them
json_text = st.text(max_size=12) | lone_surrogates
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | json_text
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_text, inner, max_size=4),
    max_leaves=12,
)
member_names = json_text | st.sampled_from(["name", "_session", "_namespace", "_modified", "_x"])
json_objects = st.dictionaries(member_names, json_values, max_size=6)
strict_documents = st.builds(lambda name: {"name": name}, mostly(json_text, json_values))
pointers = st.sampled_from(["", "/name", "/a", "/a/0", "/-", "/_session", "/x~1y", "/~2", "a"])
patch_operations = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "nope"])},
    optional={"path": pointers | json_text, "from": pointers, "value": json_values},
)
# At most three operations: each copy of the root doubles a document (see the last test).
json_patches = st.lists(patch_operations, max_size=3)


def encoded(value: Any) -> st.SearchStrategy[bytes]:
    """``value`` as JSON bytes, ASCII-escaped or raw UTF-8 (invalid UTF-8 for surrogates)."""
    return st.booleans().map(
        lambda ascii: json.dumps(value, ensure_ascii=ascii).encode("utf-8", "surrogatepass")
    )


def nested(depth: int, kind: str) -> bytes:
    """JSON objects or arrays nested ``depth`` levels deep."""
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


not_json = st.sampled_from(
    [
        b"", b"{", b"NaN", b'{"a":NaN}', b'{"a":Infinity}', b'{"a":-Infinity}', b'{"a":1e400}',
        b'{"a":"\\ud800"}', b'{"a":"\\udfff\\ud800"}', b"\xef\xbb\xbf{}", b'{"a":1,"a":2}',
        b'{"a":"\xff"}', b'{"a":"\xc3"}', b"\xfe\xff\x00{", b'{"a":' + b"9" * 5000 + b"}",
        b'{"a":-}', b"{}garbage", b'{"a":1}{"b":2}', b"\x00", b"null", b"[]", b'"text"',
    ]
)  # fmt: skip
bodies = st.one_of(
    st.none(),
    json_objects.flatmap(encoded),
    json_values.flatmap(encoded),
    strict_documents.flatmap(encoded),
    json_patches.flatmap(encoded),
    st.binary(max_size=64),
    not_json,
    st.sampled_from([STRICT_MAX_BYTES - 12, STRICT_MAX_BYTES, MAX_BODY_BYTES - 10, 70_000]).map(
        lambda size: b'{"pad":"' + b"x" * size + b'"}'
    ),
    st.builds(nested, st.integers(1, 40_000), st.sampled_from(["array", "object"])),
)
content_types = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "application/json", "application/json; charset=utf-8", "APPLICATION/Json",
            "application/json;charset=latin-1", MERGE_PATCH, JSON_PATCH, "text/plain", "",
            "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
            "application/json+x", "application/jsonx", "application/json; =;;",
        ]
    ),
    header_text,
)  # fmt: skip


@st.composite
def well_formed_bodies(draw: st.DrawFn, method: str) -> tuple[str, bytes]:
    """A media type and body that ``method`` takes, so that the rest decides the answer."""
    if method == "PUT":
        document = draw(json_objects | strict_documents)
        return "application/json", json.dumps(document).encode()
    if draw(st.booleans()):
        return MERGE_PATCH, json.dumps(draw(json_objects | strict_documents)).encode()
    return JSON_PATCH, json.dumps(draw(json_patches)).encode()


conditions = mostly(
    st.none(),
    st.one_of(
        st.sampled_from(
            [
                "*", '"{etag}"', 'W/"{etag}"', '"{etag}", "abc"', '"abc", W/"{etag}"',
                '*, "{etag}"', '"0000000000000000000000000000000000000000"', "", '"', "W/",
                '"{etag}"x', "{etag}",
            ]
        ),
        header_text,
    ),
)  # fmt: skip
transports = mostly(st.just("sized"), st.sampled_from(["chunked", "0", "1", "abc", "-1", "9" * 20]))
request_ids = mostly(st.none(), st.sampled_from(["req-1", "x" * 129]) | header_text)


@dataclass(frozen=True)
class Credential:
    """An Authorization header over the fixture's keys, and the tenant it should be.

    In ``template``, ``{key}`` stands for the key of ``key``'s tenant, ``{KEY}``
    for it upper-cased and ``{key-}`` for it without its last character.
    """

    template: str | None  # None: no Authorization header
    key: str | None = None  # "team" or "root": whose key fills the template
    tenant: str | None = None  # whom the service should take the caller for; None: nobody

    def header(self, keys: dict[str, str]) -> str | None:
        if self.template is None or self.key is None:
            return self.template
        key = keys[self.key]
        return (
            self.template.replace("{key-}", key[:-1])
            .replace("{KEY}", key.upper())
            .replace("{key}", key)
        )


ACCEPTED = ["Bearer {key}", "bearer {key}", "BEARER {key}", "Bearer    {key}", "Bearer {key}  "]
REFUSED = [
    "{key}", "Basic {key}", "Token {key}", "Bearer{key}", "Bearer\t{key}", "Bearer {key}x",
    "Bearer x{key}", "Bearer {key} {key}", "Bearer {KEY}", "Bearer {key-}", "Bearer {key}é",
    "Bearer: {key}", "Bearer {key},", "Bearer \x00{key}",
]  # fmt: skip


def accepted_credentials(tenant: str) -> st.SearchStrategy[Credential]:
    """Authorization values that name ``tenant``'s key, as HTTP allows them to be written."""
    return st.sampled_from([Credential(t, tenant, tenant) for t in ACCEPTED])


refused_credentials = st.one_of(
    st.sampled_from([Credential(t, key) for t in REFUSED for key in ("team", "root")]),
    st.sampled_from([None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz"]).map(Credential),
    header_text.map(lambda text: Credential("Bearer " + text)),
    header_text.map(lambda text: Credential("Bearer ssn_" + text)),
    header_text.map(Credential),
)
any_credentials = mostly(
    accepted_credentials("team") | accepted_credentials("root"), refused_credentials
)


@dataclass(frozen=True)
class Fuzzed:
    """One request as generated, before the fixture's keys and ETags are filled in."""

    method: str
    target: Target
    query: str
    credential: Credential
    content_type: str | None
    body: bytes | None
    transport: str  # "sized", "chunked", or a CONTENT_LENGTH to claim
    if_match: str | None
    if_none_match: str | None
    request_id: str | None


@st.composite
def requests(
    draw: st.DrawFn,
    credentials: st.SearchStrategy[Credential] = any_credentials,
    sids: st.SearchStrategy[str] = session_ids,
    names: st.SearchStrategy[str] = namespaces,
) -> Fuzzed:
    """A request to any route, with any headers and body.

    Half of them are tidy: a method the route takes, a body and media type it takes, no
    odd query or header; only identifiers, key and preconditions vary, so that they reach
    the store. The others are fuzzed in every part.
    """
    target, credential = draw(targets(sids, names)), draw(credentials)
    if draw(st.booleans()):
        return draw(tidy_requests(target, credential))
    method = draw(mostly(st.sampled_from(ROUTE_METHODS[target.shape]), st.sampled_from(METHODS)))
    content_type, body = draw(content_types), draw(bodies)
    if method in ("PUT", "PATCH") and draw(st.booleans()):
        content_type, body = draw(well_formed_bodies(method))
    return Fuzzed(
        method=method,
        target=target,
        query=draw(query_strings),
        credential=credential,
        content_type=content_type,
        body=body,
        transport=draw(transports),
        if_match=draw(conditions),
        if_none_match=draw(conditions),
        request_id=draw(request_ids),
    )


@st.composite
def tidy_requests(draw: st.DrawFn, target: Target, credential: Credential) -> Fuzzed:
    """A request the route takes as far as HTTP goes, to ``target`` with ``credential``."""
    method = draw(st.sampled_from(ROUTE_METHODS[target.shape]))
    content_type, body = None, None
    if method in ("PUT", "PATCH"):
        content_type, body = draw(well_formed_bodies(method))
    query = ""
    if target.shape == "session" and method != "DELETE":
        asked = st.lists(st.tuples(st.just("namespaces"), namespace_pool), max_size=4)
        query = urlencode(draw(asked))
    precondition = mostly(st.none(), st.sampled_from(['"{etag}"', "*"]))
    return Fuzzed(
        method=method,
        target=target,
        query=query,
        credential=credential,
        content_type=content_type,
        body=body,
        transport="sized",
        if_match=draw(precondition),
        if_none_match=draw(precondition),
        request_id=None,
    )


# The team's key on the seeded sessions, mostly on the namespaces it may write.
team_requests = requests(
    accepted_credentials("team"),
    session_pool,
    mostly(st.sampled_from(["team.a", "team.b", STRICT_SCHEMA]), namespace_pool),
)


# -- sending a request, and what every answer must be ---------------------------


def send(service: Service, fuzzed: Fuzzed) -> TestResponse:
    """Fill in keys and the current ETag, and send the request through the test client."""
    etag = service.current_etag(fuzzed.target.sid, fuzzed.target.ns)
    headers = {
        "Authorization": fuzzed.credential.header(service.keys),
        "Content-Type": fuzzed.content_type,
        "If-Match": None if fuzzed.if_match is None else fuzzed.if_match.replace("{etag}", etag),
        "If-None-Match": (
            None if fuzzed.if_none_match is None else fuzzed.if_none_match.replace("{etag}", etag)
        ),
        "X-Request-ID": fuzzed.request_id,
    }
    options: dict[str, Any] = {
        "method": fuzzed.method,
        "query_string": fuzzed.query,
        "headers": {name: value for name, value in headers.items() if value is not None},
    }
    if fuzzed.body is not None and fuzzed.transport == "chunked":
        options["headers"]["Transfer-Encoding"] = "chunked"
        options["input_stream"] = io.BytesIO(fuzzed.body)
        options["environ_overrides"] = {"wsgi.input_terminated": True}  # as gunicorn says
    elif fuzzed.body is not None:
        options["data"] = fuzzed.body
        if fuzzed.transport != "sized":
            options["environ_overrides"] = {"CONTENT_LENGTH": fuzzed.transport}
    return service.client.open(fuzzed.target.path, **options)


@dataclass(frozen=True)
class Exchange:
    """A request, its answer, how it was routed, and the store before and after."""

    fuzzed: Fuzzed
    response: TestResponse
    route: Route
    before: Snapshot
    after: Snapshot

    @property
    def status(self) -> int:
        return self.response.status_code


def exchange(service: Service, fuzzed: Fuzzed) -> Exchange:
    """Send one request with a snapshot of the store on either side, and check the contract."""
    before = service.snapshot()
    response = send(service, fuzzed)
    after = service.snapshot()
    done = Exchange(fuzzed, response, service.route(), before, after)
    event(f"{done.route.endpoint or 'routing'} -> {done.status}")
    check_contract(done)
    return done


def check_contract(done: Exchange) -> None:
    """What holds for every request, however malformed."""
    response, status = done.response, done.status
    assert REQUEST_ID.fullmatch(response.headers.get("X-Request-ID", "")), response.headers
    if status >= 400 or done.fuzzed.method in READ_METHODS:
        changed = sorted(changed_keys(done.before, done.after))
        assert not changed, f"a refusal or a read changed {changed}"
    assert status < 500, response.data  # the store is up: not even a 503
    if status == 304:
        assert response.data == b""
    else:
        assert response.mimetype == "application/json", (status, response.data[:200])
    if status >= 400 and done.fuzzed.method != "HEAD":
        body = json.loads(response.data)
        assert isinstance(body["error"], str) and isinstance(body["message"], str), body
    if status == 405:
        assert "Allow" in response.headers
    check_authentication(done)
    check_session_isolation(done)


def check_authentication(done: Exchange) -> None:
    """A route that exists answers 401 without a valid key; routing answers before that."""
    if done.fuzzed.credential.tenant is not None:
        assert done.status != 401, done.response.data
    elif done.route.protected:
        assert done.status == 401, (done.route, done.response.data[:200])
        assert done.response.headers["WWW-Authenticate"].startswith("Bearer ")
    elif done.route.status is not None:
        assert done.status == done.route.status  # 404/405: the same with or without a key
    else:
        assert done.status != 401  # /readyz asks for no key


def check_session_isolation(done: Exchange) -> None:
    """Whatever a request changes belongs to the session in its path."""
    changed = changed_keys(done.before, done.after)
    if not changed:
        return
    assert 200 <= done.status < 300 and done.route.protected, done.status
    session = KEYS.session(done.route.args["sid"])
    assert all(key in (session, KEYS.expiries(done.route.args["sid"])) for key in changed), (
        session,
        changed,
    )


def changed_keys(before: Snapshot, after: Snapshot) -> set[str]:
    """Keys that appeared, disappeared, or changed value or expiry."""
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


def changed_namespaces(before: Snapshot, after: Snapshot) -> set[str]:
    """Namespaces whose document or own expiry changed (the session's expiry moving is not)."""
    names: set[str] = set()
    for key in before.keys() | after.keys():
        parts = _KEY.fullmatch(key)
        assert parts is not None, f"a key the service does not make: {key!r}"
        old, new = before.get(key), after.get(key)
        old_fields, new_fields = (_scores(entry.value if entry else None) for entry in (old, new))
        names |= {
            name.decode()
            for name in old_fields.keys() | new_fields.keys()
            if old_fields.get(name) != new_fields.get(name) and not name.startswith(b":")
        }
    return names


def _scores(members: tuple[bytes, ...] | None) -> dict[bytes, bytes]:
    members = members or ()
    return dict(zip(members[::2], members[1::2], strict=True))


def may(patterns: tuple[str, ...], namespace: str) -> bool:
    """Whether a grant of ``patterns`` covers ``namespace``, as the tenants file means it."""
    return any(fnmatch.fnmatchcase(namespace, pattern) for pattern in patterns)


# -- the properties --------------------------------------------------------------


@fuzz(1000)
@given(fuzzed=requests())
def test_every_answer_is_json_and_no_refusal_changes_the_store(
    service: Service, fuzzed: Fuzzed
) -> None:
    """Any request, with any key or none: a status below 500; a JSON body (error and
    message on every error); a request that is refused, or only reads, leaves every key
    of the store as it was (value and expiry); a write changes only its own session's keys;
    401 exactly on the routes that exist, when the key is not valid."""
    exchange(service, fuzzed)


@fuzz(400)
@given(fuzzed=requests(credentials=refused_credentials))
def test_without_a_valid_key_every_route_answers_401(service: Service, fuzzed: Fuzzed) -> None:
    """Without a valid key (absent, another scheme, a near miss of a real key), a request
    that reaches a session or schema route is 401 with WWW-Authenticate, whatever its
    identifiers, body or method, and stores nothing; a request no route takes gets the
    router's 404 or 405 instead, as it would with a key, so the key decides nothing else."""
    done = exchange(service, fuzzed)
    assert done.status >= 400 or done.route.endpoint == "health.ready"
    assert done.after == done.before


@fuzz(800)
@given(fuzzed=team_requests)
def test_the_team_key_writes_and_reads_only_within_its_grants(
    service: Service, fuzzed: Fuzzed
) -> None:
    """With the team's key (write team.*, read team.* and shared.*): a successful write
    changes no document or index entry outside team.*, and a successful read returns and
    lists no namespace outside team.* and shared.*, in listings and multi-reads too."""
    done = exchange(service, fuzzed)
    if not 200 <= done.status < 300:
        return
    assert all(may(TEAM_WRITE, name) for name in changed_namespaces(done.before, done.after))
    endpoint, method = done.route.endpoint, done.fuzzed.method
    if endpoint == "sessions.get_namespace" and method in ("GET", "HEAD"):
        assert may(TEAM_READ, done.route.args["ns"])
    if endpoint == "sessions.get_session" and method == "GET":
        body = done.response.get_json()
        assert all(may(TEAM_READ, name) for name in body["_namespaces"]), body
        assert all(may(TEAM_READ, name) for name in body if not name.startswith("_")), body


# -- edges found while fuzzing, pinned ---------------------------------------------


def auth(service: Service, tenant: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {service.keys[tenant]}"}


def test_routing_answers_404_and_405_before_authentication(service: Service) -> None:
    unknown = service.client.get("/v1/sessions/alice/team.a/extra")
    wrong_method = service.client.put("/v1/sessions/alice")
    assert (unknown.status_code, unknown.get_json()["error"]) == (404, "not_found")
    assert wrong_method.status_code == 405
    assert set(wrong_method.headers["Allow"].split(", ")) == {"GET", "DELETE", "HEAD", "OPTIONS"}
    assert "WWW-Authenticate" not in unknown.headers
    assert "WWW-Authenticate" not in wrong_method.headers


def test_options_and_head_of_a_route_need_a_key_too(service: Service) -> None:
    for method in ("OPTIONS", "HEAD"):
        response = service.client.open("/v1/sessions/alice/team.a", method=method)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="sessionator"'


@pytest.mark.parametrize("template", ACCEPTED)
def test_the_bearer_scheme_is_case_insensitive_and_spaces_around_the_key_do_not_count(
    service: Service, template: str
) -> None:
    header = Credential(template, "team", "team").header(service.keys)
    response = service.client.get("/v1/sessions/alice", headers={"Authorization": header})
    assert response.get_json() == {"_session": "alice", "_namespaces": ["shared.x", "team.a"]}


@pytest.mark.parametrize("template", REFUSED)
def test_a_near_miss_of_a_valid_key_is_401(service: Service, template: str) -> None:
    header = Credential(template, "team").header(service.keys)
    response = service.client.get("/v1/sessions/alice", headers={"Authorization": header})
    assert response.status_code == 401  # "Bearer\t<key>": RFC 9110 separates with SP only


def test_an_encoded_slash_keeps_a_session_id_from_reaching_a_namespace(service: Service) -> None:
    before = service.snapshot()
    read = service.client.get("/v1/sessions/alice%2Fteam.a", headers=auth(service, "root"))
    write = service.client.put(
        "/v1/sessions/alice%2Fteam.a", json={"x": 1}, headers=auth(service, "root")
    )
    assert read.get_json()["error"] == "invalid_session_id"
    assert write.status_code == 405  # the one-segment route takes no PUT
    assert service.snapshot() == before


def test_a_declared_length_over_the_limit_is_413_before_the_body_is_read(
    service: Service,
) -> None:
    before = service.snapshot()
    response = service.client.put(
        "/v1/sessions/alice/team.a",
        data=b'{"x":1}',
        content_type="application/json",
        headers=auth(service, "team"),
        environ_overrides={"CONTENT_LENGTH": "9" * 20},
    )
    assert response.status_code == 413
    assert response.get_json()["details"] == {"limit": "MAX_BODY_BYTES", "value": MAX_BODY_BYTES}
    assert service.snapshot() == before


def test_a_chunked_body_over_the_schema_limit_is_413_and_stores_nothing(service: Service) -> None:
    before = service.snapshot()
    response = service.client.put(
        f"/v1/sessions/bob/{STRICT_SCHEMA}",
        input_stream=io.BytesIO(b'{"name":"' + b"x" * STRICT_MAX_BYTES + b'"}'),
        content_type="application/json",
        headers={**auth(service, "team"), "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert response.get_json()["details"] == {"limit": "maxBytes", "value": STRICT_MAX_BYTES}
    assert service.snapshot() == before


def test_the_team_cannot_read_another_team_by_asking_for_it(service: Service) -> None:
    listing = service.client.get(
        "/v1/sessions/alice?namespaces=team.a&namespaces=other.y", headers=auth(service, "team")
    )
    assert listing.status_code == 403
    assert listing.get_json()["details"]["namespaces"] == ["other.y"]


def test_options_answers_json_like_every_other_success(service: Service) -> None:
    response = service.client.options("/v1/sessions/alice", headers=auth(service, "team"))
    assert response.status_code == 200
    assert set(response.headers["Allow"].split(", ")) == {"GET", "DELETE", "HEAD", "OPTIONS"}
    assert response.mimetype == "application/json"
    assert response.get_json() == {"allow": ["DELETE", "GET", "HEAD", "OPTIONS"]}
    assert response.headers["Cache-Control"] == "no-store"


def test_a_doubled_slash_is_not_answered_with_an_html_page(service: Service) -> None:
    response = service.client.get("/v1/sessions//alice", headers=auth(service, "team"))
    assert (response.status_code, response.mimetype) == (404, "application/json")
    assert response.get_json()["error"] == "not_found"


@pytest.mark.parametrize(
    ("media_type", "body"),
    [
        (MERGE_PATCH, b'{"name":"\\ud800"}'),
        (JSON_PATCH, b'[{"op":"add","path":"/name","value":"\\udfff"}]'),
    ],
)
def test_a_patch_that_would_store_a_lone_surrogate_is_400(
    service: Service, media_type: str, body: bytes
) -> None:
    before = service.snapshot()
    response = service.client.patch(
        "/v1/sessions/alice/team.a",
        data=body,
        content_type=media_type,
        headers=auth(service, "team"),
    )
    assert (response.status_code, response.get_json()["error"]) == (400, "invalid_json")
    assert service.snapshot() == before


TEAM_A = "/v1/sessions/alice/team.a"
BOB_STRICT = f"/v1/sessions/bob/{STRICT_SCHEMA}"


LONE = "The body contains a lone surrogate (\\ud800-\\udfff)."


@pytest.mark.parametrize(
    ("method", "path", "media_type", "body", "message"),
    [
        (
            "PUT",
            TEAM_A,
            "application/json",
            b'{"\\ud800":1,"\\ud800":2}',
            'The body is not valid JSON: the key "\ud800" appears twice in one object.',
        ),
        ("PUT", BOB_STRICT, "application/json", b'{"\\ud800":1}', LONE),
        ("PATCH", TEAM_A, JSON_PATCH, b'[{"op":"remove","path":"/\\ud800"}]', LONE),
        ("PATCH", TEAM_A, JSON_PATCH, b'[{"op":"test","path":"/seed","value":"\\ud800"}]', LONE),
    ],
)
def test_a_lone_surrogate_anywhere_in_a_body_is_invalid_json(
    service: Service, method: str, path: str, media_type: str, body: bytes, message: str
) -> None:
    """Refused while parsing; the message may quote it, escaped in the ASCII error body."""
    before = service.snapshot()
    response = service.client.open(
        path, method=method, data=body, content_type=media_type, headers=auth(service, "team")
    )
    assert response.status_code == 400, response.get_json()
    assert response.get_json() == {"error": "invalid_json", "message": message}
    assert service.snapshot() == before


def test_an_error_message_quoting_a_lone_surrogate_is_still_json(
    service: Service,
) -> None:
    """A surrogate in the URL reaches a message; the body escapes it rather than failing."""
    response = service.client.get(
        "/v1/sessions/alice?namespaces=%ED%A0%80", headers=auth(service, "team")
    )
    assert (response.status_code, response.mimetype) == (400, "application/json")


def test_a_small_json_patch_cannot_build_a_huge_document(service: Service) -> None:
    # Each copy of the root doubles the document: checked after every copy, not at the end.
    operations = [{"op": "copy", "from": "", "path": f"/k{i}"} for i in range(30)]
    started = time.monotonic()
    response = service.client.patch(
        "/v1/sessions/alice/team.a",
        data=json.dumps(operations),
        content_type=JSON_PATCH,
        headers=auth(service, "team"),
    )
    assert response.status_code == 413
    assert time.monotonic() - started < 1
