"""The tenants file, keys and grants, without HTTP: parsing, checking, matching, reloading."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import pytest

from app.access.tenants import (
    Grants,
    TenantsFileError,
    TenantsHolder,
    generate_key,
    key_digest,
    load_tenants,
    parse_tenants,
)
from app.config import ConfigError, load_config

KEY = "ssn_" + "k" * 43
DIGEST = "sha256:" + hashlib.sha256(KEY.encode()).hexdigest()
OTHER = "sha256:" + "0" * 64


def tenants_yaml(digests: list[str], write: str = '["team.*"]') -> str:
    keys = ", ".join(f'"{digest}"' for digest in digests)
    return f'tenants:\n  team:\n    keys: [{keys}]\n    read: ["*"]\n    write: {write}\n'


def test_a_new_key_is_random_and_its_digest_is_sha256_hex() -> None:
    key, again = generate_key(), generate_key()
    assert key != again
    assert re.fullmatch(r"ssn_[A-Za-z0-9_-]{43}", key)
    assert key_digest(key) == "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def test_the_issue_example_parses() -> None:
    document = {
        "tenants": {
            "restaurants": {
                "keys": [DIGEST],
                "read": ["*"],
                "write": ["restaurants.*"],
                "delete_sessions": False,
            }
        }
    }
    tenants = parse_tenants(document, "t.yaml")
    caller = tenants.authenticate(KEY)
    assert caller is not None
    assert caller.tenant.name == "restaurants"
    assert caller.key_id == DIGEST[7:19]
    assert (caller.tenant.delete_sessions, caller.tenant.rate_limit) == (False, None)
    assert caller.tenant.may_read("payments.card.v1")
    assert caller.tenant.may_write("restaurants.favorites.v1")
    assert not caller.tenant.may_write("payments.card.v1")


def test_unknown_and_near_keys_do_not_authenticate() -> None:
    tenants = parse_tenants({"tenants": {"team": {"keys": [DIGEST]}}}, "t.yaml")
    assert tenants.authenticate(KEY + "x") is None
    assert tenants.authenticate(KEY[:-1]) is None
    assert tenants.authenticate("") is None
    assert tenants.authenticate(DIGEST) is None  # the digest is not a key
    assert tenants.authenticate("\udcff") is None  # a lone surrogate from a header


def test_every_key_of_a_tenant_works_for_rotation() -> None:
    second = generate_key()
    tenants = parse_tenants({"tenants": {"team": {"keys": [DIGEST, key_digest(second)]}}}, "f")
    first_caller, second_caller = tenants.authenticate(KEY), tenants.authenticate(second)
    assert first_caller is not None and second_caller is not None
    assert first_caller.tenant is second_caller.tenant
    assert first_caller.key_id != second_caller.key_id


@pytest.mark.parametrize(
    ("patterns", "name", "allowed"),
    [
        (["restaurants.*"], "restaurants.favorites.v1", True),
        (["restaurants.*"], "restaurants", False),
        (["restaurants.*"], "restaurantsx.a", False),
        (["restaurants.*"], "other.restaurants.x", False),
        (["*"], "anything.at.all", True),
        (["*.v1"], "team.feature.v1", True),
        (["*.v1"], "team.feature.v2", False),
        (["team.feature.v?"], "team.feature.v2", True),
        (["team.feature.v?"], "team.feature.v10", False),
        (["a.b", "c.*"], "c.d", True),
        (["a.b", "c.*"], "a.b.c", False),
        ([], "a", False),
        (["Team.*"], "team.x", False),  # names are case-sensitive
    ],
)
def test_grants_are_globs_over_whole_names(patterns: list[str], name: str, allowed: bool) -> None:
    assert Grants(tuple(patterns)).allow(name) is allowed


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "f: must be a mapping with one key, tenants"),
        ({"tenants": {}, "extra": 1}, "f: must be a mapping with one key, tenants"),
        ({"tenants": ["a"]}, "f: tenants: must be a mapping of tenant names"),
        (
            {"tenants": {"1team": {}}},
            "f: tenants.1team: a tenant name is 1 to 64 of A-Z a-z 0-9 _ -, starting with a letter",
        ),
        (
            {"tenants": {"team": "all"}},
            "f: tenants.team: must be a mapping (keys, read, write, ...)",
        ),
        (
            {"tenants": {"team": {"writes": ["*"]}}},
            "f: tenants.team.writes: unknown setting; a tenant takes delete_sessions, keys, "
            "rate_limit, read, write",
        ),
        (
            {"tenants": {"team": {"keys": DIGEST}}},
            "f: tenants.team.keys: must be a list of strings",
        ),
        (
            {"tenants": {"team": {"keys": [KEY]}}},
            "f: tenants.team.keys[0]: must be sha256:<64 lowercase hex digits>, the line "
            "`sessionator keys create` prints (never the key itself)",
        ),
        (
            {"tenants": {"team": {"keys": [DIGEST.upper()]}}},
            "f: tenants.team.keys[0]: must be sha256:<64 lowercase hex digits>, the line "
            "`sessionator keys create` prints (never the key itself)",
        ),
        (
            {"tenants": {"team": {"read": ["team.{a,b}"]}}},
            "f: tenants.team.read[0]: a pattern is a namespace name in which * and ? stand for "
            "any characters, like restaurants.*",
        ),
        ({"tenants": {"team": {"write": [1]}}}, "f: tenants.team.write: must be a list of strings"),
        (
            {"tenants": {"team": {"delete_sessions": "yes"}}},
            "f: tenants.team.delete_sessions: must be true or false",
        ),
        (
            {"tenants": {"team": {"rate_limit": "fast"}}},
            "f: tenants.team.rate_limit: must be a rate like 50/second or 1000 per minute, "
            "not 'fast'",
        ),
        (
            {"tenants": {"a": {"keys": [DIGEST]}, "b": {"keys": [DIGEST]}}},
            f"f: tenants.b.keys: {DIGEST[:19]}… is also a key of a",
        ),
    ],
)
def test_a_bad_tenants_file_is_refused_naming_the_place(document: Any, message: str) -> None:
    with pytest.raises(TenantsFileError) as refused:
        parse_tenants(document, "f")
    assert str(refused.value) == message


def test_an_empty_tenants_list_lets_nobody_in() -> None:
    tenants = parse_tenants({"tenants": None}, "f")
    assert (tenants.names, tenants.authenticate(KEY)) == ([], None)


def test_a_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tenants.yaml"
    path.write_text("tenants: [unclosed\n")
    with pytest.raises(TenantsFileError, match=r"tenants\.yaml: not valid YAML"):
        load_tenants(path)
    with pytest.raises(TenantsFileError, match=r"missing\.yaml: cannot be read"):
        load_tenants(tmp_path / "missing.yaml")


def rewrite(path: Path, text: str) -> None:
    """Replace the file as an editor would, with a modification time that surely differs."""
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def test_the_holder_swaps_in_an_edited_file_and_keeps_the_last_good_one(tmp_path: Path) -> None:
    path = tmp_path / "tenants.yaml"
    path.write_text(tenants_yaml([DIGEST, OTHER]))
    holder = TenantsHolder(path)
    assert holder.reload_if_changed() is False  # nothing changed
    assert holder.tenants.authenticate(KEY) is not None

    rewrite(path, tenants_yaml([OTHER]))  # the key is revoked
    assert holder.reload_if_changed() is True
    assert holder.tenants.authenticate(KEY) is None

    rewrite(path, tenants_yaml([DIGEST], write="nope"))  # a broken edit
    assert holder.reload_if_changed() is False
    assert holder.tenants.authenticate(KEY) is None  # still the last good version
    assert holder.problem == (
        f"{path}: tenants.team.write: must be a list of strings "
        "(the previous version stays in force)"
    )

    path.unlink()  # a deleted file is a problem too, not "no tenants"
    assert holder.reload_if_changed() is False
    assert holder.problem is not None and "cannot be read" in holder.problem

    rewrite(path, tenants_yaml([DIGEST]))  # fixed
    assert holder.reload_if_changed() is True
    assert (holder.problem, holder.tenants.authenticate(KEY) is not None) == (None, True)


def test_a_bad_file_at_start_up_stops_the_service(tmp_path: Path) -> None:
    path = tmp_path / "tenants.yaml"
    path.write_text("tenants: {team: {keys: [plain-text-key]}}\n")
    with pytest.raises(TenantsFileError, match=r"tenants\.team\.keys\[0\]"):
        TenantsHolder(path)


def test_production_refuses_to_run_open() -> None:
    with pytest.raises(ConfigError) as refused:
        load_config({"REDIS_URL": "redis://x", "SESSIONATOR_ENV": "production"}, environ={})
    assert str(refused.value) == (
        "SESSIONATOR_ENV=production refuses to run open: set TENANTS_FILE to the tenants file "
        "(see the README's security section)."
    )
    config = load_config(
        {"REDIS_URL": "redis://x", "SESSIONATOR_ENV": "production", "TENANTS_FILE": "t.yaml"},
        environ={},
    )
    assert config.TENANTS_FILE == "t.yaml"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"SESSIONATOR_ENV": "prod"},
            "SESSIONATOR_ENV must be development or production, got 'prod'.",
        ),
        (
            {"RATE_LIMIT": "lots"},
            "RATE_LIMIT must be a rate like 50/second or 1000 per minute, not 'lots' "
            "(or empty for no limit).",
        ),
        (
            {"LOG_LEVEL": "LOUD"},
            "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, got 'LOUD'.",
        ),
        (
            {"MAX_NAMESPACES_PER_SESSION": "-1"},
            "MAX_NAMESPACES_PER_SESSION must be between 0 and 100000, got -1.",
        ),
    ],
)
def test_bad_access_settings_stop_the_service(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config({"REDIS_URL": "redis://x", **overrides}, environ={})
    assert str(refused.value) == message
