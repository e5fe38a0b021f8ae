"""Session ids, namespace names and request ids: their rules, checked here before use.

The patterns are public so the OpenAPI document states the very rules the
views check. A namespace is named like its schema, so its grammar is the
schema language's (``schema_registry.definition.SCHEMA_NAME``).
"""

from __future__ import annotations

import re

from app.errors import InvalidNamespace, InvalidSessionId
from schema_registry.definition import MAX_NAME_LENGTH, SCHEMA_NAME

SESSION_ID_MAX = 256
NAMESPACE_MAX = MAX_NAME_LENGTH

SESSION_ID_PATTERN = re.compile(r"[A-Za-z0-9._~:@+=-]{1,256}")
# Starts with a letter; dot-separated, non-empty segments of A-Z a-z 0-9 _ -.
NAMESPACE_PATTERN = SCHEMA_NAME
# An X-Request-ID the service takes as given (any other is replaced by a new one).
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def is_session_id(value: str) -> bool:
    """Whether ``value`` is a session id the contract allows."""
    return SESSION_ID_PATTERN.fullmatch(value) is not None


def is_namespace(value: str) -> bool:
    """Whether ``value`` is a namespace name the contract allows."""
    return len(value) <= NAMESPACE_MAX and NAMESPACE_PATTERN.fullmatch(value) is not None


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
