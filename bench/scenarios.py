"""What the benchmark stores and which requests it times.

Session ids, namespaces and documents are shared by the seeding code
(`populate.py`) and the wrk script (`load.lua`), which draws ids from the same
range with the same format: keep `session_id` and `load.lua` in step.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

SESSIONS = 10_000
PROFILE = "bench.profile.v1"
PREFS = "bench.prefs.v1"
CART = "bench.cart.v1"  # the schema-adhering one: bench/schemas/bench.cart.v1.yaml
ABSENT = ("bench.absent.v1", "bench.missing.v1")

Document = dict[str, object]


def session_id(index: int) -> str:
    """The id of the index-th benchmark session (`bench-000042`)."""
    return f"bench-{index:06d}"


def profile_document(index: int) -> Document:
    """A chaotic namespace document of about 300 bytes."""
    return {
        "displayName": f"Benchmark User {index:05d}",
        "email": f"user{index}@bench.example.com",
        "locale": "en-GB",
        "lastSeen": "2024-05-01T12:34:56.789Z",
        "visits": index % 997,
        "recent": [f"/restaurants/{index % 89}", f"/restaurants/{index % 97}", "/search"],
        "about": "A benchmark session with a small chaotic namespace document.",
    }


def prefs_document(index: int) -> Document:
    """A second chaotic namespace document of about 300 bytes."""
    return {
        "theme": "dark" if index % 2 else "light",
        "currency": "EUR",
        "notifications": {"email": True, "sms": False, "push": index % 3 == 0},
        "favourites": [f"cuisine-{(index + k) % 40}" for k in range(6)],
        "note": "Preferences stored by the benchmark; the service treats them as opaque data.",
    }


def cart_document(index: int) -> Document:
    """A document of about 300 bytes that `bench.cart.v1.yaml` accepts."""
    return {
        "name": f"Weekly groceries and household items for benchmark session {index}, basket A",
        "qty": index % 50,
        "price": round(19.99 + index % 100, 2),
        "tags": [
            "groceries",
            "household",
            "weekly",
            "delivery",
            "organic",
            "bulk-buy",
            "evening-slot",
            "contactless",
            "reusable-bags",
            f"store-{index % 17}",
            f"aisle-{index % 23}",
        ],
        "flag": index % 2 == 0,
    }


def encode(document: Document) -> bytes:
    """The request body for a document, as a client would send it."""
    return json.dumps(document).encode()


def namespace_path(namespace: str) -> str:
    """The path template of one namespace of a session; `{sid}` is filled in later."""
    return f"/v1/sessions/{{sid}}/{namespace}"


FLOOR_PATH = "/floor/{sid}"
MANY_PATH = "/v1/sessions/{sid}?" + "&".join(
    f"namespaces={name}" for name in (PROFILE, PREFS, CART, *ABSENT)
)

# What populate.py writes for every session: path template -> document maker.
SERVICE_SEED: Mapping[str, Callable[[int], Document]] = {
    namespace_path(PROFILE): profile_document,
    namespace_path(PREFS): prefs_document,
    namespace_path(CART): cart_document,
}
FLOOR_SEED: Mapping[str, Callable[[int], Document]] = {FLOOR_PATH: profile_document}


@dataclass(frozen=True)
class Scenario:
    """One kind of load on random sessions: write_percent writes of body, the rest GETs."""

    name: str
    description: str
    read_path: str = ""
    write_path: str = ""
    write_percent: int = 0
    body: bytes = b""
    floor: str = ""  # name of the floor scenario it is compared with
    write_method: str = "PUT"
    write_type: str = "application/json"


PROFILE_BODY = encode(profile_document(7))

FLOOR_SCENARIOS = {
    s.name: s
    for s in (
        Scenario("floor_get", "floor: one HGET", read_path=FLOOR_PATH),
        Scenario(
            "floor_put",
            "floor: one HSET",
            write_path=FLOOR_PATH,
            write_percent=100,
            body=PROFILE_BODY,
        ),
        Scenario(
            "floor_mix",
            "floor: 90% HGET, 10% HSET",
            read_path=FLOOR_PATH,
            write_path=FLOOR_PATH,
            write_percent=10,
            body=PROFILE_BODY,
        ),
    )
}

SERVICE_SCENARIOS = (
    Scenario(
        "get_one",
        f"GET one namespace ({PROFILE})",
        read_path=namespace_path(PROFILE),
        floor="floor_get",
    ),
    Scenario(
        "put_cart",
        f"PUT the schema namespace ({CART})",
        write_path=namespace_path(CART),
        write_percent=100,
        body=encode(cart_document(7)),
        floor="floor_put",
    ),
    Scenario(
        "patch_cart",
        f"PATCH the schema namespace ({CART}) with a merge patch",
        write_path=namespace_path(CART),
        write_percent=100,
        body=encode({"qty": 3, "flag": None}),
        floor="floor_put",
        write_method="PATCH",
        write_type="application/merge-patch+json",
    ),
    Scenario(
        "get_many",
        "GET 5 namespaces at once (3 present, 2 absent)",
        read_path=MANY_PATH,
        floor="floor_get",
    ),
    Scenario(
        "mix_90_10",
        f"90% GET, 10% PUT of one namespace ({PROFILE})",
        read_path=namespace_path(PROFILE),
        write_path=namespace_path(PROFILE),
        write_percent=10,
        body=PROFILE_BODY,
        floor="floor_mix",
    ),
)
