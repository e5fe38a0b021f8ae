"""Session ids and namespace names: checked here before they become keys."""

from __future__ import annotations

import re

from app.errors import InvalidNamespace, InvalidSessionId

SESSION_ID_MAX = 256
NAMESPACE_MAX = 128

_SESSION_ID = re.compile(r"[A-Za-z0-9._~:@+=-]{1,256}")
# Starts with a letter; dot-separated, non-empty segments of A-Z a-z 0-9 _ -.
_NAMESPACE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*")


def is_session_id(value: str) -> bool:
    """Whether ``value`` is a session id the contract allows."""
    return _SESSION_ID.fullmatch(value) is not None


def is_namespace(value: str) -> bool:
    """Whether ``value`` is a namespace name the contract allows."""
    return len(value) <= NAMESPACE_MAX and _NAMESPACE.fullmatch(value) is not None


def session_id(value: str) -> str:
    """Return ``value`` if it is a valid session id, else raise InvalidSessionId."""
    if not is_session_id(value):
        raise InvalidSessionId(
            f"A session id is 1 to {SESSION_ID_MAX} characters from A-Z a-z 0-9 . _ ~ : @ + = -."
        )
    return value


def namespace(value: str) -> str:
    """Return ``value`` if it is a valid namespace name, else raise InvalidNamespace."""
    if not is_namespace(value):
        raise InvalidNamespace(
            f"A namespace name is 1 to {NAMESPACE_MAX} characters: dot-separated segments "
            "of A-Z a-z 0-9 _ -, starting with a letter (like restaurants.lastVisited.v1)."
        )
    return value
