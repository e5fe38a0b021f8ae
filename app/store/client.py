"""Building the Redis client from configuration (one connection pool per worker).

``REDIS_URL`` chooses the topology; the repository and the rate limiter run
the same code on each:

- ``redis://``, ``rediss://``, ``unix://``: one server.
- ``redis+cluster://[[user]:password@]host:port[,host:port...]``: a Redis
  Cluster, discovered from any of the seed nodes. Every key of a session
  carries the session's hash tag (see keys.py), so each script a request runs
  touches one slot, served by one primary.
- ``redis+sentinel://[[user]:password@]host:port[,host:port...]/service[?db=N]``:
  the primary the Sentinels name for ``service``, asked again on every new
  connection and twice a second, so a failover is followed without a
  restart. The URL's credentials go to the Sentinels and to the data servers
  alike, as in the ``limits`` library whose schemes these are.

With ``WRITE_REPLICAS``, the repository reports how many replicas
acknowledged each write (``app.api.http.report_replicas`` puts that on the
response). See docs/scale-out.md.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeAlias
from urllib.parse import parse_qs, unquote, urlsplit

import redis
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode, ClusterPipeline, RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelConnectionPool

CLUSTER_SCHEME = "redis+cluster"
SENTINEL_SCHEME = "redis+sentinel"

StoreClient: TypeAlias = redis.Redis | RedisCluster
"""What the repository and the rate limiter are given: one server's client, or a cluster's."""

# How often each worker asks the Sentinels which server is the primary (see FollowingPool).
PRIMARY_CHECK_SECONDS = 0.5
# How often a cluster client that could not reach any node tries again (see Cluster).
RECONNECT_SECONDS = 0.5


class ClusterUnavailable(RedisConnectionError):
    """The cluster client could not reach the cluster, or not every slot has a primary."""


@contextmanager
def _cluster_failures_as_connection_errors() -> Iterator[None]:
    """Re-raise redis-py's cluster-level failures as the ConnectionError they amount to.

    When no node answers, or the slot map it reads back leaves slots without a
    primary, redis-py's cluster client raises ``RedisClusterException``, which
    is not a ``RedisError``; on one server the same outage is a
    ``ConnectionError``. The repository never sends a command whose keys span
    slots (every key of a session shares its hash tag), so that class only
    ever means "the cluster is out of reach" here.
    """
    try:
        yield
    except RedisClusterException as error:
        raise ClusterUnavailable(str(error)) from error


_OWN_ATTRIBUTES = frozenset(
    ("_options", "_connecting", "_next_attempt", "_connected", "_initializing")
)


class Cluster(RedisCluster):
    """redis-py's cluster client, failing as a one-server client does (see ClusterUnavailable),
    and made even when no node answers yet.

    redis-py reads the slot map when the client is made, and raises if no
    seed node answers. A worker that cannot make its client cannot boot, and
    gunicorn stops when a worker fails to boot, so a cluster that is down
    while the service starts would keep it down after the cluster is back.
    This client finishes being made on first use instead: until the cluster
    answers, each use (at most one attempt per ``RECONNECT_SECONDS``) raises
    ClusterUnavailable, which the service answers as 503, and the first use
    after the cluster is back reads the slot map and serves.
    """

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._connecting = threading.RLock()
        self._next_attempt = 0.0
        self._connected = False
        self._initializing: int | None = None  # the thread running redis-py's constructor
        with contextlib.suppress(ClusterUnavailable):
            self._connect()

    def _connect(self) -> None:
        """Finish making the client (read the slot map), unless tried too recently."""
        with self._connecting:
            if self._connected:
                return
            now = time.monotonic()
            if now < self._next_attempt:
                raise ClusterUnavailable("No cluster node answered yet; retrying shortly.")
            self._next_attempt = now + RECONNECT_SECONDS
            self._initializing = threading.get_ident()
            try:
                with _cluster_failures_as_connection_errors():
                    super().__init__(**self._options)
            finally:
                self._initializing = None
            self._connected = True

    def __getattr__(self, name: str) -> Any:
        """Called only for attributes not made yet: make the client first (see the class)."""
        # While this thread runs redis-py's constructor, it asks what it has set so far; other
        # threads wait in _connect for the client to be made (or raise ClusterUnavailable).
        making = self.__dict__.get("_initializing", threading.get_ident())
        if making == threading.get_ident() or name in _OWN_ATTRIBUTES:
            raise AttributeError(name)
        self._connect()
        return object.__getattribute__(self, name)

    def close(self) -> None:
        """Close every node's connections; nothing to close before the client is made."""
        if self._connected:
            super().close()

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        """Run one command on the node that serves its keys."""
        with _cluster_failures_as_connection_errors():
            return super().execute_command(*args, **kwargs)  # type: ignore[no-untyped-call]

    def get_node_from_key(self, key: str, replica: bool = False) -> Any:
        """The node that serves ``key``'s slot (its primary, unless ``replica``)."""
        with _cluster_failures_as_connection_errors():
            return super().get_node_from_key(key, replica)  # type: ignore[no-untyped-call]

    def pipeline(self, transaction: Any = None, shard_hint: Any = None) -> ClusterPipeline:
        """A pipeline whose ``execute`` fails as this client's commands do."""
        pipe: ClusterPipeline = super().pipeline(transaction, shard_hint)  # type: ignore[no-untyped-call]
        # The same object with execute() wrapped: building one ourselves would copy
        # redis-py's list of constructor arguments, which changes between versions.
        pipe.__class__ = _ClusterPipeline
        return pipe


