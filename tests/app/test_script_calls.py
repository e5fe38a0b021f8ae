"""A script call behaves as redis-py's own ``execute_command`` on the service's client.

``app.store.scripts.execute`` sends on a pooled connection itself, to spare
redis-py's per-call layers; these hold it to the client's promises on a real
Valkey: a connection broken since its last use is retried once at once, a
timeout is not retried, an error Redis answers leaves the connection usable,
and NOSCRIPT loads the script again.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis

from app.store.client import redis_client
from app.store.scripts import Script, execute
from tests.faults import LoadingProxy, faulty_server

ECHO = Script("return ARGV[1]")


@pytest.fixture
def client(redis_url: str) -> redis.Redis:
    return redis_client(redis_url, 2000)  # type: ignore[return-value]


def test_a_connection_broken_since_its_last_use_is_retried_once_and_serves(
    client: redis.Redis, store: redis.Redis
) -> None:
    assert ECHO(client, [], ["first"]) == b"first"
    before = client.client_id()  # the pool's one connection
    store.client_kill_filter(_id=before)  # as a restart or a failover would

    assert ECHO(client, [], ["after"]) == b"after"
    assert client.client_id() != before
    assert len(client.connection_pool._available_connections) == 1


def test_an_error_redis_answers_is_raised_and_the_connection_kept(
    client: redis.Redis, store: redis.Redis
) -> None:
    store.set("text", "not a hash")
    failing = Script("return redis.call('HGET', KEYS[1], 'x')")
    assert ECHO(client, [], ["x"]) == b"x"
    before = client.client_id()

    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        failing(client, ["text"], [])

    assert ECHO(client, [], ["y"]) == b"y"
    assert client.client_id() == before


def test_a_script_redis_forgot_is_loaded_again(client: redis.Redis, store: redis.Redis) -> None:
    assert ECHO(client, [], ["a"]) == b"a"
    store.script_flush()

    assert ECHO(client, [], ["b"]) == b"b"
    assert store.script_exists(ECHO.sha) == [True]


def test_a_timeout_is_not_retried(redis_url: str, store: redis.Redis) -> None:
    client = redis_client(redis_url, 200)
    slow = Script("local t = redis.call('TIME') return ARGV[1]")
    assert slow(client, [], ["warm"]) == b"warm"
    store.client_pause(600)  # every client's commands wait 600 ms: past the 200 ms timeout
    started = time.monotonic()
    with pytest.raises(redis.TimeoutError):
        execute(client, ("EVALSHA", slow.sha, 0, "late"))
    waited = time.monotonic() - started
    assert 0.2 <= waited < 0.4, waited  # one timeout, not two
    time.sleep(0.7)
    assert slow(client, [], ["again"]) == b"again"  # the pool made a new connection


def test_a_connection_that_breaks_under_a_command_is_retried_once_on_a_new_one(
    tmp_path: Path,
) -> None:
    server = faulty_server(tmp_path)
    proxy = LoadingProxy(server.port)
    try:
        client = redis_client(f"redis://127.0.0.1:{proxy.port}", 2000)
        assert ECHO(client, [], ["first"]) == b"first"
        proxy.hang_up.set()  # the pooled connection looks sound until the command is sent

        assert ECHO(client, [], ["second"]) == b"second"
        assert not proxy.hang_up.is_set()  # the first try met the hang-up
        client.close()
    finally:
        proxy.close()
        server.stop()
