"""A small HTTP client for tests against a real server: raw paths, chunked bodies."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Reply:
    """One HTTP response, read whole."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


class HttpClient:
    """Sends each request on a new connection, with the path exactly as given."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        body: bytes | Iterable[bytes] | None = None,
        headers: dict[str, str] | None = None,
        chunked: bool = False,
    ) -> Reply:
        """Send one request; ``chunked`` sends an iterable body with chunked encoding."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
            response = conn.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            conn.close()

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        """GET ``path``."""
        return self.request("GET", path, headers=headers)

    def put_json(self, path: str, document: Any) -> Reply:
        """PUT ``document`` as application/json."""
        body = json.dumps(document).encode()
        return self.request("PUT", path, body, {"Content-Type": "application/json"})

    def delete(self, path: str) -> Reply:
        """DELETE ``path``."""
        return self.request("DELETE", path)
