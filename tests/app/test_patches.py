"""JSON Merge Patch (RFC 7396) and JSON Patch (RFC 6902): the RFC examples as tables,
malformed documents, strict ``test`` equality, and property tests against oracle packages."""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Any

import json_merge_patch
import jsonpatch
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.patches import PatchConflict, PatchError, json_patch, merge_patch

# --- RFC 7396 ----------------------------------------------------------------

# Appendix A, every row: (original, patch, result).
RFC7396_APPENDIX_A = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]

# Section 3's worked example.
RFC7396_SECTION_3 = (
    {
        "title": "Goodbye!",
        "author": {"givenName": "John", "familyName": "Doe"},
        "tags": ["example", "sample"],
        "content": "This will be unchanged",
    },
    {
        "title": "Hello!",
        "phoneNumber": "+01-123-456-7890",
        "author": {"familyName": None},
        "tags": ["example"],
    },
    {
        "title": "Hello!",
        "author": {"givenName": "John"},
        "tags": ["example"],
        "content": "This will be unchanged",
        "phoneNumber": "+01-123-456-7890",
    },
)


@pytest.mark.parametrize(("original", "patch", "result"), RFC7396_APPENDIX_A)
def test_merge_patch_gives_every_result_of_rfc7396_appendix_a(
    original: Any, patch: Any, result: Any
) -> None:
    assert merge_patch(original, patch) == result


def test_merge_patch_gives_the_result_of_the_rfc7396_section_3_example() -> None:
    original, patch, result = RFC7396_SECTION_3
    assert merge_patch(original, patch) == result


def test_merge_patch_changes_neither_its_target_nor_its_patch() -> None:
    target = {"a": {"b": [1, 2]}, "c": "d", "e": {"f": 1}}
    patch = {"a": {"b": None, "x": {"y": [3]}}, "c": None, "g": {"h": True}}
    target_before, patch_before = copy.deepcopy(target), copy.deepcopy(patch)
    result = merge_patch(target, patch)
    result["e"]["f"] = 2
    result["a"]["x"]["y"].append(4)
    result["g"]["h"] = False
    assert target == target_before
    assert patch == patch_before


# --- RFC 6902: Appendix A ----------------------------------------------------

