"""Identifier rules as tables, and the keys built from them."""

from __future__ import annotations

import pytest

from app import identifiers
from app.store.keys import KeySpace

VALID_SESSION_IDS = ["a", "0", "s" * 256, "A-Z.a_z~0:9@+=-", "user:1337", "a@b.c"]
INVALID_SESSION_IDS = ["", "s" * 257, "a b", "a/b", "a{b", "a}b", "é", "a\x00", "a?", "a#", "a%"]
VALID_NAMESPACES = ["a", "lastSeen", "restaurants.lastVisited.v1", "a.1", "a-b.c_d", "a" * 128]
INVALID_NAMESPACES = ["", "1a", "_a", "-a", ".a", "a.", "a..b", "a" * 129, "a:b", "a b", "a/b",
                      "a{b}", "é", "a.b.", "a~"]  # fmt: skip


@pytest.mark.parametrize("value", VALID_SESSION_IDS)
def test_valid_session_ids(value: str) -> None:
    assert identifiers.session_id(value) == value


@pytest.mark.parametrize("value", INVALID_SESSION_IDS)
def test_invalid_session_ids(value: str) -> None:
    assert not identifiers.is_session_id(value)


@pytest.mark.parametrize("value", VALID_NAMESPACES)
def test_valid_namespaces(value: str) -> None:
    assert identifiers.namespace(value) == value


@pytest.mark.parametrize("value", INVALID_NAMESPACES)
def test_invalid_namespaces(value: str) -> None:
    assert not identifiers.is_namespace(value)


def test_keys_of_a_session_share_one_hash_tag() -> None:
    keys = KeySpace("sessionator")
    assert keys.session("u:1") == "sessionator:{u:1}"
    assert keys.expiries("u:1") == "sessionator:{u:1}:ttl"
    assert keys.legacy_index("u:1") == "sessionator:{u:1}:index"


@pytest.mark.parametrize("sid", VALID_SESSION_IDS)
@pytest.mark.parametrize("ns", VALID_NAMESPACES)
def test_no_valid_identifier_builds_another_sessions_key(sid: str, ns: str) -> None:
    keys = KeySpace("sessionator")
    for key in (keys.session(sid), keys.expiries(sid), keys.legacy_prefix(sid) + f"doc:{ns}"):
        assert key.startswith(keys.session(sid))
        assert key.split("{", 1)[1].split("}", 1)[0] == sid
        assert keys.session_of(key) == sid
    assert keys.kind(keys.session(sid), ns) == "session"
    assert keys.kind(keys.legacy_prefix(sid) + f"doc:{ns}", ns) == "legacy"
