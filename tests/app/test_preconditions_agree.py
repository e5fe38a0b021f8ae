"""If-Match and If-None-Match are one rule with two implementations that must agree.

A write's preconditions are checked inside its Lua script (atomic with the
write); a PATCH checks them in Python (``Preconditions.hold_for``) on the
document it read, before computing the patch, so a failed precondition is a
412 even when the patch could not apply. This runs every combination of
stored state and headers through both, against the real server.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis

from app.documents import stamp
from app.store.keys import KeySpace
from app.store.preconditions import Preconditions, etag_of
from app.store.repository import SessionRepository, WriteOutcome

KEYS = KeySpace("agree")
CURRENT = stamp({"v": 1}, "s", "a.b", datetime(2026, 1, 1, tzinfo=UTC))
OTHER_TAG = etag_of(b"{}")


def headers(current_tag: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each form one header can take: absent, ``*``, a list with or without the current tag."""
    return [
        ("", ()),
        ("*", ()),
        ("list", (current_tag,)),
        ("list", (OTHER_TAG,)),
        ("list", (OTHER_TAG, current_tag)),
    ]


CASES = [
    (stored, Preconditions(m, m_tags, n, n_tags))
    for stored in (False, True)
    for (m, m_tags), (n, n_tags) in itertools.product(headers(etag_of(CURRENT)), repeat=2)
]


@pytest.fixture
def repository(redis_url: str) -> Iterator[SessionRepository]:
    client = redis.Redis.from_url(redis_url)
    yield SessionRepository(client, KEYS)
    client.close()


@pytest.mark.parametrize(("stored", "preconditions"), CASES)
def test_the_script_and_python_agree(
    repository: SessionRepository, stored: bool, preconditions: Preconditions
) -> None:
    repository.delete_session("s")
    if stored:
        assert repository.put("s", "a.b", CURRENT)[0] is WriteOutcome.DONE
    replacement = stamp({"v": 2}, "s", "a.b", datetime(2026, 1, 2, tzinfo=UTC))

    outcome, _ = repository.put("s", "a.b", replacement, preconditions)

    expected = preconditions.hold_for(CURRENT if stored else None)
    assert outcome is (WriteOutcome.DONE if expected else WriteOutcome.PRECONDITION_FAILED)
    still = repository.read("s", "a.b")
    assert (still.document if still else None) == (
        replacement if expected else (CURRENT if stored else None)
    )


def test_the_cases_cover_both_verdicts() -> None:
    verdicts = {p.hold_for(CURRENT if stored else None) for stored, p in CASES}
    assert verdicts == {True, False}
