"""Tenants, their API keys and their grants, read from the tenants file.

The file (path in ``TENANTS_FILE``) lists each tenant with the SHA-256
digests of its keys (never the keys) and glob patterns over namespace names::

    tenants:
      restaurants:
        keys: ["sha256:<hex digest of the key>"]
        read: ["*"]                 # glob patterns over namespace names
        write: ["restaurants.*"]
        delete_sessions: false      # may DELETE a whole session
        rate_limit: 50/second       # optional: overrides RATE_LIMIT for its keys

A key is 32 random bytes, URL-safe base64 with a ``ssn_`` prefix (see
``generate_key``). Authentication hashes the presented key once and compares
the digest with every digest in the file with ``hmac.compare_digest``, never
stopping early, so the time taken says nothing about which digest was close.

This module knows nothing of Flask or Redis; ``TenantsHolder`` reloads the
file when it changes, keeping the last good version if an edit breaks it.
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from limits import parse as parse_rate
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

log = logging.getLogger(__name__)

KEY_PREFIX = "ssn_"
DIGEST_PREFIX = "sha256:"
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_TENANT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_PATTERN = re.compile(r"[A-Za-z0-9._*?-]{1,128}")
_TENANT_KEYS = {"keys", "read", "write", "delete_sessions", "rate_limit"}


class TenantsFileError(Exception):
    """The tenants file cannot be read or breaks the format; the message says where."""


def generate_key() -> str:
    """A new API key: 256 random bits, URL-safe, recognisable by its prefix."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_digest(key: str) -> str:
    """The ``sha256:<hex>`` line the tenants file stores for ``key``."""
    return DIGEST_PREFIX + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Grants:
    """Glob patterns over namespace names (``*`` matches any characters, dots too)."""

    patterns: tuple[str, ...] = ()
    _match: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        alternatives = "|".join(fnmatch.translate(pattern) for pattern in self.patterns)
        object.__setattr__(self, "_match", re.compile(alternatives or r"(?!)"))

    def allow(self, namespace: str) -> bool:
        """Whether one of the patterns matches the whole name."""
        return self._match.match(namespace) is not None

    def __bool__(self) -> bool:
        return bool(self.patterns)


@dataclass(frozen=True)
class Tenant:
    """One team using the service, and what its keys may do."""

    name: str
    read: Grants = Grants()
    write: Grants = Grants()
    delete_sessions: bool = False
    rate_limit: str | None = None

    def may_read(self, namespace: str) -> bool:
        return self.read.allow(namespace)

    def may_write(self, namespace: str) -> bool:
        return self.write.allow(namespace)


# The service with no tenants file: anyone may do anything (development only).
OPEN = Tenant("open", Grants(("*",)), Grants(("*",)), delete_sessions=True)


@dataclass(frozen=True)
class Caller:
    """Who sent a request: the tenant, and which of its keys (by digest prefix, for logs)."""

    tenant: Tenant
    key_id: str | None = None  # the first 12 hex digits of the key's digest; never the key


@dataclass(frozen=True)
class Tenants:
    """One version of the tenants file: digests to tenants."""

    by_digest: Mapping[str, Tenant]

    def authenticate(self, key: str) -> Caller | None:
        """The caller holding ``key``, or None; compares against every digest, in constant time."""
        presented = key_digest(key).encode()
        found: Tenant | None = None
        for digest, tenant in self.by_digest.items():
            if hmac.compare_digest(presented, digest.encode()):
                found = tenant
        if found is None:
            return None
        return Caller(found, presented[len(DIGEST_PREFIX) : len(DIGEST_PREFIX) + 12].decode())

    @property
    def names(self) -> list[str]:
        return sorted({tenant.name for tenant in self.by_digest.values()})


def load_tenants(path: Path) -> Tenants:
    """Read and check the tenants file, or raise TenantsFileError saying what and where."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TenantsFileError(f"{path}: cannot be read: {error}") from None
    try:
        document = YAML(typ="safe").load(text)
    except YAMLError as error:
        raise TenantsFileError(f"{path}: not valid YAML: {error}") from None
    return parse_tenants(document, str(path))


def parse_tenants(document: Any, source: str) -> Tenants:
    """Check a parsed tenants file; raise TenantsFileError naming the first problem's place."""
    if not isinstance(document, dict) or set(document) != {"tenants"}:
        raise TenantsFileError(f"{source}: must be a mapping with one key, tenants")
    tenants = document["tenants"] or {}
    if not isinstance(tenants, dict):
        raise TenantsFileError(f"{source}: tenants: must be a mapping of tenant names")
    by_digest: dict[str, Tenant] = {}
    for name, body in tenants.items():
        place = f"{source}: tenants.{name}"
        tenant, digests = _parse_tenant(name, body, place)
        for digest in digests:
            if digest in by_digest:
                owner = by_digest[digest].name
                raise TenantsFileError(f"{place}.keys: {digest[:19]}… is also a key of {owner}")
            by_digest[digest] = tenant
    return Tenants(by_digest)


