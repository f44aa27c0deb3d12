"""The README's OpenID Connect recipes work as written: each is run through the real `tutor
lmsbridge set`, then passes `check`, and `credentials` prints what the provider registers."""

from __future__ import annotations

from pathlib import Path

import pytest

from .support.readme_recipes import apply_recipe
from .support.readme_recipes import recipes as readme_recipes


def recipes() -> dict[str, list[str]]:
    return readme_recipes("oidc")


def test_the_readme_has_the_five_recipes() -> None:
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
