"""core/derived_secrets.py: each per-app secret is an HMAC of the seed and a label."""

from __future__ import annotations

import hashlib
import hmac

from tutor_lmsbridge.core.derived_secrets import SECRET_LENGTH, derive_secret


def test_a_secret_is_the_hmac_of_its_app_and_purpose_under_the_seed() -> None:
    expected = hmac.new(b"seed", b"lmsbridge/mitxonline/client-secret", hashlib.sha256)
    assert derive_secret("seed", "mitxonline", "client-secret") == expected.hexdigest()[:48]


def test_secrets_are_stable_and_change_with_each_input() -> None:
    secret = derive_secret("seed", "app", "token")
    assert secret == derive_secret("seed", "app", "token")  # every `tutor config save`
    assert len(secret) == SECRET_LENGTH == 48
    assert int(secret, 16) >= 0  # hexadecimal: safe in a URL, a .env file and YAML
    others = {
        derive_secret("other seed", "app", "token"),
        derive_secret("seed", "other", "token"),
        derive_secret("seed", "app", "secret"),
    }
    assert secret not in others
    assert len(others) == 3