class _ClusterPipeline(ClusterPipeline):
    def execute(self, raise_on_error: bool = True) -> list[Any]:
        with _cluster_failures_as_connection_errors():
            return super().execute(raise_on_error)


@dataclass(frozen=True)
class Seeds:
    """What a ``redis+cluster://`` or ``redis+sentinel://`` URL names."""

    scheme: str
    nodes: tuple[tuple[str, int], ...]
    username: str | None = None
    password: str | None = None
    service: str = ""  # Sentinel only: the monitored primary's name
    db: int = 0  # Sentinel only


def parse_seeds(url: str) -> Seeds:
    """Read a cluster or sentinel URL; a ValueError says what is wrong, as a sentence's end."""
    parts = urlsplit(url)
    hosts = parts.netloc.rpartition("@")[2]
    nodes = tuple(_host_port(location) for location in hosts.split(",") if location.strip())
    if not nodes:
        raise ValueError(f"names no host:port to start from, as in {parts.scheme}://host:port")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    query = parse_qs(parts.query, keep_blank_values=True)
    if parts.scheme == CLUSTER_SCHEME:
        if parts.path.strip("/") or query:
            raise ValueError("takes no path or query with redis+cluster:// (a cluster has one db)")
        return Seeds(parts.scheme, nodes, username, password)
    service = parts.path.strip("/")
    if not service or "/" in service:
        raise ValueError(
            "must name the Sentinel service after the hosts, as in "
            "redis+sentinel://host:port/mymaster"
        )
    if set(query) - {"db"}:
        raise ValueError(f"takes only ?db= with redis+sentinel://, got {sorted(query)}")
    return Seeds(parts.scheme, nodes, username, password, unquote(service), _db(query))


def _host_port(location: str) -> tuple[str, int]:
    host, _, port = location.strip().rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"has {location.strip()!r} where a host:port was expected")
    return host.strip("[]"), int(port)


def _db(query: dict[str, list[str]]) -> int:
    raw = query.get("db", ["0"])[-1]
    if not raw.isdigit():
        raise ValueError(f"has ?db={raw!r}; it must be a database number")
    return int(raw)


def redis_client(url: str, timeout_ms: int) -> StoreClient:
    """A client with short timeouts, so an unreachable store fails fast.

    A connection that broke since its last use (a Redis restart, or a
    primary that a failover demoted) is retried once, immediately; a timeout
    is not retried, so a dead or stalled server costs one timeout at most
    per request. A cluster client reads the slot map from a seed node here,
    so one must answer when a worker starts.
    """
    options = _connection_options(timeout_ms / 1000)
    scheme = urlsplit(url).scheme
    if scheme == CLUSTER_SCHEME:
        return _cluster_client(parse_seeds(url), options)
    if scheme == SENTINEL_SCHEME:
        return _sentinel_client(parse_seeds(url), options)
    return redis.Redis.from_url(url, retry=_retry(), **options)


