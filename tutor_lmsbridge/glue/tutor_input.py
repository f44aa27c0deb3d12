"""How ``KEY=VALUE`` arguments become values, for our keys.

Tutor parses every ``--set KEY=VALUE`` as YAML. For pasted credentials that is wrong:
``0123`` becomes 83, ``0x1F`` 31, ``abc #def`` ``abc``, and ``*abc`` or ``2099-13-45`` end in
a traceback. So for ``LMSBRIDGE_*`` keys, ``tutor config save --set`` and ``tutor lmsbridge
set`` agree with the key catalog instead: a value of a literal kind (text, secret, URL, date)
is kept exactly as typed; only booleans, integers, lists and mappings are parsed as YAML, and
YAML that does not parse stays text, for validation to name the key. Other keys keep Tutor's
own parsing, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
import yaml
from tutor import serialize

from ..core import value_types as kinds
from ..core.errors import ConfigError
from ..core.keys import PREFIX, spec_for
from ..core.url_values import user_info_error

# List keys whose items are URLs.
URL_LISTS = frozenset({"REDIRECT_URIS"})

_ORIGINAL: list[Callable[[str], tuple[str, Any] | None]] = []
# Tutor renders each string value of its configuration as a Jinja template, on every load.
_JINJA_MARKERS = ("{{", "{%", "{#")


def read_assignment(text: str) -> tuple[str, Any] | ConfigError | None:
    """``KEY=VALUE`` as Tutor's parser would give it (None: not KEY=VALUE), with the
    catalog's kinds for our keys; or the ConfigError of a value refused before it is
    stored: it would land in config.yml before the configuration is judged (FACTS.md §5), and
    there it would stay. Such errors never show the value (it may be a secret)."""
    key, sep, value = text.partition("=")
    if sep and key != key.upper() and key.upper().startswith(PREFIX):
        return ConfigError(
            key,
            f"keys are case-sensitive and the plugin reads only {key.upper()}, so this one "
            "would be ignored",
            f"spell it {key.upper()}",
        )
    if not sep or not key.startswith(PREFIX):
        return _ORIGINAL[0](text)
    if any(marker in value for marker in _JINJA_MARKERS):
        return ConfigError(
            key,
            "Tutor renders configuration values as Jinja templates, so a value cannot "
            "contain '{{', '{%' or '{#'",
            "use a value without them",
        )
    spec = spec_for(key)
    parsed: Any = value
    if spec is None or not spec.kind.literal:
        try:
            parsed = _ORIGINAL[0](text)[1]  # type: ignore[index]
        except (yaml.YAMLError, ValueError, TypeError, OverflowError):
            parsed = value
    if spec is not None and (spec.kind in (kinds.URL, kinds.ENDPOINT) or spec.setting in URL_LISTS):
        error = user_info_error(key, parsed)
        if error is not None:
            return error
    return key, parsed


def parse_key_value(text: str) -> tuple[str, Any] | None:
    """Tutor's ``serialize.parse_key_value``, for ``--set`` options: a value refused here
    stops ``tutor config save`` before it writes config.yml."""
    result = read_assignment(text)
    if isinstance(result, ConfigError):
        raise click.BadParameter(result.line("config-save"))
    return result


def install() -> None:
    """Route Tutor's KEY=VALUE parsing through ours (once per process)."""
    if not _ORIGINAL:
        _ORIGINAL.append(serialize.parse_key_value)
        serialize.parse_key_value = parse_key_value
