"""Every rule of the schema language, as a table: a schema file and the exact problems it has."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from schema_registry import SchemaProblem, check_paths, read_schema_file
from schema_registry.definition import check_definition

Expected = list[tuple[int, str, str]]

TYPES = "array, boolean, integer, number, object, string"
TYPES_OR_NAME = f"{TYPES}, or a schema's name"
STRING_KEYS = "enum, max, min, optional, type"
OBJECT_KEYS = "allowUnknown, optional, properties, type"
MAX_BYTES_RULE = (
    "must be a whole number of bytes, or a whole number with a unit (512B, 16KiB, 1MiB),"
    " from 2 bytes to 16 MiB"
)

# (id, schema file text, [(line, key path, message), ...])
RULES: list[tuple[str, str, Expected]] = [
    (
        "a minimal valid schema has no problem",
        """\
        type: object
        """,
        [],
    ),
    (
        "every key used correctly has no problem",
        """\
        type: object
        allowUnknown: true
        properties:
          s: {type: string, min: 0, max: 3, enum: [a, ab], optional: true}
          i: {type: integer, min: -5, max: 5, enum: [-5, 0, 5]}
          n: {type: number, min: -1.5, max: 2, enum: [0.5, 1]}
          b: {type: boolean}
          a: {type: array, min: 1, max: 1, items: {type: string}}
          u: {type: array}
          o: {type: object, allowUnknown: false, properties: {}}
        """,
        [],
    ),
    (
        "an empty file is a problem",
        "",
        [(1, "", "the file is empty; a schema is a mapping with 'type: object'")],
    ),
    (
        "a file with only comments is empty",
        """\
        # nothing here yet
        """,
        [(1, "", "the file is empty; a schema is a mapping with 'type: object'")],
    ),
    (
        "the top level must be a mapping",
        """\
        - type: object
        """,
        [(1, "", "the top level must be a mapping with 'type: object', got a list")],
    ),
    (
        "the top level must be type object",
        """\
        type: string
        """,
        [(1, "type", "the top level must be 'type: object', got 'string'")],
    ),
    (
        "the top level may not say optional",
        """\
        type: object
        optional: true
        """,
        [
            (
                2,
                "optional",
                "not allowed at the top level: the document itself is always present",
            )
        ],
    ),
    (
        "the top level may say maxBytes and ttl",
        """\
        type: object
        maxBytes: 1MiB
        ttl: 1d
        properties:
          a: {type: string}
        """,
        [],
    ),
    (
        "maxBytes must be a size from 2 bytes to 16 MiB",
        """\
        type: object
        properties:
          a: {type: string}
        maxBytes: 1.5KiB
        """,
        [(4, "maxBytes", MAX_BYTES_RULE)],
    ),
    (
        "maxBytes is checked along with the rest of the top level",
        """\
        type: object
        maxBytes: 0
        ttl: 0
        extra: 1
        """,
        [
            (2, "maxBytes", MAX_BYTES_RULE),
            (
                3,
                "ttl",
                "must be a whole number of seconds, or a whole number with a unit "
                "(90s, 15m, 12h, 1d), from 1 second to 366 days",
            ),
            (4, "extra", f"unknown key for type 'object'; allowed keys: {OBJECT_KEYS}"),
        ],
    ),
    (
        "maxBytes exists only at the top level",
        """\
        type: object
        properties:
          o:
            type: object
            maxBytes: 512
          s: {type: string, maxBytes: 512}
          a:
            type: array
            items: {type: object, maxBytes: 16KiB}
        """,
        [
            (
                5,
                "properties.o.maxBytes",
                f"unknown key for type 'object'; allowed keys: {OBJECT_KEYS}",
            ),
            (
                6,
                "properties.s.maxBytes",
                f"unknown key for type 'string'; allowed keys: {STRING_KEYS}",
            ),
            (
                9,
                "properties.a.items.maxBytes",
                f"unknown key for type 'object'; allowed keys: {OBJECT_KEYS}",
            ),
        ],
    ),
    (
        "the metadata fields may not be declared at the top level",
        """\
        type: object
        properties:
          _session:
            type: string
          ok:
            type: string
          _namespace:
            type: string
          _modified:
            type: string
          _schemaVersion: {type: string}
        """,
        [
            (
                3,
                "properties._session",
                "'_session' is reserved: the service sets it on every document",
            ),
            (
                7,
                "properties._namespace",
                "'_namespace' is reserved: the service sets it on every document",
            ),
            (
                9,
                "properties._modified",
                "'_modified' is reserved: the service sets it on every document",
            ),
            (
                11,
                "properties._schemaVersion",
                "'_schemaVersion' is reserved: the service sets it on every document",
            ),
        ],
    ),
    (
        "metadata names are ordinary fields below the top level",
        """\
        type: object
        properties:
          inner:
            type: object
            properties:
              _session: {type: string}
        """,
        [],
    ),
    (
        "the top level needs a type",
        """\
        properties: {}
        """,
        [(1, "", f"'type' is missing; it must be one of: {TYPES}")],
    ),
    (
        "a property needs a type",
        """\
        type: object
        properties:
          pet:
            optional: true
        """,
        [(3, "properties.pet", f"'type' is missing; it must be one of: {TYPES}")],
    ),
    (
        "a type must be one of the six",
        """\
        type: object
        properties:
          name:
            type: strin
        """,
        [(4, "properties.name.type", f"unknown type 'strin'; it must be one of: {TYPES_OR_NAME}")],
    ),
    (
        "a type must be a string",
        """\
        type: [object]
        """,
        [(1, "type", f"must be one of: {TYPES_OR_NAME}, got a list")],
    ),
    (
        "an unknown key of a string is named by its path",
        """\
        type: object
        properties:
          name:
            type: string
            maxLength: 3
        """,
        [
            (
                5,
                "properties.name.maxLength",
                f"unknown key for type 'string'; allowed keys: {STRING_KEYS}",
            )
        ],
    ),
    (
        "an unknown key at the top level",
        """\
        type: object
        description: sessions of the foo feature
        """,
        [(2, "description", f"unknown key for type 'object'; allowed keys: {OBJECT_KEYS}")],
    ),
    (
        "keys of other types are unknown keys",
        """\
        type: object
        properties:
          b: {type: boolean, min: 1}
          o:
            type: object
            items: {type: string}
          s: {type: string, properties: {}, allowUnknown: true}
          a: {type: array, enum: [1]}
          n: {type: number, items: {type: number}}
        """,
        [
            (3, "properties.b.min", "unknown key for type 'boolean'; allowed keys: optional, type"),
            (
                6,
                "properties.o.items",
                f"unknown key for type 'object'; allowed keys: {OBJECT_KEYS}",
            ),
            (
                7,
                "properties.s.properties",
                f"unknown key for type 'string'; allowed keys: {STRING_KEYS}",
            ),
            (
                7,
                "properties.s.allowUnknown",
                f"unknown key for type 'string'; allowed keys: {STRING_KEYS}",
            ),
            (
                8,
                "properties.a.enum",
                "unknown key for type 'array'; allowed keys: items, max, min, optional, type",
            ),
            (
                9,
                "properties.n.items",
                "unknown key for type 'number'; allowed keys: enum, max, min, optional, type",
            ),
        ],
    ),
    (
        "allowUnknown and optional must be booleans (YAML 1.2: yes is a string)",
        """\
        type: object
        allowUnknown: yes
        properties:
          a:
            type: string
            optional: 1
        """,
        [
            (2, "allowUnknown", "must be true or false, got a string ('yes')"),
            (6, "properties.a.optional", "must be true or false, got an integer (1)"),
        ],
    ),
    (
        "min and max of a string are non-negative integer lengths",
        """\
        type: object
        properties:
          a: {type: string, min: -1}
          b: {type: string, max: 1.5}
          c: {type: string, min: true}
          d: {type: string, max: "3"}
        """,
        [
            (3, "properties.a.min", "must be a non-negative integer, got an integer (-1)"),
            (4, "properties.b.max", "must be a non-negative integer, got a number (1.5)"),
            (5, "properties.c.min", "must be a non-negative integer, got a boolean (true)"),
            (6, "properties.d.max", "must be a non-negative integer, got a string ('3')"),
        ],
    ),
    (
        "min and max of an array are non-negative integer counts",
        """\
        type: object
        properties:
          a: {type: array, min: -1}
          b: {type: array, max: 2.0}
        """,
        [
            (3, "properties.a.min", "must be a non-negative integer, got an integer (-1)"),
            (4, "properties.b.max", "must be a non-negative integer, got a number (2.0)"),
        ],
    ),
    (
        "min and max of an integer are integers",
        """\
        type: object
        properties:
          a: {type: integer, min: 1.5}
          b: {type: integer, max: false}
          c: {type: integer, min: "0"}
        """,
        [
            (3, "properties.a.min", "must be an integer, got a number (1.5)"),
            (4, "properties.b.max", "must be an integer, got a boolean (false)"),
            (5, "properties.c.min", "must be an integer, got a string ('0')"),
        ],
    ),
    (
        "min and max of a number are finite numbers, never booleans",
        """\
        type: object
        properties:
          a: {type: number, min: "0"}
          b: {type: number, max: .inf}
          c: {type: number, min: true}
          d: {type: number, min: -3, max: 0.5}
        """,
        [
            (3, "properties.a.min", "must be a finite number, got a string ('0')"),
            (4, "properties.b.max", "must be a finite number, got a number (inf)"),
            (5, "properties.c.min", "must be a finite number, got a boolean (true)"),
        ],
    ),
    (
        "min may not be greater than max, for every type",
        """\
        type: object
        properties:
          s: {type: string, min: 5, max: 3}
          i: {type: integer, min: 1, max: 0}
          n: {type: number, min: 2.5, max: 1.5}
          a: {type: array, min: 2, max: 1}
          same: {type: integer, min: 7, max: 7}
        """,
        [
            (3, "properties.s.min", "min (5) is greater than max (3)"),
            (4, "properties.i.min", "min (1) is greater than max (0)"),
            (5, "properties.n.min", "min (2.5) is greater than max (1.5)"),
            (6, "properties.a.min", "min (2) is greater than max (1)"),
        ],
    ),
    (
        "an enum must be a non-empty list",
        """\
        type: object
        properties:
          a: {type: string, enum: []}
          b: {type: integer, enum: 3}
          c:
            type: number
            enum:
        """,
        [
            (3, "properties.a.enum", "must be a non-empty list of strings, got an empty list"),
            (4, "properties.b.enum", "must be a non-empty list of integers, got an integer (3)"),
            (7, "properties.c.enum", "must be a non-empty list of numbers, got null"),
        ],
    ),
    (
        "enum values must have the field's type, each named by its index",
        """\
        type: object
        properties:
          s:
            type: string
            enum:
              - cat
              - 5
              - 2020-01-01
          i:
            type: integer
            enum: [1, 2.5, true]
          n:
            type: number
            enum: ["1", 2]
        """,
        [
            (7, "properties.s.enum.1", "enum value must be a string, got an integer (5)"),
            (
                8,
                "properties.s.enum.2",
                "enum value must be a string, got a date (2020-01-01);"
                " quote it to make it a string",
            ),
            (11, "properties.i.enum.1", "enum value must be an integer, got a number (2.5)"),
            (11, "properties.i.enum.2", "enum value must be an integer, got a boolean (true)"),
            (14, "properties.n.enum.0", "enum value must be a number, got a string ('1')"),
        ],
    ),
    (
        "enum values may not repeat (1 and 1.0 are the same number)",
        """\
        type: object
        properties:
          s:
            type: string
            enum:
              - cat
              - dog
              - cat
          n:
            type: number
            enum: [1, 1.0]
        """,
        [
            (8, "properties.s.enum.2", "duplicate enum value 'cat' (same as item 0)"),
            (11, "properties.n.enum.1", "duplicate enum value 1.0 (same as item 0)"),
        ],
    ),
    (
        "properties must be a mapping",
        """\
        type: object
        properties: [a, b]
        """,
        [(2, "properties", "must be a mapping of field names to schemas, got a list")],
    ),
    (
        "a property must be a schema, not a type name",
        """\
        type: object
        properties:
          name: string
          other:
        """,
        [
            (
                3,
                "properties.name",
                "must be a schema (a mapping with a 'type'), got a string ('string');"
                " did you mean '{type: string}'?",
            ),
            (4, "properties.other", "must be a schema (a mapping with a 'type'), got null"),
        ],
    ),
    (
        "a property name must be a string",
        """\
        type: object
        properties:
          1:
            type: string
        """,
        [(3, "properties.1", "a property name must be a string, got an integer (1)")],
    ),
    (
        "items must be a schema, checked like any other",
        """\
        type: object
        properties:
          a:
            type: array
            items: [string]
          b:
            type: array
            items:
              type: integer
              min: x
        """,
        [
            (5, "properties.a.items", "must be a schema (a mapping with a 'type'), got a list"),
            (10, "properties.b.items.min", "must be an integer, got a string ('x')"),
        ],
    ),
    (
        "problems deep inside arrays of objects carry the full key path",
        """\
        type: object
        properties:
          friends:
            type: array
            items:
              type: object
              properties:
                age:
                  type: integer
                  min: zero
        """,
        [
            (
                10,
                "properties.friends.items.properties.age.min",
                "must be an integer, got a string ('zero')",
            )
        ],
    ),
    (
        "YAML syntax errors name the line where they were found",
        """\
        type: object
        properties:
          a:
            type: string
           min: 1
        """,
        [
            (
                5,
                "",
                "invalid YAML: while parsing a block mapping,"
                " expected <block end>, but found '<block mapping start>'",
            )
        ],
    ),
    (
        "an unclosed flow collection is a syntax error at the end of the file",
        """\
        type: object
        properties: [
        """,
        [
            (
                3,
                "",
                "invalid YAML: while parsing a flow node,"
                " expected the node content, but found '<stream end>'",
            )
        ],
    ),
    (
        "tabs cannot indent YAML",
        "type: object\n\tproperties: {}\n",
        [
            (
                2,
                "",
                "invalid YAML: while scanning for the next token,"
                " found character '\\t' that cannot start any token",
            )
        ],
    ),
    (
        "a schema file holds one YAML document",
        """\
        type: object
        ---
        type: object
        """,
        [
            (
                2,
                "",
                "invalid YAML: expected a single document in the stream,"
                " but found another document",
            )
        ],
    ),
    (
        "every duplicate key is reported, with the other problems of the file",
        """\
        type: object
        properties:
          a:
            type: string
            type: integer
          b:
            type: boolean
          a:
            type: number
        allowUnknown: maybe
        """,
        [
            (5, "properties.a.type", "duplicate key (first defined on line 4)"),
            (8, "properties.a", "duplicate key (first defined on line 3)"),
            (10, "allowUnknown", "must be true or false, got a string ('maybe')"),
        ],
    ),
    (
        "a recursive YAML alias is refused",
        """\
        type: object
        properties: &p
          a: *p
        """,
        [(2, "properties.a", "recursive YAML alias: a node may not contain itself")],
    ),
    (
        "YAML anchors and merge keys may be used to share definitions",
        """\
        type: object
        properties:
          price: &money {type: number, min: 0}
          total: *money
          discount:
            <<: *money
            max: 100
        """,
        [],
    ),
    (
        "all the problems of a file are reported, in line order",
        """\
        type: object
        properties:
          name: {type: string, min: -1}
          age: {type: integer, max: old}
          pet: {type: dog}
        extra: 1
        """,
        [
            (3, "properties.name.min", "must be a non-negative integer, got an integer (-1)"),
            (4, "properties.age.max", "must be an integer, got a string ('old')"),
            (5, "properties.pet.type", f"unknown type 'dog'; it must be one of: {TYPES_OR_NAME}"),
            (6, "extra", f"unknown key for type 'object'; allowed keys: {OBJECT_KEYS}"),
        ],
    ),
]


def problems_of(path: Path) -> Expected:
    """Check a schema file alone and return its problems as (line, key, message) triples.

    `check_paths` also resolves references, which `read_schema_file` leaves to the loader.
    """
    problems = check_paths([path])
    definition, own = read_schema_file(path)
    assert (definition is None) == bool(own)
    assert set(own) <= set(problems)
    assert all(problem.file == str(path) for problem in problems)
    return [(problem.line, problem.key, problem.message) for problem in problems]


@pytest.mark.parametrize(
    ("text", "expected"), [row[1:] for row in RULES], ids=[r[0] for r in RULES]
)
def test_schema_rule(write_schema: Callable[..., Path], text: str, expected: Expected) -> None:
    """A schema file has exactly the listed problems (file, line, key path, message)."""
    assert problems_of(write_schema(text)) == expected


def test_valid_file_is_read_as_plain_python(write_schema: Callable[..., Path]) -> None:
    """ruamel's scalar subclasses do not leak out of read_schema_file."""
    path = write_schema(
        """\
        type: object
        allowUnknown: &yes true
        properties:
          n: {type: number, min: 0.5, max: 0x10, enum: [1.5, 2]}
          s:
            type: string
            enum:
            - |
              literal
            - 'quoted'
        """
    )
    definition, problems = read_schema_file(path)
    assert problems == []
    assert definition == {
        "type": "object",
        "allowUnknown": True,
        "properties": {
            "n": {"type": "number", "min": 0.5, "max": 16, "enum": [1.5, 2]},
            "s": {"type": "string", "enum": ["literal\n", "quoted"]},
        },
    }
    assert type(definition["allowUnknown"]) is bool
    number = definition["properties"]["n"]
    assert [type(number[key]) for key in ("min", "max")] == [float, int]
    assert [type(value) for value in definition["properties"]["s"]["enum"]] == [str, str]
    assert type(definition) is dict and type(definition["properties"]) is dict
    assert type(number["enum"]) is list


def test_file_that_is_not_utf8_is_a_problem_at_its_line(write_schema: Callable[..., Path]) -> None:
    """Bytes that are not UTF-8 are reported at the line they are on."""
    path = write_schema(b"type: object\n# caf\xe9\n")
    assert problems_of(path) == [(2, "", "not valid UTF-8: invalid continuation byte")]


def test_utf8_byte_order_mark_is_accepted(write_schema: Callable[..., Path]) -> None:
    """A UTF-8 file saved with a byte order mark reads like any other."""
    assert problems_of(write_schema("\ufefftype: object\n".encode())) == []


BAD_NAMES = [
    "my schema.yaml",
    "1team.feature.yaml",
    "team..feature.yaml",
    "team.feature..yaml",
    "-team.yaml",
    "team/feature.yaml".replace("/", ":"),
    "t" * 129 + ".yaml",
]


@pytest.mark.parametrize("file_name", BAD_NAMES)
def test_file_name_must_be_a_namespace_name(
    write_schema: Callable[..., Path], file_name: str
) -> None:
    """A file whose name is not a valid namespace name is refused, with its other problems."""
    path = write_schema("type: object\nextra: 1\n", name=file_name)
    name = file_name.removesuffix(".yaml")
    assert problems_of(path) == [
        (
            1,
            "",
            f"{name!r} is not a valid schema name: the file name without its extension must be"
            " 1 to 128 characters, dot-separated segments of letters, digits, '_' and '-',"
            " starting with a letter",
        ),
        (2, "extra", f"unknown key for type 'object'; allowed keys: {OBJECT_KEYS}"),
    ]


@pytest.mark.parametrize(
    "file_name",
    ["a.yaml", "A-b_c.D-1.v2.yml", "restaurants.lastVisited.v1.yaml", "t" * 128 + ".yml"],
)
def test_valid_file_names(write_schema: Callable[..., Path], file_name: str) -> None:
    """Names made of letter-led, dot-separated segments up to 128 characters are schema names."""
    assert problems_of(write_schema("type: object\n", name=file_name)) == []


def test_check_definition_works_on_plain_python_without_lines() -> None:
    """A definition built in memory is checked too; without a line map, problems are at line 1."""
    definition = {"type": "object", "properties": {"a": {"type": "integer", "min": "0"}}}
    assert check_definition(definition) == [
        SchemaProblem("<memory>", 1, "properties.a.min", "must be an integer, got a string ('0')")
    ]


def test_absurdly_deep_yaml_is_a_problem_not_a_crash(write_schema: Callable[..., Path]) -> None:
    """A file nested deeper than the YAML parser can follow is reported, not a RecursionError."""
    levels = "".join(f"{'  ' * i}a:\n" for i in range(400))
    path = write_schema("type: object\nproperties:\n" + levels.replace("a:", "  a:"))
    assert problems_of(path) == [(1, "", "YAML nested too deeply")]
