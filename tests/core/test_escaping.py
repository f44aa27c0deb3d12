"""The two value filters: whatever goes in comes out as one inert literal."""

from __future__ import annotations

import ast
import json
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor_lmsbridge.output.escaping import (
    UnsafeValueError,
    json_value,
    python_literal,
    yaml_value,
)

HOSTILE = [
    "'",
    '"',
    "'''",
    '"""',
    "\\",
    "\\'",
    "a\nb",
    "a\r\nb",
    "# comment",
    "{{ 7*7 }}",
    "{% raw %}",
    "{# x #}",
    "x'); import os; os.system('id'); ('",
    "key: value",
    "- item",
    "&anchor *alias !!python/object/apply:os.system ['id']",
    "\u2028\u2029\x85",
    "\x00\x07\x1b[31m\x7f",
    "tab\there",
    "ünïcødé ✓ 😀",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_python_literal_round_trips_hostile_text(value: str) -> None:
    literal = python_literal(value)
    assert "\n" not in literal
    assert "\r" not in literal
    assert ast.literal_eval(literal) == value
    # As the right-hand side of an assignment, it is exactly one statement.
    tree = ast.parse(f"X = {literal}")
    assert len(tree.body) == 1


@pytest.mark.parametrize("value", HOSTILE)
def test_yaml_value_round_trips_hostile_text(value: str) -> None:
    text = yaml_value(value)
    assert "\n" not in text
    assert "\r" not in text
    document = yaml.safe_load(f"KEY: {text}\nOTHER: 1\n")
    assert document == {"KEY": value, "OTHER": 1}


@pytest.mark.parametrize("value", HOSTILE)
def test_json_value_round_trips_hostile_text(value: str) -> None:
    """The secrets file: one line of ASCII JSON, whatever a secret holds."""
    text = json_value({"lms": [[["oauth_secrets", value], value]]})
    assert "\n" not in text
    assert text.isascii()
    assert json.loads(text) == {"lms": [[["oauth_secrets", value], value]]}


def test_nested_values() -> None:
    value = {"a'": ["x", 1, True, None], "b": {"c": "d\n"}}
    assert ast.literal_eval(python_literal(value)) == value
    assert yaml.safe_load("K: " + yaml_value(value)) == {"K": value}


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), b"bytes", object(), {1: "x"}, {"k": {2.0}}]
)
def test_values_without_a_safe_literal_are_refused(value: Any) -> None:
    with pytest.raises(UnsafeValueError):
        python_literal(value)
    with pytest.raises(UnsafeValueError):
        yaml_value(value)
    with pytest.raises(UnsafeValueError):
        json_value(value)


plain = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    # OTHER_SETTINGS keeps JSON numbers (JWT_LEEWAY: 1.5).
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(plain)
def test_any_plain_value_round_trips(value: Any) -> None:
    assert ast.literal_eval(python_literal(value)) == value
    assert yaml.safe_load("K: " + yaml_value(value)) == {"K": value}
    assert json.loads(json_value(value)) == value


def test_masking_replaces_whole_tokens_only() -> None:
    from tutor_lmsbridge.output.masking import MASK, mask

    assert mask("token=abc123 x abc1234", ["abc123"]) == f"token={MASK} x abc1234"
    assert mask("openedx x", ["x"]) == f"openedx {MASK}"
    secret = "a'b\"c"  # repr() escapes the quote in the rendered settings
    assert mask(repr(secret), [secret]) == f"'{MASK}'"
