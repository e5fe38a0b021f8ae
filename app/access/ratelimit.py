"""The per-key rate limit, with its counters in the service's own Redis.

Counting is the ``limits`` library's sliding-window counter (one script call
per request; no burst of twice the rate at a window's edge, as a fixed window
allows). Its keys start with ``<KEY_PREFIX>:limits:``, apart from every
session's keys, and are named by tenant and key id (a digest prefix), never
by the key. This and the repository are the only places Redis is called.
On a Redis Cluster each counter's keys share a hash tag, so they live in one
slot, as the library's scripts need.
"""

from __future__ import annotations

import math
import time

import redis
from limits import RateLimitItem, parse
from limits.storage import RedisClusterStorage, RedisStorage, Storage
from limits.strategies import SlidingWindowCounterRateLimiter
from redis.cluster import RedisCluster

from app.access.tenants import Caller
from app.errors import RateLimited
from app.store.breaker import StoreGuard


class RateLimiter:
    """Counts each key's requests; refuses the one over its tenant's rate."""

    def __init__(
        self,
        client: redis.Redis | RedisCluster,
        default: str,
        key_prefix: str,
        guard: StoreGuard | None = None,
    ) -> None:
        self._default = default
        self._guard = guard or StoreGuard()
        self._items: dict[str, RateLimitItem] = {}
        self._strategy = SlidingWindowCounterRateLimiter(_storage(client, f"{key_prefix}:limits"))

    def hit(self, caller: Caller) -> None:
        """Count one request by ``caller``; raise RateLimited when it is one too many."""
        rate = caller.tenant.rate_limit or self._default
        if not rate or caller.key_id is None:
            return
        item = self._item(rate)
        identity = (caller.tenant.name, caller.key_id)
        with self._guard.call("rate"):
            if self._strategy.hit(item, *identity):
                return
            reset = self._strategy.get_window_stats(item, *identity).reset_time
        retry_after = max(1, math.ceil(reset - time.time()))
        raise RateLimited(caller.tenant.name, rate, retry_after)

    def _item(self, rate: str) -> RateLimitItem:
        if rate not in self._items:
            self._items[rate] = parse(rate)
        return self._items[rate]


def _storage(client: redis.Redis | RedisCluster, key_prefix: str) -> RedisStorage:
    """The library's Redis storage, on the service's own connections.

    One server, or a Sentinel-watched primary, has one connection pool to
    share; a cluster client has one per node, so the cluster storage is given
    the client itself.
    """
    if isinstance(client, RedisCluster):
        return _ClusterStorage(client, key_prefix)
    return RedisStorage(
        "redis://",  # only names the flavour: the connections are the service's own
        connection_pool=client.connection_pool,
        key_prefix=key_prefix,
        wrap_exceptions=False,
    )


class _ClusterStorage(RedisClusterStorage):
    """The library's cluster storage on our cluster client, rather than one it builds.

    Built from a URL, RedisClusterStorage would open a second client per
    worker, with redis-py's default retry (ten attempts with back-off) and
    errors that are not ``RedisError``; ours has the service's timeouts, retry
    and errors. What its constructor sets, bar that client, is set here.
    """

    def __init__(self, client: RedisCluster, key_prefix: str) -> None:
        Storage.__init__(self, wrap_exceptions=False)
        self.key_prefix = key_prefix
        self.target_server = "redis"
        self.dependency = self.dependencies["redis"].module
        self.storage = client
        self.initialize_storage("redis+cluster://")
