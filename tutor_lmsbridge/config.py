"""Every global LMSBRIDGE_* key and its default, in one place (no Tutor import).

Per-app keys (``LMSBRIDGE_<APP>_<SETTING>``) cannot be declared in advance because app names
are the operator's; their defaults come from the preset and are documented in the README.
"""

from __future__ import annotations

from typing import Any

from .presets import COMPANION_AUTH_REQUIREMENT

# Written nowhere (CONFIG_DEFAULTS): Tutor serves them until the operator sets a value.
DEFAULTS: dict[str, Any] = {
    "APPS": [],
    # true: the first MITx app whose client is set; false: off; or an app name. (A bool, not
    # "auto": Tutor re-renders every string config value on each load.)
    "LOGIN_REDIRECT": True,
    "LOGIN_REDIRECT_ALLOW": [],
    "AUTHN_MFE_BYPASS": True,
    "ALLOW_PUBLIC_ACCOUNT_CREATION": True,
    "SKIP_EMAIL_VALIDATION": True,
    "REGISTRATION_FIELDS": {"country": "hidden"},
    "COMPANION_AUTH_REQUIREMENT": COMPANION_AUTH_REQUIREMENT,
}

# Generated once and kept in config.yml (CONFIG_UNIQUE): the seed every per-app secret that
# Open edX generates (API client secrets, service tokens) is derived from.
UNIQUE: dict[str, Any] = {
    "SECRET_SEED": "{{ 48|random_string }}",
}

# Tutor core values we change: none. (Never put a secret here: Tutor prints overrides.)
OVERRIDES: dict[str, Any] = {}
