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

from ..core.keys import PREFIX, spec_for

_ORIGINAL: list[Callable[[str], tuple[str, Any] | None]] = []
# Tutor renders each string value of its configuration as a Jinja template, on every load.
_JINJA_MARKERS = ("{{", "{%", "{#")


def parse_key_value(text: str) -> tuple[str, Any] | None:
    key, sep, value = text.partition("=")
    if not sep or not key.startswith(PREFIX):
        return _ORIGINAL[0](text)
    if any(marker in value for marker in _JINJA_MARKERS):
        # Said without the value: it may be a secret.
        raise click.BadParameter(
            f"{key}: Tutor renders configuration values as Jinja templates, so a value cannot "
            "contain '{{', '{%' or '{#'. Fix: use a value without them"
        )
    spec = spec_for(key)
    if spec is not None and spec.kind.literal:
        return key, value
    try:
        return _ORIGINAL[0](text)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError):
        return key, value


def install() -> None:
    """Route Tutor's KEY=VALUE parsing through ours (once per process)."""
    if not _ORIGINAL:
        _ORIGINAL.append(serialize.parse_key_value)
        serialize.parse_key_value = parse_key_value
