"""Building the Redis client from configuration (one connection pool per worker)."""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry


def redis_client(url: str, timeout_ms: int) -> redis.Redis:
    """A client with short timeouts, so an unreachable store fails fast.

    A connection that broke since its last use (a Redis restart) is retried
    once, immediately; a timeout is not retried, so a dead or stalled server
    costs one timeout at most per request.
    """
    timeout = timeout_ms / 1000
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        health_check_interval=30,
        client_name="sessionator",
    )
