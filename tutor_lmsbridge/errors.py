"""The one error type the core raises for bad configuration.

Every message is a single line that names the offending key and says how to fix it; it
never contains the value of a secret (callers pass ``shown`` only for non-secret values).
"""

from __future__ import annotations

_MAX_SHOWN = 60


def _one_line(text: str) -> str:
    return " ".join(text.split())


def show_value(value: object) -> str:
    """A short, single-line, quoted rendering of a non-secret value for messages."""
    text = _one_line(repr(value))
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


class ConfigError(ValueError):
    """A configuration value the plugin cannot use."""

    def __init__(self, key: str, problem: str, fix: str) -> None:
        self.key = key
        self.problem = _one_line(problem)
        self.fix = _one_line(fix)
        super().__init__(f"{key}: {self.problem}. Fix: {self.fix}")