def _parse_tenant(name: Any, body: Any, place: str) -> tuple[Tenant, list[str]]:
    if not isinstance(name, str) or not _TENANT_NAME.fullmatch(name):
        raise TenantsFileError(
            f"{place}: a tenant name is 1 to 64 of A-Z a-z 0-9 _ -, starting with a letter"
        )
    if not isinstance(body, dict):
        raise TenantsFileError(f"{place}: must be a mapping (keys, read, write, ...)")
    unknown = sorted(str(key) for key in set(body) - _TENANT_KEYS)
    if unknown:
        takes = ", ".join(sorted(_TENANT_KEYS))
        raise TenantsFileError(f"{place}.{unknown[0]}: unknown setting; a tenant takes {takes}")
    digests = _strings(body.get("keys", []), f"{place}.keys")
    for index, digest in enumerate(digests):
        if not _DIGEST.fullmatch(digest):
            raise TenantsFileError(
                f"{place}.keys[{index}]: must be sha256:<64 lowercase hex digits>, the line "
                "`sessionator keys create` prints (never the key itself)"
            )
    grants = {}
    for kind in ("read", "write"):
        patterns = _strings(body.get(kind, []), f"{place}.{kind}")
        for index, pattern in enumerate(patterns):
            if not _PATTERN.fullmatch(pattern):
                raise TenantsFileError(
                    f"{place}.{kind}[{index}]: a pattern is a namespace name in which * and ? "
                    "stand for any characters, like restaurants.*"
                )
        grants[kind] = Grants(tuple(patterns))
    delete_sessions = body.get("delete_sessions", False)
    if not isinstance(delete_sessions, bool):
        raise TenantsFileError(f"{place}.delete_sessions: must be true or false")
    rate_limit = body.get("rate_limit")
    if rate_limit is not None:
        rate_limit = _rate_limit(rate_limit, f"{place}.rate_limit")
    tenant = Tenant(name, grants["read"], grants["write"], delete_sessions, rate_limit)
    return tenant, digests


def _strings(value: Any, place: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TenantsFileError(f"{place}: must be a list of strings")
    return value


def _rate_limit(value: Any, place: str) -> str:
    """A rate like ``50/second`` or ``1000 per minute``, checked by the limits library."""
    problem = rate_limit_problem(value)
    if problem:
        raise TenantsFileError(f"{place}: {problem}")
    return str(value)


def rate_limit_problem(value: Any) -> str | None:
    """Why ``value`` is not a rate limit, or None when it is one."""
    if isinstance(value, str):
        try:
            parse_rate(value)
            return None
        except ValueError:
            pass
    return f"must be a rate like 50/second or 1000 per minute, not {str(value)[:60]!r}"


def fingerprint(path: Path) -> tuple[int, int, int] | None:
    """What changes when the file is edited or replaced: inode, size, modification time."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_ino, status.st_size, status.st_mtime_ns)


class TenantsHolder:
    """The tenants in force; reloaded whole when the file changes, never changed in place.

    A file that breaks on reload (or disappears) keeps the last good version
    in force, logs the problem, and reports it in ``problem`` until fixed.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fingerprint = fingerprint(path)
        self.tenants = load_tenants(path)  # raises: the service does not start on a bad file
        self.problem: str | None = None
        log.info("Tenants in force: %s", ", ".join(self.tenants.names) or "none")

    def reload_if_changed(self) -> bool:
        """Load the file again if it changed; whether a new version is in force."""
        current = fingerprint(self.path)
        if current == self._fingerprint:
            return False
        self._fingerprint = current
        try:
            self.tenants = load_tenants(self.path)
        except TenantsFileError as error:
            self.problem = f"{error} (the previous version stays in force)"
            log.error("Tenants file problem: %s", self.problem)
            return False
        self.problem = None
        log.info("Tenants reloaded: %s", ", ".join(self.tenants.names) or "none")
        return True
