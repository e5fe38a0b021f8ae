"""The repository's contract, run against the real server and against fakeredis.

fakeredis only makes the contract fast to run; the same tests on the real
server are what prove the Lua scripts behave. Documents are built the way
the service writes them (``documents.stamp``), and keys come from KeySpace.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import fakeredis
import pytest
import redis

from app.documents import compact, stamp
from app.errors import StoreUnavailable, WriteConflict
from app.store.client import redis_client
from app.store.keys import KeySpace
from app.store.preconditions import Preconditions, etag_of
from app.store.repository import SessionRepository, Stored, WriteOutcome

KEYS = KeySpace("t")


@pytest.fixture(params=["valkey", "fakeredis"])
def repository(request: pytest.FixtureRequest) -> Iterator[SessionRepository]:
    if request.param == "valkey":
        client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    else:
        client = fakeredis.FakeRedis()
    yield SessionRepository(client, KEYS)
    client.close()


@pytest.fixture
def real_repository(redis_url: str) -> Iterator[SessionRepository]:
    """On the real server only: fakeredis's Lua has no redis.sha1hex."""
    client = redis.Redis.from_url(redis_url)
    yield SessionRepository(client, KEYS)
    client.close()


def document(sid: str, ns: str, **data: object) -> bytes:
    """A document as the service writes it."""
    return stamp(data, sid, ns, datetime(2026, 1, 1, tzinfo=UTC))


def names(repository: SessionRepository, sid: str) -> list[str]:
    return repository.read_session(sid, [])[0]


def documents(repository: SessionRepository, sid: str, wanted: list[str]) -> dict[str, bytes]:
    return {ns: stored.document for ns, stored in repository.read_session(sid, wanted)[1].items()}


def test_an_unknown_session_has_no_namespaces(repository: SessionRepository) -> None:
    assert repository.read_session("s", ["a"]) == ([], {})
    assert repository.read("s", "a") is None


def test_put_then_read_back_as_written(repository: SessionRepository) -> None:
    b, a = document("s", "b", v=2), document("s", "a", v=1)
    assert repository.put("s", "b", b) == (WriteOutcome.DONE, None)
    repository.put("s", "a", a)
    assert names(repository, "s") == ["a", "b"]
    assert repository.read("s", "a") == Stored(a, None)
    assert documents(repository, "s", ["b", "x"]) == {"b": b}


def test_a_session_is_one_hash_holding_documents_without_their_known_members(
    repository: SessionRepository,
) -> None:
    written = document("user:1", "team.f.v1", v=1)
    repository.put("user:1", "team.f.v1", written)
    client = repository._client
    assert sorted(client.keys("*")) == [KEYS.session("user:1").encode()]
    stored = client.hget(KEYS.session("user:1"), "team.f.v1")
    assert stored == compact(written, "user:1", "team.f.v1")
    assert stored.startswith(b'{"_modified":')


def test_put_replaces(repository: SessionRepository) -> None:
    repository.put("s", "a", document("s", "a", v=1))
    repository.put("s", "a", second := document("s", "a", v=2))
    assert repository.read("s", "a") == Stored(second, None)
    assert names(repository, "s") == ["a"]


def test_delete_reports_whether_it_existed(repository: SessionRepository) -> None:
    repository.put("s", "a", document("s", "a"))
    assert repository.delete("s", "a") is WriteOutcome.DONE
    assert repository.delete("s", "a") is WriteOutcome.NOTHING_TO_DELETE
    assert names(repository, "s") == []


def test_delete_session_removes_all_and_counts(repository: SessionRepository) -> None:
    for ns in ("a", "b", "c"):
        repository.put("s", ns, document("s", ns))
    repository.put("other", "a", kept := document("other", "a", kept=True))
    assert repository.delete_session("s") == 3
    assert repository.delete_session("s") == 0
    assert repository.read_session("s", ["a", "b", "c"]) == ([], {})
    assert repository.read("other", "a") == Stored(kept, None)


def test_touch_needs_a_namespace(repository: SessionRepository) -> None:
    assert repository.touch("s") is False
    repository.put("s", "a", document("s", "a"))
    assert repository.touch("s") is True


