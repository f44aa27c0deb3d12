"""The AppValues a reader module gets, built as read_bridge builds it, for the unit tests of
one reader (core/read_*.py) at a time."""

from __future__ import annotations

from typing import Any

from tutor_lmsbridge.core.config_values import AppValues, ConfigValues
from tutor_lmsbridge.core.connected_apps import Platform
from tutor_lmsbridge.core.presets import PRESETS

from ..support.samples import PLATFORM


def app_values(
    config: dict[str, Any], name: str, preset: str | None = None, https: bool = False
) -> AppValues:
    """The values of app ``name`` (its preset named by its key, or by its name) on the
    platform of tests/support/samples.py."""
    full = {**PLATFORM, **config}
    chosen = PRESETS[preset or full.get(f"LMSBRIDGE_{name.upper()}_PRESET", name)]
    platform = Platform(full["LMS_HOST"], https=https)
    return ConfigValues(full).app(name, chosen, platform, full["LMSBRIDGE_SECRET_SEED"])
