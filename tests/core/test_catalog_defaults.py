"""The key catalog's literal defaults are valid values of their own keys: an operator who
never sets a key gets a value its own rules accept, and parsing keeps it as declared."""

from __future__ import annotations

import pytest

from tutor_lmsbridge.core import value_types as kinds
from tutor_lmsbridge.core.config_values import parse
from tutor_lmsbridge.core.errors import ConfigError
from tutor_lmsbridge.core.keys import APP_KEYS, GLOBAL_KEYS, Key

LITERAL_DEFAULTS = [
    spec
    for spec in GLOBAL_KEYS + APP_KEYS
    if spec.kind.literal
    and spec.kind not in (kinds.URL, kinds.ENDPOINT)
    and isinstance(spec.default, str)
    and spec.default
]


def test_the_catalog_has_literal_defaults() -> None:
    # COMPANION_AUTH_REQUIREMENT at least: an empty list would make the test below vacuous.
    assert "COMPANION_AUTH_REQUIREMENT" in {spec.setting for spec in LITERAL_DEFAULTS}


@pytest.mark.parametrize("spec", LITERAL_DEFAULTS, ids=lambda spec: spec.setting)
def test_literal_default_is_valid_and_kept_as_is(spec: Key) -> None:
    name = spec.name("app") if spec.per_app else spec.name()
    assert kinds.PARSERS[spec.kind](name, spec.default, spec.rules) == spec.default
    assert parse(name, spec, spec.default) == spec.default


def test_a_value_other_than_the_default_is_still_checked() -> None:
    spec = next(s for s in GLOBAL_KEYS if s.setting == "COMPANION_AUTH_REQUIREMENT")
    with pytest.raises(ConfigError, match="not allowed"):
        parse(spec.name(), spec, spec.default + " ; rm -rf /")
