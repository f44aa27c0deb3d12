"""Glue between Tutor's template renderer and the pure core.

Templates call ``lmsbridge_plan()`` to get the Plan for the configuration they are rendered
with, and pass every value through ``lmsbridge_py`` or ``lmsbridge_yaml``. Tutor renders
dozens of files per ``config save`` with the same configuration, so the plan is memoised on
the configuration values it depends on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jinja2

from .apps import read_bridge
from .config_reader import PREFIX
from .plan import Plan, build_plan

# Tutor core values the model reads.
PLATFORM_KEYS = ("LMS_HOST", "ENABLE_HTTPS")

_cache: dict[str, Plan] = {}


def relevant_config(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k.startswith(PREFIX) or k in PLATFORM_KEYS}


def plan_for(config: Mapping[str, Any]) -> Plan:
    """The Plan for a configuration (raises ConfigError when it is invalid)."""
    relevant = relevant_config(config)
    cache_key = json.dumps(relevant, sort_keys=True, default=repr)
    plan = _cache.get(cache_key)
    if plan is None:
        plan = build_plan(read_bridge(relevant))
        _cache.clear()  # one configuration at a time is all a Tutor process renders
        _cache[cache_key] = plan
    return plan


@jinja2.pass_context
def plan_from_template(context: jinja2.runtime.Context) -> Plan:
    """Jinja global ``lmsbridge_plan()``: the Plan of the configuration being rendered."""
    return plan_for(context.get_all())
