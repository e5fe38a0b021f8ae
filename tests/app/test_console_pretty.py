"""The console's JSON writer gives exactly what json.dumps(indent=2, ensure_ascii=False) gives."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.console.pretty import pretty

# What a stored document can hold: strict JSON (finite numbers), any text, nested.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


@given(json_values)
def test_pretty_is_the_standard_librarys_indented_json(value: Any) -> None:
    assert pretty(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_pretty_keeps_key_order_and_leaves_characters_unescaped() -> None:
    document = {"z": [], "a": {}, "é": ["\u2028", '"\\'], "n": [1, 2.5, True, None]}
    assert pretty(document) == (
        '{\n  "z": [],\n  "a": {},\n  "é": [\n    "\u2028",\n    "\\"\\\\"\n  ],\n'
        '  "n": [\n    1,\n    2.5,\n    true,\n    null\n  ]\n}'
    )
