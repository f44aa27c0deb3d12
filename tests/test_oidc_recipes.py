"""The OpenID Connect recipes of docs/recipes.rst work as written: each is run through the
real `tutor lmsbridge set`, then passes `check`, and `credentials` prints what the provider
registers."""

from __future__ import annotations

from pathlib import Path

import pytest

from .support.doc_commands import apply_recipe
from .support.doc_commands import recipes as doc_recipes


def recipes() -> dict[str, list[str]]:
    return doc_recipes("oidc")


def test_the_recipes_page_has_the_five_recipes() -> None:
    assert sorted(recipes()) == ["auth0", "entra", "google", "okta", "staffsso"]


@pytest.mark.parametrize("app", sorted(recipes()))
def test_recipe_renders_and_passes_check(app: str, tmp_path: Path) -> None:
    exported = apply_recipe(tmp_path, app, recipes()[app])
    registration = exported["registration"]
    assert registration["redirect_uri"] == f"http://local.openedx.io/auth/complete/{app}/"
    assert registration["logout_url"] == "http://local.openedx.io/logout"
    settings = (tmp_path / "env/apps/openedx/settings/lms/production.py").read_text()
    assert f"lmsbridge_openedx.oidc.OIDC_{app}" in settings
    requirements = (tmp_path / "env/build/openedx/lmsbridge/image/requirements.txt").read_text()
    assert "/openedx/lmsbridge/openedx_plugin" in requirements
    assert (
        tmp_path / "env/build/openedx/lmsbridge/image/openedx_plugin/lmsbridge_openedx/oidc.py"
    ).exists()


# What each provider's documentation says it sends (docs/recipes.rst says it beside each recipe).
SENDS_EMAIL_VERIFIED = {"staffsso": True, "okta": True, "google": True, "auth0": True}


@pytest.mark.parametrize("app", sorted(recipes()))
def test_recipe_states_its_link_policy_and_takes_no_unverified_email(app: str) -> None:
    """Every recipe sets LINK_BY_EMAIL to what its provider can back: ``verified`` where it
    sends email_verified, ``never`` for Entra ID (no email_verified; its UPN is no verified
    email, so the email comes only from the ``email`` optional claim)."""
    words = dict(word.split("=", 1) for word in recipes()[app] if "=" in word)
    prefix = f"LMSBRIDGE_{app.upper()}_"
    expected = "verified" if SENDS_EMAIL_VERIFIED.get(app) else "never"
    assert words[prefix + "LINK_BY_EMAIL"] == expected
    assert words.get(prefix + "EMAIL_CLAIM", "email") == "email"
    assert prefix + "ENABLE_SSO_ID_VERIFICATION" not in words
    assert prefix + "SKIP_EMAIL_VERIFICATION" not in words  # its default follows the policy