# Appendix A examples that succeed: (name, document, patch, result).
RFC6902_SUCCESSES = [
    (
        "A.1 adding an object member",
        {"foo": "bar"},
        [{"op": "add", "path": "/baz", "value": "qux"}],
        {"baz": "qux", "foo": "bar"},
    ),
    (
        "A.2 adding an array element",
        {"foo": ["bar", "baz"]},
        [{"op": "add", "path": "/foo/1", "value": "qux"}],
        {"foo": ["bar", "qux", "baz"]},
    ),
    (
        "A.3 removing an object member",
        {"baz": "qux", "foo": "bar"},
        [{"op": "remove", "path": "/baz"}],
        {"foo": "bar"},
    ),
    (
        "A.4 removing an array element",
        {"foo": ["bar", "qux", "baz"]},
        [{"op": "remove", "path": "/foo/1"}],
        {"foo": ["bar", "baz"]},
    ),
    (
        "A.5 replacing a value",
        {"baz": "qux", "foo": "bar"},
        [{"op": "replace", "path": "/baz", "value": "boo"}],
        {"baz": "boo", "foo": "bar"},
    ),
    (
        "A.6 moving a value",
        {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
        [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
        {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}},
    ),
    (
        "A.7 moving an array element",
        {"foo": ["all", "grass", "cows", "eat"]},
        [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
        {"foo": ["all", "cows", "eat", "grass"]},
    ),
    (
        "A.8 testing a value: success",
        {"baz": "qux", "foo": ["a", 2, "c"]},
        [
            {"op": "test", "path": "/baz", "value": "qux"},
            {"op": "test", "path": "/foo/1", "value": 2},
        ],
        {"baz": "qux", "foo": ["a", 2, "c"]},
    ),
    (
        "A.10 adding a nested member object",
        {"foo": "bar"},
        [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
        {"foo": "bar", "child": {"grandchild": {}}},
    ),
    (
        "A.11 ignoring unrecognized elements",
        {"foo": "bar"},
        [{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}],
        {"foo": "bar", "baz": "qux"},
    ),
    (
        "A.14 ~ escape ordering",
        {"/": 9, "~1": 10},
        [{"op": "test", "path": "/~01", "value": 10}],
        {"/": 9, "~1": 10},
    ),
    (
        "A.16 adding an array value",
        {"foo": ["bar"]},
        [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
        {"foo": ["bar", ["abc", "def"]]},
    ),
]

# Appendix A examples that must fail: (name, document, patch, error, message).
RFC6902_FAILURES = [
    (
        "A.9 testing a value: error",
        {"baz": "qux"},
        [{"op": "test", "path": "/baz", "value": "bar"}],
        PatchConflict,
        'operation 0 (test /baz): the value at /baz is "qux", not "bar".',
    ),
    (
        "A.12 adding to a nonexistent target",
        {"foo": "bar"},
        [{"op": "add", "path": "/baz/bat", "value": "qux"}],
        PatchConflict,
        "operation 0 (add /baz/bat): there is no member 'baz' at the document root.",
    ),
    (
        "A.15 comparing strings and numbers",
        {"/": 9, "~1": 10},
        [{"op": "test", "path": "/~01", "value": "10"}],
        PatchConflict,
        'operation 0 (test /~01): the value at /~01 is 10, not "10".',
    ),
]


@pytest.mark.parametrize(
    ("document", "patch", "result"),
    [pytest.param(*row[1:], id=row[0]) for row in RFC6902_SUCCESSES],
)
def test_json_patch_gives_the_result_of_each_rfc6902_example(
    document: Any, patch: Any, result: Any
) -> None:
    assert json_patch(document, patch) == result


@pytest.mark.parametrize(
    ("document", "patch", "error", "message"),
    [pytest.param(*row[1:], id=row[0]) for row in RFC6902_FAILURES],
)
def test_json_patch_fails_each_failing_rfc6902_example(
    document: Any, patch: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as raised:
        json_patch(document, patch)
    assert str(raised.value) == message


def test_a_duplicate_op_member_reaches_json_patch_as_the_last_one_json_loads_kept() -> None:
    # A.13 is a document with "op" twice. json.loads keeps the last ("remove"), so the
    # operation is a remove of a missing member; rejecting duplicates is the parser's job.
    text = '[{ "op": "add", "path": "/baz", "value": "qux", "op": "remove" }]'
    with pytest.raises(PatchConflict, match=r"no member 'baz'"):
        json_patch({"foo": "bar"}, json.loads(text))


# --- RFC 6902: further behaviour ---------------------------------------------

# (name, document, patch, result)
BEHAVIOURS = [
    ("add at the root replaces the document", {"a": 1}, [{"op": "add", "path": "", "value": [1]}],
     [1]),
    ("add sets an existing member", {"a": 1}, [{"op": "add", "path": "/a", "value": 2}], {"a": 2}),
    ("add at the array length appends", [1], [{"op": "add", "path": "/1", "value": 2}], [1, 2]),
    ("add of null adds null", {}, [{"op": "add", "path": "/a", "value": None}], {"a": None}),
    ("the empty member name is a member", {"": 1}, [{"op": "replace", "path": "/", "value": 2}],
     {"": 2}),
    ("~1 in a token is a slash", {"a/b": 1}, [{"op": "remove", "path": "/a~1b"}], {}),
    ("~0 in a token is a tilde", {"m~n": 1}, [{"op": "remove", "path": "/m~0n"}], {}),
    ("a digit token names an object member", {"01": 1},
     [{"op": "replace", "path": "/01", "value": 2}], {"01": 2}),
    ("'-' names an object member", {"-": 1}, [{"op": "remove", "path": "/-"}], {}),
    ("replace at the root replaces the document", {"a": 1},
     [{"op": "replace", "path": "", "value": "x"}], "x"),
    ("move onto itself changes nothing", {"a": [1]}, [{"op": "move", "from": "/a", "path": "/a"}],
     {"a": [1]}),
    ("move to a sibling whose name starts the same", {"a": 1},
     [{"op": "move", "from": "/a", "path": "/ab"}], {"ab": 1}),
    ("move of an array element to the end", [1, 2, 3], [{"op": "move", "from": "/0", "path": "/-"}],
     [2, 3, 1]),
    ("copy of the whole document into itself", {"a": 1},
     [{"op": "copy", "from": "", "path": "/b"}], {"a": 1, "b": {"a": 1}}),
    ("copy then change leaves the original", {"a": [1]},
     [{"op": "copy", "from": "/a", "path": "/b"}, {"op": "add", "path": "/b/-", "value": 2}],
     {"a": [1], "b": [1, 2]}),
    ("test of the whole document", {"a": [1, {"b": None}]},
     [{"op": "test", "path": "", "value": {"a": [1.0, {"b": None}]}}], {"a": [1, {"b": None}]}),
    ("an empty patch changes nothing", {"a": 1}, [], {"a": 1}),
    ("operations see the results of earlier ones", {},
     [{"op": "add", "path": "/a", "value": {}}, {"op": "add", "path": "/a/b", "value": 1},
      {"op": "test", "path": "/a/b", "value": 1}], {"a": {"b": 1}}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("document", "patch", "result"), [pytest.param(*row[1:], id=row[0]) for row in BEHAVIOURS]
)
def test_json_patch_behaves_as_the_rfc_says(document: Any, patch: Any, result: Any) -> None:
    assert json_patch(document, patch) == result


# (name, document, patch, message)
CONFLICTS = [
    ("remove of a missing member", {"a": {}}, [{"op": "remove", "path": "/a/b"}],
     "operation 0 (remove /a/b): there is no member 'b' at /a."),
    ("replace of a missing member", {}, [{"op": "replace", "path": "/a", "value": 1}],
     "operation 0 (replace /a): there is no member 'a' at the document root."),
    ("remove of an index out of range", {"a": [1]}, [{"op": "remove", "path": "/a/1"}],
     "operation 0 (remove /a/1): there is no element 1 at /a: the array has 1 element."),
    ("add past the end of an array", {"a": [1]}, [{"op": "add", "path": "/a/2", "value": 0}],
     "operation 0 (add /a/2): index 2 is past the end of the array at /a, which has 1 element "
     "(the last place to add at is 1)."),
    ("an index too long for any array", [], [{"op": "remove", "path": "/" + "9" * 5000}],
     f"operation 0 (remove /{'9' * 5000}): there is no element {'9' * 5000} at the document "
     "root: the array has 0 elements."),
    ("remove of '-'", [1], [{"op": "remove", "path": "/-"}],
     "operation 0 (remove /-): '-' names the place after the last element of the array at the "
     "document root, where there is no value (only add may use it)."),
    ("'-' inside a path", [[1]], [{"op": "add", "path": "/-/0", "value": 2}],
     "operation 0 (add /-/0): '-' names the place after the last element of the array at the "
     "document root, where there is no value (only add may use it)."),
    ("a member of a scalar", {"a": "s"}, [{"op": "add", "path": "/a/b", "value": 1}],
     "operation 0 (add /a/b): the value at /a is a string, so it has no member or element 'b'."),
    ("move from a missing member", {}, [{"op": "move", "from": "/a", "path": "/b"}],
     "operation 0 (move /a to /b): there is no member 'a' at the document root."),
    ("copy to a missing parent", {"a": 1}, [{"op": "copy", "from": "/a", "path": "/b/c"}],
     "operation 0 (copy /a to /b/c): there is no member 'b' at the document root."),
    ("test of a missing member", {}, [{"op": "test", "path": "/x", "value": 1}],
     "operation 0 (test /x): there is no member 'x' at the document root."),
    ("test of a different value", {"x": 1}, [{"op": "test", "path": "/x", "value": 2}],
     "operation 0 (test /x): the value at /x is 1, not 2."),
    ("a later operation", {"a": {}},
     [{"op": "add", "path": "/x", "value": 1}, {"op": "test", "path": "/x", "value": 1},
      {"op": "remove", "path": "/a/b"}],
     "operation 2 (remove /a/b): there is no member 'b' at /a."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("document", "patch", "message"), [pytest.param(*row[1:], id=row[0]) for row in CONFLICTS]
)
def test_an_operation_that_cannot_apply_is_a_conflict(
    document: Any, patch: Any, message: str
) -> None:
    with pytest.raises(PatchConflict) as raised:
        json_patch(document, patch)
    assert str(raised.value) == message


def test_remove_of_a_missing_member_is_a_conflict() -> None:
    with pytest.raises(PatchConflict, match=r"^operation 0 \(remove /a/b\): there is no member"):
        json_patch({"a": {"c": 1}}, [{"op": "remove", "path": "/a/b"}])


def test_a_long_value_is_shortened_in_a_failed_test_message() -> None:
    with pytest.raises(PatchConflict) as raised:
        json_patch({"x": "a" * 500}, [{"op": "test", "path": "/x", "value": "b"}])
    assert len(str(raised.value)) < 200
    assert str(raised.value).endswith('…, not "b".')


# --- Malformed patch documents -----------------------------------------------

OPERATION_NAMES = "add, remove, replace, move, copy, test"

# (name, document, patch, message)
MALFORMED = [
    ("not an array", {}, {"op": "add", "path": "/a", "value": 1},
     "a JSON Patch document must be an array of operations, not an object."),
    ("null", {}, None, "a JSON Patch document must be an array of operations, not null."),
    ("an operation that is not an object", {}, [["add"]],
     "operation 0: an operation must be an object, not an array."),
    ("op missing", {}, [{"path": "/a", "value": 1}],
     f'operation 0: "op" is missing; it must be one of {OPERATION_NAMES}.'),
    ("op unknown", {}, [{"op": "test", "path": "", "value": {}}, {"op": "delete", "path": "/a"}],
     f'operation 1: "op" must be one of {OPERATION_NAMES}.'),
    ("op not a string", {}, [{"op": 1, "path": "/a"}],
     f'operation 0: "op" must be one of {OPERATION_NAMES}.'),
    ("op in capitals", {}, [{"op": "ADD", "path": "/a", "value": 1}],
     f'operation 0: "op" must be one of {OPERATION_NAMES}.'),
    ("path missing", {}, [{"op": "remove"}], 'operation 0 (remove): "path" is missing.'),
    ("path not a string", {}, [{"op": "remove", "path": 3}],
     'operation 0 (remove): "path" must be a string, not a number.'),
    ("a pointer not starting with '/'", {"a": 1}, [{"op": "remove", "path": "a"}],
     "operation 0 (remove a): \"path\" a is not a JSON Pointer; it must be empty or start with "
     "'/'."),
    ("a '~' not followed by 0 or 1", {"a~2": 1}, [{"op": "remove", "path": "/a~2"}],
     "operation 0 (remove /a~2): \"path\" /a~2 is not a JSON Pointer; '~' must be followed by 0 "
     "or 1 (write '~0' for '~' and '~1' for '/')."),
    ("a '~' at the end", {}, [{"op": "remove", "path": "/a~"}],
     "operation 0 (remove /a~): \"path\" /a~ is not a JSON Pointer; '~' must be followed by 0 "
     "or 1 (write '~0' for '~' and '~1' for '/')."),
    ("index with a leading zero", {"a": [1, 2]}, [{"op": "remove", "path": "/a/01"}],
     "operation 0 (remove /a/01): '01' is not an array index (the value at /a is an array of 2 "
     "elements); indices are 0 or digits without a leading zero."),
    ("a negative index", [1], [{"op": "replace", "path": "/-1", "value": 0}],
     "operation 0 (replace /-1): '-1' is not an array index (the value at the document root is "
     "an array of 1 element); indices are 0 or digits without a leading zero."),
    ("a name as an index", [1], [{"op": "add", "path": "/x", "value": 0}],
     "operation 0 (add /x): 'x' is not an array index (the value at the document root is an "
     "array of 1 element); indices are 0 or digits without a leading zero."),
    ("value missing for add", {}, [{"op": "add", "path": "/a"}],
     'operation 0 (add /a): "value" is missing; add needs the value to add.'),
    ("value missing for replace", {"a": 1}, [{"op": "replace", "path": "/a"}],
     'operation 0 (replace /a): "value" is missing; replace needs the value to put there.'),
    ("value missing for test", {"a": 1}, [{"op": "test", "path": "/a"}],
     'operation 0 (test /a): "value" is missing; test needs the value to compare with.'),
    ("from missing for move", {"a": 1}, [{"op": "move", "path": "/b"}],
     'operation 0 (move /b): "from" is missing.'),
    ("from not a string for copy", {"a": 1}, [{"op": "copy", "from": ["a"], "path": "/b"}],
     'operation 0 (copy /b): "from" must be a string, not an array.'),
    ("from not a pointer", {"a": 1}, [{"op": "copy", "from": "a", "path": "/b"}],
     "operation 0 (copy /b): \"from\" a is not a JSON Pointer; it must be empty or start with "
     "'/'."),
    ("move into its own child", {"a": {"b": {}}}, [{"op": "move", "from": "/a", "path": "/a/b/c"}],
     "operation 0 (move /a to /a/b/c): a value cannot be moved into one of its own children."),
    ("move of the whole document into a child", {"a": {}},
     [{"op": "move", "from": "", "path": "/a/b"}],
     'operation 0 (move "" to /a/b): a value cannot be moved into one of its own children.'),
    ("remove of the whole document", {"a": 1}, [{"op": "remove", "path": ""}],
     'operation 0 (remove ""): the whole document cannot be removed (replace it instead).'),
    ("a malformed operation after one that would conflict", {},
     [{"op": "remove", "path": "/missing"}, {"op": "add", "path": "/a"}],
     'operation 1 (add /a): "value" is missing; add needs the value to add.'),
]  # fmt: skip


@pytest.mark.parametrize(
    ("document", "patch", "message"), [pytest.param(*row[1:], id=row[0]) for row in MALFORMED]
)
def test_a_malformed_patch_document_is_a_patch_error(
    document: Any, patch: Any, message: str
) -> None:
    with pytest.raises(PatchError) as raised:
        json_patch(document, patch)
    assert str(raised.value) == message


def test_patch_error_and_patch_conflict_are_distinct() -> None:
    assert not issubclass(PatchError, PatchConflict)
    assert not issubclass(PatchConflict, PatchError)


# --- Strict equality of test -------------------------------------------------

# (name, actual, expected, equal)
TEST_EQUALITY = [
    ("true is not 1", True, 1, False),
    ("1 is not true", 1, True, False),
    ("false is not 0", False, 0, False),
    ("false is not null", False, None, False),
    ("0 is not null", 0, None, False),
    ("true is true", True, True, True),
    ("1 is 1.0", 1, 1.0, True),
    ("1.0 is 1", 1.0, 1, True),
    ("0 is -0.0", 0, -0.0, True),
    ("1 is not 1.5", 1, 1.5, False),
    ("the number 10 is not the string '10'", 10, "10", False),
    ("objects ignore member order", {"a": 1, "b": 2}, {"b": 2, "a": 1}, True),
    ("objects need the same members", {"a": 1}, {"a": 1, "b": None}, False),
    ("objects compare values strictly", {"a": True}, {"a": 1}, False),
    ("objects compare numbers by value", {"a": [1]}, {"a": [1.0]}, True),
    ("arrays compare in order", [1, 2], [2, 1], False),
    ("arrays compare lengths", [1], [1, 1], False),
    ("arrays compare elements strictly", [1, True], [1, 1], False),
    ("an empty object is not an empty array", {}, [], False),
    ("strings compare exactly", "é", "e\u0301", False),
    ("strings compare case", "a", "A", False),
    ("null is null", None, None, True),
]


@pytest.mark.parametrize(
    ("actual", "expected", "equal"), [pytest.param(*row[1:], id=row[0]) for row in TEST_EQUALITY]
)
def test_the_test_operation_compares_with_strict_json_equality(
    actual: Any, expected: Any, equal: bool
) -> None:
    patch = [{"op": "test", "path": "/v", "value": expected}]
    if equal:
        assert json_patch({"v": actual}, patch) == {"v": actual}
    else:
        with pytest.raises(PatchConflict, match=r"^operation 0 \(test /v\): the value at /v is"):
            json_patch({"v": actual}, patch)


# --- No mutation, all or nothing ---------------------------------------------


def test_json_patch_changes_neither_its_document_nor_its_operations() -> None:
    document = {"a": {"b": [1, 2]}, "c": {"d": 1}}
    operations = [
        {"op": "add", "path": "/a/b/-", "value": {"x": [1]}},
        {"op": "remove", "path": "/c/d"},
        {"op": "copy", "from": "/a", "path": "/f"},
        {"op": "move", "from": "/a/b/0", "path": "/g"},
        {"op": "replace", "path": "/c", "value": {"y": []}},
    ]
    document_before, operations_before = copy.deepcopy(document), copy.deepcopy(operations)
    result = json_patch(document, operations)
    assert result == {
        "a": {"b": [2, {"x": [1]}]},
        "c": {"y": []},
        "f": {"b": [1, 2, {"x": [1]}]},
        "g": 1,
    }
    result["a"]["b"][1]["x"].append(2)
    result["c"]["y"].append(3)
    assert document == document_before
    assert operations == operations_before


def test_a_failing_patch_leaves_the_document_as_it_was() -> None:
    document = {"a": [1], "b": {}}
    before = copy.deepcopy(document)
    with pytest.raises(PatchConflict):
        json_patch(
            document,
            [
                {"op": "add", "path": "/a/-", "value": 2},
                {"op": "remove", "path": "/b"},
                {"op": "test", "path": "/a", "value": [1]},
            ],
        )
    assert document == before


# --- Property tests against oracle packages ----------------------------------

KEYS = st.text(alphabet="ab~/0-", max_size=3)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=False, allow_infinity=False)
    | KEYS
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=12,
)
OBJECTS = st.dictionaries(KEYS, JSON, max_size=5)
# Merge patches: objects whose members are null (remove) often, other values or patches otherwise.
MERGE_PATCHES = st.recursive(
    st.dictionaries(KEYS, st.none() | SCALARS, max_size=4),
    lambda children: st.dictionaries(KEYS, children | JSON | st.none(), max_size=4),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None)
@given(target=JSON | OBJECTS, patch=MERGE_PATCHES | JSON)
def test_merge_patch_agrees_with_json_merge_patch(target: Any, patch: Any) -> None:
    expected = json_merge_patch.merge(copy.deepcopy(target), copy.deepcopy(patch))
    assert merge_patch(target, patch) == expected


def _pointer(tokens: tuple[str, ...]) -> str:
    """The JSON Pointer of a location."""
    return "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in tokens)


def _locations(value: Any, at: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every location that exists in a document, the root first."""
    found = [at]
    if isinstance(value, dict):
        for name, child in value.items():
            found += _locations(child, (*at, name))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _locations(child, (*at, str(index)))
    return found


def _add_locations(document: Any, new_name: str) -> list[tuple[str, ...]]:
    """Every location an add could target: members old and new, array positions and '-'."""
    found: list[tuple[str, ...]] = [()]
    for at in _locations(document):
        container = _at(document, at)
        if isinstance(container, dict):
            found += [(*at, name) for name in [*container, new_name]]
        elif isinstance(container, list):
            found += [(*at, str(index)) for index in range(len(container) + 1)] + [(*at, "-")]
    return found


def _at(document: Any, tokens: tuple[str, ...]) -> Any:
    """The value at a location that exists."""
    for token in tokens:
        document = document[int(token) if isinstance(document, list) else token]
    return document


@st.composite
def documents_and_patches(draw: st.DrawFn) -> tuple[Any, list[dict[str, Any]]]:
    """A document and a valid patch of add/remove/replace/move/copy, each op valid where it runs."""
    document = draw(OBJECTS | JSON)
    state = copy.deepcopy(document)
    operations: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 5))):
        existing = _locations(state)
        kinds = ["add", "replace", "copy"] + (["remove", "move"] if len(existing) > 1 else [])
        kind = draw(st.sampled_from(kinds))
        if kind == "add":
            where = draw(st.sampled_from(_add_locations(state, draw(KEYS))))
            operation = {"op": kind, "path": _pointer(where), "value": draw(JSON)}
        elif kind == "replace":
            operation = {"op": kind, "path": _pointer(draw(st.sampled_from(existing))),
                         "value": draw(JSON)}  # fmt: skip
        elif kind == "remove":
            operation = {"op": kind, "path": _pointer(draw(st.sampled_from(existing[1:])))}
        elif kind == "copy":
            source = draw(st.sampled_from(existing))
            where = draw(st.sampled_from(_add_locations(state, draw(KEYS))))
            operation = {"op": kind, "from": _pointer(source), "path": _pointer(where)}
        else:
            source = draw(st.sampled_from(existing[1:]))
            removed = jsonpatch.apply_patch(state, [{"op": "remove", "path": _pointer(source)}])
            targets = [*_add_locations(removed, draw(KEYS)), source]
            # A location under "from" is out (an array's later element may have slid into it).
            where = draw(st.sampled_from([t for t in targets if t[: len(source)] != source
                                          or t == source]))  # fmt: skip
            operation = {"op": kind, "from": _pointer(source), "path": _pointer(where)}
        state = jsonpatch.apply_patch(state, [operation])
        operations.append(operation)
    return document, operations


@settings(max_examples=100, deadline=None)
@given(case=documents_and_patches())
def test_json_patch_agrees_with_jsonpatch(case: tuple[Any, list[dict[str, Any]]]) -> None:
    document, operations = case
    expected = jsonpatch.apply_patch(document, operations)
    assert json_patch(document, operations) == expected


MEMBERS = st.sampled_from(["op", "path", "from", "value"]) | KEYS
MEMBER_VALUES = (
    st.sampled_from(["add", "remove", "copy", "move", "test", "", "/", "/0", "/-"]) | JSON
)
ANY_OPERATIONS = st.lists(st.dictionaries(MEMBERS, MEMBER_VALUES, max_size=5) | JSON, max_size=4)


@settings(max_examples=100, deadline=None)
@given(document=OBJECTS | JSON, operations=ANY_OPERATIONS | JSON)
def test_json_patch_only_ever_fails_with_patch_error_or_patch_conflict(
    document: Any, operations: Any
) -> None:
    before = copy.deepcopy(document)
    with contextlib.suppress(PatchError, PatchConflict):
        json_patch(document, operations)
    assert document == before
