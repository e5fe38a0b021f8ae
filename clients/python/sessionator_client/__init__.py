"""The official Python client of Sessionator: typed methods, pooled connections, safe retries.

>>> from sessionator_client import Client
>>> with Client("http://localhost:8000", api_key="...") as sessions:
...     sessions.put("user-1337", "favoriteThings", {"things": ["cats"]})
"""

from sessionator_client.client import Client
from sessionator_client.errors import (
    BadRequest,
    Conflict,
    ConnectionFailed,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    RateLimited,
    ServerError,
    ServiceUnavailable,
    SessionatorError,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)
from sessionator_client.models import Document, SchemaDetail, SchemaSummary
from sessionator_client.retry import Retry

__all__ = [
    "BadRequest",
    "Client",
    "Conflict",
    "ConnectionFailed",
    "Document",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "PreconditionFailed",
    "RateLimited",
    "Retry",
    "SchemaDetail",
    "SchemaSummary",
    "ServerError",
    "ServiceUnavailable",
    "SessionatorError",
    "Unauthorized",
    "UnsupportedMediaType",
    "ValidationFailed",
]
