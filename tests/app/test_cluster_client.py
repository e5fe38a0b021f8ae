"""The lazily made cluster client, without a cluster: what other threads see meanwhile."""

from __future__ import annotations

import pytest
from redis.cluster import ClusterNode

from app.store.client import Cluster, ClusterUnavailable, Reconnect
from tests.conftest import free_port


@pytest.fixture
def unmade() -> Cluster:
    """A client whose cluster (one seed, nobody listening) did not answer when it was made."""
    return Cluster(startup_nodes=[ClusterNode("127.0.0.1", free_port())], socket_timeout=0.2)


def test_while_one_thread_makes_the_client_another_waits_or_gets_a_connection_error(
    unmade: Cluster,
) -> None:
    unmade._initializing = -1  # another thread is inside redis-py's constructor
    with pytest.raises(ClusterUnavailable):  # a ConnectionError: a 503, not a 500
        unmade.get_primaries()  # type: ignore[no-untyped-call]


def test_reconnecting_to_a_cluster_out_of_reach_raises_nothing(unmade: Cluster) -> None:
    Reconnect(unmade, every=0)()  # the guard calls it while answering a 503
