"""The one error type the core raises for bad configuration, and how its fix is worded.

Every message is a single line that names the offending key and says how to fix it; it
never contains the value of a secret (callers pass ``show_value`` output only for non-secret
values). A fix that sets a key carries an example value; ``ConfigError.line`` words it in the
syntax of the command the operator ran (``tutor lmsbridge set``, ``tutor config save --set``
or an edit of ``config.yml``), so the fix can be pasted as it is.
"""

from __future__ import annotations

import shlex
from typing import Literal

_MAX_SHOWN = 60

#: How the operator gives values: `tutor lmsbridge set KEY=VALUE`, `tutor config save --set
#: KEY=VALUE`, or by editing config.yml (every other command reads it).
Syntax = Literal["lmsbridge-set", "config-save", "config-yml"]


def one_line(text: str) -> str:
    return " ".join(text.split())


def show_value(value: object) -> str:
    """A short, single-line, quoted rendering of a non-secret value for messages."""
    text = one_line(repr(value))
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def set_command(key: str, example: str, syntax: Syntax) -> str:
    """How to give ``key`` the value ``example``, in the operator's command syntax."""
    if syntax == "config-yml":
        return f"{key}: {example} in config.yml (then tutor config save)"
    assignment = shlex.quote(f"{key}={example}")
    if syntax == "config-save":
        return f"tutor config save --set {assignment}"
    return f"tutor lmsbridge set {assignment}"


def unset_command(key: str, syntax: Syntax) -> str:
    if syntax == "config-yml":
        return f"remove {key} from config.yml (then tutor config save)"
    if syntax == "config-save":
        return f"tutor config save --unset {key}"
    return f"tutor lmsbridge set --unset {key}"


class ConfigError(ValueError):
    """A configuration value the plugin cannot use.

    ``fix`` says what to do in words; ``example``, when given, is a value that would be
    accepted (``None``: no single assignment fixes it; ``""``: remove the key).
    """

    def __init__(self, key: str, problem: str, fix: str, example: str | None = None) -> None:
        self.key = key
        self.problem = one_line(problem)
        self.fix = one_line(fix)
        self.example = example
        super().__init__(self.line("lmsbridge-set"))

    def fix_text(self, syntax: Syntax) -> str:
        if self.example is None:
            return self.fix
        command = (
            unset_command(self.key, syntax)
            if self.example == ""
            else set_command(self.key, self.example, syntax)
        )
        return f"{self.fix}: {command}" if self.fix else command

    def message(self, syntax: Syntax) -> str:
        """The problem and the fix, without the key (for output that shows it apart)."""
        return f"{self.problem}. Fix: {self.fix_text(syntax)}"

    def line(self, syntax: Syntax) -> str:
        return f"{self.key}: {self.message(syntax)}"

    def each(self) -> tuple[ConfigError, ...]:
        """Every invalid key this error stands for (one, unless it is a ConfigErrors)."""
        return (self,)

    def text(self, syntax: Syntax, prefix: str = "") -> str:
        """Each invalid key on a line of its own, starting with ``prefix``."""
        return "\n".join(f"{prefix}{each.line(syntax)}" for each in self.each())


class ConfigErrors(ConfigError):
    """Several invalid keys, found in one reading of the configuration, so that the operator
    fixes them all in one go. It reads as its first error where one line is shown."""

    def __init__(self, errors: list[ConfigError]) -> None:
        first = errors[0]
        super().__init__(first.key, first.problem, first.fix, first.example)
        self.errors = tuple(errors)

    def each(self) -> tuple[ConfigError, ...]:
        return self.errors


class Collector:
    """Runs the readers of independent keys, keeping each one's ConfigError instead of
    stopping at the first; ``raise_all`` then raises them together."""

    def __init__(self) -> None:
        self.errors: list[ConfigError] = []

    def add(self, error: ConfigError) -> None:
        for each in error.each():
            if all(each.key != seen.key for seen in self.errors):  # one line per key
                self.errors.append(each)

    def raise_all(self) -> None:
        if self.errors:
            raise ConfigErrors(self.errors) if len(self.errors) > 1 else self.errors[0]
