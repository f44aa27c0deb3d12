"""core/backend_classes.py: what the oauth2 preset asks of a backend class, read off the real
social-auth-core classes."""

from __future__ import annotations

import pytest

from tutor_lmsbridge.core.backend_classes import BackendClass, inspect_backend, load_class


def test_a_class_that_defines_its_endpoints_needs_nothing_more() -> None:
    assert inspect_backend("social_core.backends.github.GithubOAuth2", "github") == (
        BackendClass(True, "", ())
    )


def test_settings_read_without_a_default_are_required() -> None:
    """Keycloak's class leaves both endpoints to settings and reads PUBLIC_KEY itself
    (social_core/backends/keycloak.py: ``self.setting("PUBLIC_KEY")``)."""
    found = inspect_backend("social_core.backends.keycloak.KeycloakOAuth2", "keycloak")
    assert found.problem == ""
    assert found.required_settings == ("AUTHORIZATION_URL", "ACCESS_TOKEN_URL", "PUBLIC_KEY")
    generic_oidc = inspect_backend("social_core.backends.open_id_connect.OpenIdConnectAuth", "oidc")
    assert generic_oidc.required_settings == ("OIDC_ENDPOINT",)


def test_a_class_must_carry_the_configured_name() -> None:
    found = inspect_backend("social_core.backends.github.GithubOAuth2", "gh")
    assert found.problem == "is named 'github', not 'gh'"
    assert found.kind_problem == ""  # an OAuth2 backend all the same


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("social_core.backends.twitter.TwitterOAuth", "is not an OAuth2 backend"),
        ("social_core.backends.utils.load_backends", "not a class at all"),
    ],
)
def test_what_is_no_oauth2_backend_says_so(path: str, kind: str) -> None:
    found = inspect_backend(path, "x")
    assert found.importable
    assert kind in found.problem
    assert found.problem == found.kind_problem


def test_a_class_only_the_image_has_is_not_importable_here() -> None:
    assert load_class("acme_social.backends.AcmeOAuth2") is None
    assert load_class("social_core.backends.github.NoSuchClass") is None
    assert inspect_backend("acme_social.backends.AcmeOAuth2", "acme") == BackendClass(False, "", ())
