"""Glue between Tutor's template renderer and the pure core.

Templates call ``lmsbridge_plan()`` to get the Plan for the configuration they are rendered
with, and pass every value through ``lmsbridge_py`` or ``lmsbridge_yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
import jinja2
from tutor import exceptions, hooks

from ..core.errors import ConfigError, Syntax
from ..core.pipeline import plan_for
from ..core.plan import Plan
from ..core.presets import BUILTIN_PRESETS, Preset
from ..core.secret_store import SecretStore, secret_store
from ..hooks import Filters
from ..output.handovers import BUILTIN_HANDOVERS, Handover


@hooks.lru_cache
def presets() -> dict[str, Preset]:
    """Ours, then those other plugins add through LMSBRIDGE_PRESETS (computed once per set
    of loaded plugins: Tutor clears the cache when one is loaded)."""
    added = Filters.LMSBRIDGE_PRESETS.apply(list(BUILTIN_PRESETS))
    return {preset.name: preset for preset in added if isinstance(preset, Preset)}


@hooks.lru_cache
def handovers() -> dict[str, Handover]:
    """Ours, then those other plugins add through LMSBRIDGE_HANDOVERS (as ``presets``)."""
    added = Filters.LMSBRIDGE_HANDOVERS.apply(list(BUILTIN_HANDOVERS))
    return {each.name: each for each in added if isinstance(each, Handover)}


def plan_of(config: Mapping[str, Any]) -> Plan:
    """The Plan, with the presets and handover profiles of the loaded plugins (raises
    ConfigError)."""
    return plan_for(config, presets(), handovers())


class Gate:
    """The verdict on the configuration the running command loaded (CONFIG_LOADED), and
    whether the command was refused for it (then the closing warning is not repeated).
    ``unloading``: `plugins disable` is listing our template target to remove it, which
    renders nothing and must work whatever the configuration."""

    judged: bool = False
    error: ConfigError | None = None
    refused: bool = False
    unloading: bool = False


def tutor_plan(config: Mapping[str, Any]) -> Plan:
    """The Plan, or a TutorError with one line naming the key and the fix."""
    try:
        return plan_of(config)
    except ConfigError as exc:
        Gate.refused = True
        raise exceptions.TutorError(exc.text(command_syntax(), "lmsbridge: ")) from None


def command_syntax() -> Syntax:
    """How the running command takes values, so that fixes are given in its syntax."""
    context = click.get_current_context(silent=True)
    path = context.command_path if context is not None else ""
    if path.endswith("lmsbridge set"):
        return "lmsbridge-set"
    return "config-save"


@jinja2.pass_context
def plan_from_template(context: jinja2.runtime.Context) -> Plan:
    """Jinja global ``lmsbridge_plan()``: the Plan of the configuration being rendered."""
    return tutor_plan(context.get_all())


@jinja2.pass_context
def secrets_from_template(context: jinja2.runtime.Context) -> SecretStore:
    """Jinja global ``lmsbridge_secrets()``: the settings data without its secrets, and the
    secrets file (core/secret_store.py), for the configuration being rendered."""
    return secret_store(tutor_plan(context.get_all()))
