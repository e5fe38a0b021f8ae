"""Configuration: defaults, then environment, then overrides; bad values name the variable."""

from __future__ import annotations

import pytest

from app.config import Config, ConfigError, load_config

URL = {"REDIS_URL": "redis://localhost:6379/0"}


def test_defaults_apply_when_nothing_is_set() -> None:
    config = load_config(environ=URL)
    assert config == Config(REDIS_URL="redis://localhost:6379/0")
    assert (config.MAX_BODY_BYTES, config.MAX_JSON_DEPTH, config.SCHEMA_DIR) == (
        65536,
        32,
        "schemas",
    )


def test_environment_then_overrides_win() -> None:
    config = load_config(
        {"MAX_JSON_DEPTH": 5}, environ={**URL, "MAX_JSON_DEPTH": "7", "SCHEMA_DIR": "x"}
    )
    assert (config.MAX_JSON_DEPTH, config.SCHEMA_DIR) == (5, "x")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "REDIS_URL is not set: point it at a Redis or Valkey server, or start the service "
             "with `make run` to use the embedded store."),
        ({"REDIS_URL": "http://x"}, "REDIS_URL must start with one of redis://, rediss://, "
                                    "unix://, redis+cluster://, redis+sentinel://; got http."),
        ({**URL, "MAX_BODY_BYTES": "64k"}, "MAX_BODY_BYTES must be a whole number, got '64k'."),
        ({**URL, "MAX_JSON_DEPTH": "0"}, "MAX_JSON_DEPTH must be between 1 and 512, got 0."),
        ({**URL, "REDIS_TIMEOUT_MS": "1"}, "REDIS_TIMEOUT_MS must be between 10 and 60000, got 1."),
        ({**URL, "KEY_PREFIX": "a{b}"}, "KEY_PREFIX must be non-empty and contain no braces."),
        ({**URL, "CONSOLE": "yes"}, "CONSOLE must be on or off, got 'yes'."),
        ({**URL, "CONSOLE_SECRET": "short"}, "CONSOLE_SECRET must be at least 32 characters "
            "(random, shared by every process of the service); leave it unset to have one made "
            "at each start."),
    ],
)  # fmt: skip
def test_bad_values_stop_with_a_sentence_naming_the_variable(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(environ=environ)
    assert str(raised.value) == message


def test_unknown_override_is_refused() -> None:
    with pytest.raises(ConfigError) as raised:
        load_config({"MAX_BODY": 1}, environ=URL)
    assert str(raised.value) == "Unknown configuration keys: MAX_BODY."


def test_schema_compatibility_is_backward_unless_set_to_none() -> None:
    assert load_config(environ=URL).SCHEMA_COMPATIBILITY == "backward"
    none = load_config(environ={**URL, "SCHEMA_COMPATIBILITY": "none"})
    assert none.SCHEMA_COMPATIBILITY == "none"
    with pytest.raises(ConfigError) as raised:
        load_config(environ={**URL, "SCHEMA_COMPATIBILITY": "forward"})
    assert str(raised.value) == "SCHEMA_COMPATIBILITY must be backward or none, got 'forward'."


@pytest.mark.parametrize(
    ("environ", "served"),
    [
        ({}, True),
        ({"SESSIONATOR_ENV": "development", "CONSOLE": "off"}, False),
        ({"SESSIONATOR_ENV": "production", "TENANTS_FILE": "t.yaml"}, False),
        ({"SESSIONATOR_ENV": "production", "TENANTS_FILE": "t.yaml", "CONSOLE": "on"}, True),
    ],
)
def test_the_console_is_on_in_development_and_off_in_production_unless_switched(
    environ: dict[str, str], served: bool
) -> None:
    assert load_config(environ={**URL, **environ}).console_on is served


def test_the_console_secret_is_kept_out_of_the_configurations_repr() -> None:
    secret = "a-secret-of-at-least-thirty-two-characters"
    config = load_config(environ={**URL, "CONSOLE_SECRET": secret})
    assert secret == config.CONSOLE_SECRET
    assert secret not in repr(config)
