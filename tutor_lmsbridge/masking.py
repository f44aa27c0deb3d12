"""Keep secrets out of what the plugin prints: every command but `credentials` masks them."""

from __future__ import annotations

from .plan import Plan

MASK = "********"


def secret_values(plan: Plan, seed: str = "") -> list[str]:
    """Every secret the plan carries (longest first, so that masking is not partial)."""
    values = {seed}
    values.update(a.client_secret for a in plan.applications)
    values.update(t.token for t in plan.tokens)
    values.update(plan.lms.oauth_secrets.values())
    for app in plan.bridge.apps:
        if app.provider is not None:
            values.add(app.provider.client_secret)
    return sorted((v for v in values if v), key=len, reverse=True)


def mask(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
        # Secrets also appear escaped inside rendered literals.
        escaped = repr(secret)[1:-1]
        if escaped != secret:
            text = text.replace(escaped, MASK)
    return text
