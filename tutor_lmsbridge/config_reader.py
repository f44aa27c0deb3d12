"""Typed, validating access to the ``LMSBRIDGE_*`` values of a Tutor configuration.

Tutor hands plugins a plain mapping whose values come from YAML (``--set`` values are parsed
as YAML). This reader turns each value into the type the model needs or raises a one-line
ConfigError naming the key, and remembers which keys it read so that unknown keys can be
reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .errors import ConfigError, show_value

PREFIX = "LMSBRIDGE_"

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class ConfigReader:
    """Reads one configuration mapping; every getter validates and records the key."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = values
        self.read_keys: set[str] = set()

    def _get(self, key: str) -> Any:
        self.read_keys.add(key)
        return self._values.get(key)

    def is_set(self, key: str) -> bool:
        """True when the operator gave the key a non-empty value."""
        value = self._get(key)
        return value is not None and value != "" and value != [] and value != {}

    def raw(self, key: str) -> Any:
        """The value as Tutor holds it (for keys whose getter accepts several types)."""
        return self._get(key)

    def platform(self, key: str) -> Any:
        """A Tutor core value (LMS_HOST, ENABLE_HTTPS...), read without validation."""
        return self._values.get(key)

    def text(
        self,
        key: str,
        default: str,
        *,
        secret: bool = False,
        pattern: str | None = None,
        max_length: int | None = None,
        fix: str = "give a single-line text value",
    ) -> str:
        """A single-line string; ``default`` when unset. Numbers are accepted as text."""
        value = self._get(key)
        if value is None or value == "":
            value = default
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            shown = "a value of another type" if secret else show_value(value)
            raise ConfigError(key, f"expected text, got {shown}", fix)
        text = str(value)
        shown = "the value" if secret else show_value(text)
        if _CONTROL_RE.search(text):
            raise ConfigError(key, f"{shown} contains a line break or control character", fix)
        if max_length is not None and len(text) > max_length:
            raise ConfigError(
                key, f"{shown} is {len(text)} characters, Open edX accepts {max_length}", fix
            )
        if text and pattern is not None and not re.fullmatch(pattern, text):
            raise ConfigError(key, f"{shown} has characters that are not allowed", fix)
        return text

    def flag(self, key: str, default: bool) -> bool:
        value = self._get(key)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        raise ConfigError(
            key, f"expected true or false, got {show_value(value)}", "set it to true or false"
        )

    def text_list(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        """A list of single-line strings (a lone string is taken as a one-item list)."""
        value = self._get(key)
        if value is None or value == "":
            return default
        if isinstance(value, str):
            value = [value]
        fix = f"give a YAML list, e.g. --set '{key}=[first, second]'"
        if not isinstance(value, list):
            raise ConfigError(key, f"expected a list, got {show_value(value)}", fix)
        items: list[str] = []
        for item in value:
            if not isinstance(item, str) or _CONTROL_RE.search(item) or not item:
                raise ConfigError(
                    key, f"list item {show_value(item)} is not a single-line text", fix
                )
            items.append(item)
        return tuple(items)

    def text_map(self, key: str, default: Mapping[str, str]) -> dict[str, str]:
        """A mapping of single-line strings to single-line strings."""
        value = self._get(key)
        if value is None or value == "":
            return dict(default)
        fix = f"give a YAML mapping, e.g. --set '{key}={{name: value}}'"
        if not isinstance(value, dict):
            raise ConfigError(key, f"expected a mapping, got {show_value(value)}", fix)
        result: dict[str, str] = {}
        for name, item in value.items():
            if isinstance(item, bool) or not isinstance(item, (str, int)):
                raise ConfigError(key, f"the value of {show_value(name)} must be text", fix)
            if (
                not isinstance(name, str)
                or _CONTROL_RE.search(name)
                or _CONTROL_RE.search(str(item))
            ):
                raise ConfigError(key, f"entry {show_value(name)} is not single-line text", fix)
            result[name] = str(item)
        return result

    def unread_keys(self) -> list[str]:
        """The ``LMSBRIDGE_*`` keys present in the configuration that nothing read."""
        return sorted(k for k in self._values if k.startswith(PREFIX) and k not in self.read_keys)