def test_a_session_holds_at_most_max_namespaces(repository: SessionRepository) -> None:
    repository.max_namespaces = 2
    for ns in ("a", "b"):
        assert repository.put("s", ns, document("s", ns))[0] is WriteOutcome.DONE
    assert repository.put("s", "c", document("s", "c"))[0] is WriteOutcome.TOO_MANY_NAMESPACES
    assert repository.put("s", "a", document("s", "a", v=2))[0] is WriteOutcome.DONE
    assert names(repository, "s") == ["a", "b"]


def test_store_failures_become_store_unavailable() -> None:
    dead = redis_client("unix:///nonexistent/sessionator-test.sock", timeout_ms=250)
    repository = SessionRepository(dead, KeySpace())
    calls = [
        lambda: repository.ping(),
        lambda: repository.read_session("s", ["a"]),
        lambda: repository.read("s", "a"),
        lambda: repository.put("s", "a", document("s", "a")),
        lambda: repository.delete("s", "a"),
        lambda: repository.touch("s"),
        lambda: repository.delete_session("s"),
    ]
    for call in calls:
        with pytest.raises(StoreUnavailable):
            call()


def test_conditional_writes_check_the_etag_of_the_document_as_written(
    real_repository: SessionRepository,
) -> None:
    repository = real_repository
    create_only = Preconditions(if_none_match="*")
    first, second = document("s", "a", v=1), document("s", "a", v=2)
    assert repository.put("s", "a", first, create_only)[0] is WriteOutcome.DONE
    assert repository.put("s", "a", second, create_only)[0] is WriteOutcome.PRECONDITION_FAILED
    stale = Preconditions(if_match="list", match_tags=("0" * 40,))
    fresh = Preconditions(if_match="list", match_tags=("0" * 40, etag_of(first)))
    assert repository.put("s", "a", second, stale)[0] is WriteOutcome.PRECONDITION_FAILED
    assert repository.put("s", "a", second, fresh)[0] is WriteOutcome.DONE
    assert repository.read("s", "a") == Stored(second, None)
    not_this = Preconditions(if_none_match="list", none_match_tags=(etag_of(second),))
    assert repository.delete("s", "a", not_this) is WriteOutcome.PRECONDITION_FAILED
    assert repository.delete("s", "a", Preconditions(if_match="*")) is WriteOutcome.DONE
    assert repository.delete("s", "a", Preconditions(if_match="*")) is (
        WriteOutcome.PRECONDITION_FAILED
    )
    assert repository.delete("s", "a", Preconditions(if_none_match="*")) is (
        WriteOutcome.NOTHING_TO_DELETE
    )


def test_patch_retries_on_a_concurrent_write_and_applies_to_the_new_document(
    real_repository: SessionRepository,
) -> None:
    repository = real_repository
    repository.put("s", "a", document("s", "a", n=1))
    overtaking = document("s", "a", n=2)
    seen: list[bytes | None] = []

    def change(current: bytes | None) -> bytes:
        seen.append(current)
        if len(seen) == 1:  # another writer lands between our read and our write
            repository.put("s", "a", overtaking)
        return document("s", "a", n=len(seen) * 10)

    assert repository.patch("s", "a", change) == Stored(document("s", "a", n=20), None)
    assert seen == [document("s", "a", n=1), overtaking]
    assert names(repository, "s") == ["a"]


def test_patch_gives_up_after_its_attempts(real_repository: SessionRepository) -> None:
    repository = real_repository
    repository.put("s", "a", document("s", "a", n=0))
    calls = 0

    def always_overtaken(current: bytes | None) -> bytes:
        nonlocal calls
        calls += 1
        repository.put("s", "a", document("s", "a", n=calls))
        return document("s", "a", mine=True)

    with pytest.raises(WriteConflict):
        repository.patch("s", "a", always_overtaken, attempts=5)
    assert calls == 5
    assert repository.read("s", "a") == Stored(document("s", "a", n=5), None)


def test_a_patch_that_refuses_writes_nothing(real_repository: SessionRepository) -> None:
    repository = real_repository
    repository.put("s", "a", original := document("s", "a", n=1))

    def refuse(current: bytes | None) -> bytes:
        raise StoreUnavailable("refused")

    with pytest.raises(StoreUnavailable):
        repository.patch("s", "a", refuse)
    assert repository.read("s", "a") == Stored(original, None)