def _retry() -> Retry:
    return Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))


def _connection_options(timeout: float) -> dict[str, Any]:
    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "health_check_interval": 30,
        "client_name": "sessionator",
    }


def _cluster_client(seeds: Seeds, options: dict[str, Any]) -> Cluster:
    """A cluster client; its own retry re-reads the slot map after a node fails."""
    return Cluster(
        startup_nodes=[ClusterNode(host, port) for host, port in seeds.nodes],  # type: ignore[no-untyped-call]
        username=seeds.username,
        password=seeds.password,
        retry=_retry(),
        **options,
    )


class FollowingPool(SentinelConnectionPool):
    """A Sentinel connection pool that also asks, twice a second, which server is the primary.

    redis-py asks the Sentinels only when it opens a connection. After a
    failover that an operator asked for, the old primary stays up and
    writable until Sentinel turns it into a replica, seconds later; open
    connections keep writing to it, and what they write there is lost when
    it resyncs from the new primary. Asking again every
    ``PRIMARY_CHECK_SECONDS`` (one request per worker pays one Sentinel round
    trip) bounds that window: once the answer changes, idle connections are
    closed and busy ones are closed when released, so the next command
    reconnects to the new primary. If no Sentinel answers, the primary we
    know is kept.
    """

    def __init__(self, service_name: str, sentinel_manager: Sentinel, **kwargs: Any) -> None:
        super().__init__(service_name, sentinel_manager, **kwargs)  # type: ignore[no-untyped-call]
        self._next_check = 0.0
        self._checking = threading.Lock()

    def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        """A connection to the primary, after asking the Sentinels if it is time to."""
        self._follow_primary()
        return super().get_connection(*args, **kwargs)

    def _follow_primary(self) -> None:
        now = time.monotonic()
        if now < self._next_check or not self._checking.acquire(blocking=False):
            return  # another thread is asking
        try:
            self._next_check = now + PRIMARY_CHECK_SECONDS
            self.get_master_address()  # type: ignore[no-untyped-call]
        except (RedisConnectionError, redis.TimeoutError):
            pass  # no Sentinel answers: keep the primary we know
        finally:
            self._checking.release()


def _sentinel_client(seeds: Seeds, options: dict[str, Any]) -> redis.Redis:
    """The service's primary, looked up from the Sentinels whenever a connection opens."""
    sentinel_options = {
        "socket_timeout": options["socket_timeout"],
        "socket_connect_timeout": options["socket_connect_timeout"],
        "retry": Retry(NoBackoff(), 0),  # the next Sentinel is the retry
        "username": seeds.username,
        "password": seeds.password,
    }
    sentinel = Sentinel(list(seeds.nodes), sentinel_kwargs=sentinel_options)
    primary: redis.Redis = sentinel.master_for(
        seeds.service,
        connection_pool_class=FollowingPool,
        db=seeds.db,
        retry=_retry(),
        username=seeds.username,
        password=seeds.password,
        **options,
    )
    return primary


class Reconnect:
    """Drops the client's connections so the next commands open new ones, at most twice a second.

    Called when Redis answers READONLY: the server at the end of those
    connections is a replica now (a failover demoted it). New connections
    look the primary up again (DNS, Sentinel), and a cluster client re-reads
    its slot map, so the service follows the failover without a restart.
    """

    def __init__(self, client: StoreClient, every: float = 0.5) -> None:
        self._client = client
        self._every = every
        self._next = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> None:
        """Reconnect, unless it was done less than ``every`` seconds ago."""
        now = time.monotonic()
        if now < self._next or not self._lock.acquire(blocking=False):
            return
        try:
            self._next = now + self._every
            if isinstance(self._client, RedisCluster):
                with _cluster_failures_as_connection_errors():
                    self._client.nodes_manager.initialize()
            else:
                self._client.connection_pool.disconnect()
        except redis.RedisError:
            pass  # the next command tries again
        finally:
            self._lock.release()
