"""Keep secrets out of what the plugin prints: every command but `credentials` masks them."""

from __future__ import annotations

import re

from ..core.plan import Plan

MASK = "********"


def secret_values(plan: Plan) -> list[str]:
    """Every secret the plan carries: the values of the catalog's secret keys (the seed,
    client secrets, tokens, API keys, sync secrets), longest first so masking is not partial."""
    return [value for value in plan.bridge.secrets if value]


def mask(text: str, secrets: list[str]) -> str:
    """Replace each secret where it stands as a whole token (also in its escaped, quoted
    form), so that a short secret never mangles the words around it."""
    for secret in secrets:
        for form in dict.fromkeys((secret, repr(secret)[1:-1])):
            pattern = rf"(?<![A-Za-z0-9_\-]){re.escape(form)}(?![A-Za-z0-9_\-])"
            text = re.sub(pattern, MASK, text)
    return text
