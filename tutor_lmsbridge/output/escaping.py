"""The template filters every configured value goes through on its way into a file.

``python_literal`` (Jinja filter ``lmsbridge_py``) renders a value as a Python expression and
``yaml_value`` (``lmsbridge_yaml``) as a YAML flow value. Both accept only plain data (None,
bool, int, str, lists/tuples and str-keyed dicts of those) and produce a single line, so a
value can never end a string early, open a comment, add a key or a statement. Filter output
is final text: Jinja does not render it again, so ``{{ }}`` in a value stays inert.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any


def _yaml_safe_char(char: str) -> str:
    """Characters PyYAML refuses in a stream, and those YAML reads as line breaks (NEL, LS,
    PS), become \\u escapes inside the double-quoted scalar. (A plain function: compiling
    the equivalent character-class regex takes longer than rendering all of our files.)"""
    code = ord(char)
    printable = (
        code in (0x09, 0x0A, 0x0D)
        or 0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0x2027
        or 0x202A <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or code >= 0x10000
    )
    return char if printable else f"\\u{code:04x}"


class UnsafeValueError(TypeError):
    """A value of a type that has no safe literal (objects, bytes, NaN or infinite floats...)."""


def _check(value: Any) -> None:
    if value is None or isinstance(value, (bool, int, str)):
        return
    # A finite float's repr() is a Python literal and json.dumps() a YAML number
    # (OTHER_SETTINGS keeps JSON types: JWT_LEEWAY: 1.5).
    if isinstance(value, float) and math.isfinite(value):
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _check(item)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise UnsafeValueError(f"mapping keys must be text, got {type(key).__name__}")
            _check(item)
        return
    raise UnsafeValueError(f"cannot write a value of type {type(value).__name__}")


def python_literal(value: Any) -> str:
    """A Python expression that evaluates to ``value`` (``ast.literal_eval`` can read it)."""
    _check(value)  # the whole value, once, before any of it is written
    return _python_expression(value)


def _python_expression(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(_python_expression, value)) + "]"
    if isinstance(value, Mapping):
        items = (f"{_python_expression(k)}: {_python_expression(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    # repr() of None/bool/int/str is a literal; for str it escapes quotes, backslashes,
    # line breaks and every non-printable character.
    return repr(value)


def _yaml_float(value: float) -> str:
    """PyYAML (YAML 1.1) reads a number as a float only with a dot: 1e+16 would be text."""
    text = repr(value)
    if "." not in text and "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def _json_flow(value: Any) -> str:
    if isinstance(value, float):
        return _yaml_float(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_json_flow(item) for item in value) + "]"
    if isinstance(value, Mapping):
        items = (f"{json.dumps(k, ensure_ascii=False)}: {_json_flow(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    return json.dumps(value, ensure_ascii=False)


def yaml_value(value: Any) -> str:
    """A YAML flow value equal to ``value`` (JSON syntax, which YAML reads as is)."""
    _check(value)
    text = _json_flow(value)
    if text.isascii() and "\x7f" not in text:  # json.dumps escaped every other control
        return text
    return "".join(map(_yaml_safe_char, text))


def _compose_text(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, (list, tuple)):
        return [_compose_text(item) for item in value]
    return value


def compose_value(value: Any) -> str:
    """``yaml_value`` for a docker-compose file (``lmsbridge_compose``): Compose replaces
    ``$NAME`` in every value of the file with the host's environment, so a ``$`` is doubled
    (``$$``, which Compose turns back into one) and reaches the container as written."""
    return yaml_value(_compose_text(value))


def json_value(value: Any) -> str:
    """A JSON document equal to ``value``, on one line (Jinja filter ``lmsbridge_json``, for
    the plugin's secrets file). Every non-ASCII character is a \\u escape, so the file reads
    the same whatever the reader's locale."""
    _check(value)
    return json.dumps(value, ensure_ascii=True, allow_nan=False)
