"""Keep secrets out of what the plugin prints: every command but `credentials` masks them."""

from __future__ import annotations

import re

from .plan import Plan

MASK = "********"


def secret_values(plan: Plan, seed: str = "") -> list[str]:
    """Every secret the plan carries (longest first, so that masking is not partial)."""
    values = {seed}
    values.update(a.client_secret for a in plan.applications)
    values.update(t.token for t in plan.tokens)
    values.update(sync.secret for sync in plan.course_sync)
    values.update(plan.lms.oauth_secrets.values())
    for app in plan.bridge.apps:
        if app.provider is not None:
            values.add(app.provider.client_secret)
        if app.catalog is not None:
            values.add(app.catalog.api_token)
            values.update(app.catalog.sync_secrets)
    return sorted((v for v in values if v), key=len, reverse=True)


def mask(text: str, secrets: list[str]) -> str:
    """Replace each secret where it stands as a whole token (also in its escaped, quoted
    form), so that a short secret never mangles the words around it."""
    for secret in secrets:
        for form in dict.fromkeys((secret, repr(secret)[1:-1])):
            pattern = rf"(?<![A-Za-z0-9_\-]){re.escape(form)}(?![A-Za-z0-9_\-])"
            text = re.sub(pattern, MASK, text)
    return text
