"""Sending one request: on the pooled ``httpx.Client``, retried by the policy when allowed."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from sessionator_client.errors import ConnectionFailed, SessionatorError, error_from
from sessionator_client.retry import NEVER, Retry

log = logging.getLogger("sessionator_client")

Params = Sequence[tuple[str, str]]


def path_of(*segments: str) -> str:
    """``/v1/sessions/<session>/<namespace>``, each segment percent-encoded whole.

    A ``/`` inside an identifier stays inside its segment (as ``%2F``), so the
    service refuses it as invalid instead of reading it as another path.
    """
    return "/v1/" + "/".join(quote(segment, safe="") for segment in segments)


def json_body(value: Any) -> bytes:
    """Compact UTF-8 JSON; NaN and infinities are refused here, as the service would."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


class Transport:
    """Sends requests and turns error answers into exceptions, retrying where it is safe."""

    def __init__(
        self,
        http: httpx.Client,
        retry: Retry,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.retry = retry
        self.sleep = sleep

    def send(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Params = (),
        repeatable: bool = False,
        repeat_status: int | None = None,
    ) -> httpx.Response:
        """The answer to one request (a 2xx or 304), or its error raised.

        ``repeatable`` says whether the request is safe to send again; only then
        does the retry policy apply. ``repeat_status`` is what a repeat of the
        request gets once the first was applied (412 for a conditional write,
        404 for a delete): a retry answered so after a try whose outcome is
        unknown (no answer, or a 503) cannot say whether the request took
        effect, so that try's error is raised, not a refusal of a request that
        may well have succeeded.
        """
        policy = self.retry if repeatable else NEVER
        started = time.monotonic()
        unknown: SessionatorError | None = None  # the last try that may have been applied
        for attempt in range(1, policy.attempts + 1):
            try:
                return self._send_once(method, path, body, headers, params)
            except SessionatorError as failure:
                if (
                    unknown is not None
                    and repeat_status is not None
                    and failure.status == repeat_status
                ):
                    unknown.add_note(
                        f"A retry was answered {failure}: the request may have taken effect."
                    )
                    raise unknown from failure
                wait = policy.delay(failure, attempt, time.monotonic() - started)
                if wait is None:
                    raise
                if failure.status != 429:  # a 429 is refused before anything is done
                    unknown = failure
                _log_retry(method, path, failure, attempt, wait)
                self.sleep(wait)
        raise AssertionError("unreachable: the last attempt raises or returns")

    def _send_once(
        self,
        method: str,
        path: str,
        body: bytes | None,
        headers: Mapping[str, str] | None,
        params: Params,
    ) -> httpx.Response:
        try:
            response = self.http.request(
                method, path, content=body, headers=headers, params=list(params)
            )
        except httpx.TransportError as error:
            raise ConnectionFailed(f"{method} {path}: {type(error).__name__}: {error}") from error
        if response.status_code >= 400:
            raise error_from(response)
        return response


def _log_retry(
    method: str, path: str, failure: SessionatorError, attempt: int, wait: float
) -> None:
    """One line per retry: what failed, and how long the client waits."""
    log.info(
        "%s %s: %s; retrying in %.3f s (attempt %d)",
        method,
        path,
        failure,
        wait,
        attempt + 1,
        extra={"status": failure.status, "code": failure.code, "wait": wait, "attempt": attempt},
    )
