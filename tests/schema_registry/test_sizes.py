"""The top-level ``maxBytes`` key: its values, and how a schema file with a bad one is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_registry import SchemaProblem, check_paths, load_registry
from schema_registry.sizes import MAX_MAX_BYTES, max_bytes_problem, parse_max_bytes

MESSAGE = (
    "must be a whole number of bytes, or a whole number with a unit (512B, 16KiB, 1MiB),"
    " from 2 bytes to 16 MiB"
)

VALID: list[tuple[object, int]] = [
    (2, 2),
    (512, 512),
    (65536, 65536),
    (16_777_216, 16_777_216),
    ("2B", 2),
    ("512B", 512),
    ("16KiB", 16_384),
    ("64KiB", 65_536),
    ("1MiB", 1_048_576),
    ("16MiB", 16_777_216),
    ("16384KiB", 16_777_216),
    ("16777216B", 16_777_216),
]

INVALID: list[object] = [
    True,
    False,
    0,
    1,
    -5,
    16_777_217,
    "1B",
    "0KiB",
    "17MiB",
    "16385KiB",
    "16777217B",
    "1.5KiB",
    "16kib",
    "16KB",
    "16K",
    "16 KiB",
    " 16KiB",
    "16KiB ",
    "016KiB",
    "-1KiB",
    "512",
    "",
    1024.0,
    1.5,
    None,
    [],
    [16],
    ["16KiB"],
    {"KiB": 16},
]


def test_the_upper_bound_is_sixteen_mebibytes() -> None:
    """The same bound as the service's own MAX_BODY_BYTES."""
    assert MAX_MAX_BYTES == 16 * 1024 * 1024 == 16_777_216


@pytest.mark.parametrize(("value", "size"), VALID, ids=[repr(value) for value, _ in VALID])
def test_valid_max_bytes_values_parse_to_bytes(value: object, size: int) -> None:
    """An integer is bytes; a string is a whole number with a unit B, KiB or MiB."""
    assert parse_max_bytes(value) == size
    assert max_bytes_problem(value) is None


@pytest.mark.parametrize("value", INVALID, ids=[repr(value) for value in INVALID])
def test_invalid_max_bytes_values_are_none_with_one_problem(value: object) -> None:
    """Booleans, floats, other spellings and sizes out of range are refused, with one sentence."""
    assert parse_max_bytes(value) is None
    assert max_bytes_problem(value) == MESSAGE


def test_the_linter_reports_a_bad_max_bytes_at_its_file_and_line(tmp_path: Path) -> None:
    """`sessionator schemas check` prints it as file:line: maxBytes: message."""
    path = tmp_path / "team.big.v1.yaml"
    path.write_text("# too big\ntype: object\nmaxBytes: 17MiB\nproperties: {}\n")
    problems = check_paths([tmp_path])
    assert problems == [SchemaProblem(str(path), 3, "maxBytes", MESSAGE)]
    assert [str(problem) for problem in problems] == [f"{path}:3: maxBytes: {MESSAGE}"]


def test_the_loader_keeps_a_schema_with_a_bad_max_bytes_out_of_force(tmp_path: Path) -> None:
    """A bad maxBytes is a problem like any other: the schema does not load."""
    path = tmp_path / "team.big.v1.yaml"
    path.write_text("type: object\nmaxBytes: true\n")
    registry = load_registry([tmp_path], entry_points=False)
    assert registry.get("team.big.v1") is None
    assert registry.problems == (SchemaProblem(str(path), 2, "maxBytes", MESSAGE),)


def test_max_bytes_is_a_top_level_key_of_the_schema_language(tmp_path: Path) -> None:
    """Like ``ttl``: valid at the top level, an unknown key anywhere else."""
    (tmp_path / "team.a.v1.yaml").write_text("type: object\nmaxBytes: 16 KiB\n")
    (tmp_path / "team.b.v1.yaml").write_text(
        "type: object\nproperties:\n  x:\n    type: object\n    maxBytes: 512\n"
    )
    (tmp_path / "team.c.v1.yaml").write_text("type: object\nmaxBytes: 16KiB\nttl: 12h\n")
    assert check_paths([tmp_path]) == [
        SchemaProblem(str(tmp_path / "team.a.v1.yaml"), 2, "maxBytes", MESSAGE),
        SchemaProblem(
            str(tmp_path / "team.b.v1.yaml"),
            5,
            "properties.x.maxBytes",
            "unknown key for type 'object'; allowed keys: allowUnknown, optional, properties, type",
        ),
    ]
    registry = load_registry([tmp_path], entry_points=False)
    schema = registry.get("team.c.v1")
    assert schema is not None
    assert (schema.max_bytes, schema.ttl_seconds) == (16_384, 43_200)
