"""The repository's contract, run against the real server and against fakeredis.

fakeredis only makes the contract fast to run; the same tests on the real
server are what prove MULTI/EXEC and the Lua script behave.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import fakeredis
import pytest
import redis

from app.errors import StoreUnavailable, WriteConflict
from app.store.client import redis_client
from app.store.keys import KeySpace
from app.store.preconditions import Preconditions
from app.store.repository import SessionRepository, WriteOutcome


@pytest.fixture(params=["valkey", "fakeredis"])
def repository(request: pytest.FixtureRequest) -> Iterator[SessionRepository]:
    if request.param == "valkey":
        client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    else:
        client = fakeredis.FakeRedis()
    yield SessionRepository(client, KeySpace("t"))
    client.close()


def list_namespaces(repository: SessionRepository, sid: str) -> list[str]:
    """The session's names, as every read of the service gets them."""
    return repository.read_with_expiry(sid, [])[0]


def read_namespaces(
    repository: SessionRepository, sid: str, namespaces: list[str]
) -> tuple[list[str], dict[str, bytes]]:
    """The session's names and the documents asked for, without their expiry."""
    names, found = repository.read_with_expiry(sid, namespaces)
    return names, {ns: document for ns, (document, _) in found.items()}


def test_unknown_session_has_no_namespaces(repository: SessionRepository) -> None:
    assert list_namespaces(repository, "s") == []
    assert read_namespaces(repository, "s", ["a"]) == ([], {})
    assert repository.get_namespace("s", "a") is None


def test_put_then_read_back(repository: SessionRepository) -> None:
    repository.put_namespace("s", "b", b'{"v":2}')
    repository.put_namespace("s", "a", b'{"v":1}')
    assert list_namespaces(repository, "s") == ["a", "b"]
    assert repository.get_namespace("s", "a") == b'{"v":1}'
    assert read_namespaces(repository, "s", ["b", "x"]) == (["a", "b"], {"b": b'{"v":2}'})


def test_put_replaces(repository: SessionRepository) -> None:
    repository.put_namespace("s", "a", b"1")
    repository.put_namespace("s", "a", b"2")
    assert repository.get_namespace("s", "a") == b"2"
    assert list_namespaces(repository, "s") == ["a"]


def test_put_can_be_composed_into_a_callers_transaction(repository: SessionRepository) -> None:
    client = repository._client
    with client.pipeline(transaction=True) as pipe:
        repository.put_namespace("s", "a", b"1", pipeline=pipe)
        repository.put_namespace("s", "b", b"2", pipeline=pipe)
        assert list_namespaces(repository, "s") == []
        pipe.execute()
    assert list_namespaces(repository, "s") == ["a", "b"]


def test_delete_namespace_reports_whether_it_existed(repository: SessionRepository) -> None:
    repository.put_namespace("s", "a", b"1")
    assert repository.delete_namespace("s", "a") is True
    assert repository.delete_namespace("s", "a") is False
    assert list_namespaces(repository, "s") == []


def test_delete_session_removes_all_and_counts(repository: SessionRepository) -> None:
    for ns in ("a", "b", "c"):
        repository.put_namespace("s", ns, b"1")
    repository.put_namespace("other", "a", b"kept")
    assert repository.delete_session("s") == 3
    assert repository.delete_session("s") == 0
    assert read_namespaces(repository, "s", ["a", "b", "c"]) == ([], {})
    assert repository.get_namespace("other", "a") == b"kept"


def test_keys_share_the_session_hash_tag(repository: SessionRepository) -> None:
    repository.put_namespace("user:1", "team.f.v1", b"1")
    keys = sorted(k.decode() for k in repository._client.keys("*"))
    assert keys == ["t:{user:1}:doc:team.f.v1", "t:{user:1}:index"]


