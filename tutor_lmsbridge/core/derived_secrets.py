"""Secrets Open edX generates for connected apps, derived from one generated seed.

App names are not known when Tutor generates unique config values, so each per-app secret is
an HMAC of the seed (``LMSBRIDGE_SECRET_SEED``, a CONFIG_UNIQUE value) and a label. It is
stable across ``tutor config save`` runs and changes only when the seed does; each can be
overridden by its own key.
"""

from __future__ import annotations

import hashlib
import hmac

SECRET_LENGTH = 48


def derive_secret(seed: str, app_name: str, purpose: str) -> str:
    digest = hmac.new(seed.encode(), f"lmsbridge/{app_name}/{purpose}".encode(), hashlib.sha256)
    return digest.hexdigest()[:SECRET_LENGTH]
