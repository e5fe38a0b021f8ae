"""Property: any JSON object a client PUTs comes back from GET exactly, order included."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.documents import METADATA_FIELDS
from tests.conftest import as_stored

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=20,
)
documents = st.dictionaries(text, values, max_size=8)


def pairs(raw: bytes) -> Any:
    """The document as nested lists of pairs, so key order takes part in equality."""
    return json.loads(raw, object_pairs_hook=lambda items: [list(item) for item in items])


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=documents)
def test_put_then_get_returns_the_same_object_in_the_same_order(
    client: FlaskClient, document: dict[str, Any]
) -> None:
    body = json.dumps(document).encode()
    written = client.put("/v1/sessions/prop/ns", data=body, content_type="application/json")
    assert written.status_code == 200
    read = client.get("/v1/sessions/prop/ns")
    sent = [pair for pair in pairs(body) if pair[0] not in METADATA_FIELDS]
    assert pairs(as_stored(read.data))[3:] == sent
    assert as_stored(read.data) == as_stored(written.data)