def test_store_failures_become_store_unavailable() -> None:
    dead = redis_client("unix:///nonexistent/sessionator-test.sock", timeout_ms=250)
    repository = SessionRepository(dead, KeySpace())
    calls = [
        lambda: repository.ping(),
        lambda: list_namespaces(repository, "s"),
        lambda: repository.get_namespace("s", "a"),
        lambda: repository.put_namespace("s", "a", b"1"),
        lambda: repository.delete_namespace("s", "a"),
        lambda: repository.delete_session("s"),
        lambda: read_namespaces(repository, "s", ["a"]),
        lambda: repository.write_if("s", "a", Preconditions(if_match="*")),
    ]
    for call in calls:
        with pytest.raises(StoreUnavailable):
            call()


@pytest.fixture
def real_repository(redis_url: str) -> Iterator[SessionRepository]:
    """On the real server only: fakeredis's Lua has no redis.sha1hex."""
    client = redis.Redis.from_url(redis_url)
    yield SessionRepository(client, KeySpace("t"))
    client.close()


def test_conditional_writes_check_the_stored_documents_sha1(
    real_repository: SessionRepository,
) -> None:
    repository = real_repository
    create_only = Preconditions(if_none_match="*")
    assert repository.write_if("s", "a", create_only, b"1") is WriteOutcome.DONE
    assert repository.write_if("s", "a", create_only, b"2") is WriteOutcome.PRECONDITION_FAILED
    current = hashlib.sha1(b"1").hexdigest()
    stale = Preconditions(if_match="list", match_tags=("0" * 40,))
    fresh = Preconditions(if_match="list", match_tags=("0" * 40, current))
    assert repository.write_if("s", "a", stale, b"3") is WriteOutcome.PRECONDITION_FAILED
    assert repository.write_if("s", "a", fresh, b"3") is WriteOutcome.DONE
    assert repository.get_namespace("s", "a") == b"3"
    assert repository.write_if("s", "a", Preconditions(if_match="*")) is WriteOutcome.DONE
    assert read_namespaces(repository, "s", ["a"]) == ([], {})
    assert repository.write_if("s", "a", Preconditions(if_match="*")) is (
        WriteOutcome.PRECONDITION_FAILED
    )
    assert repository.write_if("s", "a", Preconditions(if_none_match="list")) is (
        WriteOutcome.NOTHING_TO_DELETE
    )


def test_update_retries_on_a_concurrent_write_and_applies_to_the_new_document(
    real_repository: SessionRepository,
) -> None:
    repository = real_repository
    repository.put_namespace("s", "a", b"1")
    seen: list[bytes | None] = []

    def update(current: bytes | None) -> bytes:
        seen.append(current)
        if len(seen) == 1:  # another writer lands between our read and our write
            repository.put_namespace("s", "a", b"2")
        return (current or b"") + b"+"

    assert repository.update_namespace("s", "a", update) == (b"2+", None)
    assert seen == [b"1", b"2"]
    assert repository.get_namespace("s", "a") == b"2+"
    assert list_namespaces(repository, "s") == ["a"]


def test_update_gives_up_after_its_attempts(real_repository: SessionRepository) -> None:
    repository = real_repository
    repository.put_namespace("s", "a", b"0")
    calls = 0

    def always_overtaken(current: bytes | None) -> bytes:
        nonlocal calls
        calls += 1
        repository.put_namespace("s", "a", str(calls).encode())
        return b"mine"

    with pytest.raises(WriteConflict):
        repository.update_namespace("s", "a", always_overtaken, attempts=5)
    assert calls == 5
    assert repository.get_namespace("s", "a") == b"5"


def test_an_update_that_refuses_writes_nothing(real_repository: SessionRepository) -> None:
    repository = real_repository
    repository.put_namespace("s", "a", b"1")

    def refuse(current: bytes | None) -> bytes:
        raise StoreUnavailable("refused")

    with pytest.raises(StoreUnavailable):
        repository.update_namespace("s", "a", refuse)
    assert repository.get_namespace("s", "a") == b"1"
