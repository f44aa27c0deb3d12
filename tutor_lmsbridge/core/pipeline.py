"""The core's entry point: a configuration in, the Plan out (config -> Bridge -> Plan).

Tutor renders dozens of files per ``config save`` with the same configuration, so the plan
is memoised on the configuration values it depends on. The cache key keeps the mapping order
as given, and the readers sort what they return, so the same configuration gives the same
plan, and so the same bytes, whichever command rendered it.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from .connected_apps import PREFIX
from .plan import Plan, build_plan
from .presets import HANDOVER_NAMES, PRESETS, Preset
from .read_bridge import PLATFORM_KEYS, read_bridge

_cache: dict[tuple[str, tuple[Preset, ...], tuple[str, ...]], Plan] = {}


def relevant_config(values: Mapping[str, Any]) -> dict[str, Any]:
    # Keys in another case too ("lmsbridge_sso_url"), for validation to refuse them; not
    # the plugin's own template functions (lmsbridge_plan), which templates see among values.
    return {
        k: v
        for k, v in values.items()
        if k.startswith(PREFIX)
        or k in PLATFORM_KEYS
        or (k[:1] in "lL" and k[: len(PREFIX)].upper() == PREFIX and not callable(v))
    }


def plan_for(
    config: Mapping[str, Any],
    presets: Mapping[str, Preset] = PRESETS,
    handovers: Collection[str] = HANDOVER_NAMES,
) -> Plan:
    """The Plan for a configuration (raises ConfigError when it is invalid). ``handovers``:
    the names of the handover profiles the presets may name (ours and other plugins')."""
    relevant = relevant_config(config)
    cache_key = (json.dumps(relevant, default=repr), tuple(presets.values()), tuple(handovers))
    plan = _cache.get(cache_key)
    if plan is None:
        plan = build_plan(read_bridge(relevant, presets, handovers=handovers))
        _cache.clear()  # one configuration at a time is all a Tutor process renders
        _cache[cache_key] = plan
    return plan
