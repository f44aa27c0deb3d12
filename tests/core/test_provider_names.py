"""The OIDC login button's default text: the provider's own name where the issuer says it."""

from __future__ import annotations

import pytest

from tutor_lmsbridge.core.provider_names import NAME_LENGTH, provider_name
from tutor_lmsbridge.core.read_bridge import read_bridge
from tutor_lmsbridge.core.url_values import parse_base_url

from ..support.samples import KEYCLOAK, OIDC, PLATFORM


def button(url: str, **overrides: str) -> str:
    bridge = read_bridge({**PLATFORM, **OIDC, "LMSBRIDGE_SSO_URL": url, **overrides})
    provider = bridge.apps[0].provider
    assert provider is not None
    return provider.title


@pytest.mark.parametrize(
    ("issuer", "name"),
    [
        ("https://accounts.google.com", "Google"),
        (
            "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
            "Microsoft",
        ),
        ("https://sts.windows.net/9188040d-6c67-4c5b-b112-36a304b66dad/", "Microsoft"),
        ("https://dev-123456.okta.com/oauth2/default", "Okta"),
        ("https://example.oktapreview.com", "Okta"),
        ("https://example.eu.auth0.com/", "Auth0"),
        ("https://sso.example.edu/realms/learn", "learn"),
        ("https://sso.example.edu/auth/realms/Staff%20Login", "Staff Login"),
        # Look-alikes are not the service.
        ("https://accounts.google.com.example.net", "Single sign-on"),
        ("https://notokta.com", "Single sign-on"),
        ("https://id.example.com/realms/", "Single sign-on"),
        ("https://id.example.com", "Single sign-on"),
    ],
)
def test_default_button_is_the_providers_own_name(issuer: str, name: str) -> None:
    assert button(issuer) == name


def test_a_long_realm_name_fits_the_provider_name_column() -> None:
    assert button("https://sso.example.edu/realms/" + "r" * 80) == "r" * 50


def test_the_operators_name_wins() -> None:
    assert button("https://accounts.google.com", LMSBRIDGE_SSO_PROVIDER_NAME="Staff") == "Staff"


def test_other_presets_keep_their_title() -> None:
    # The oauth2 preset's URL is a Keycloak realm too, but the button stays the preset's
    # title: its class, not discovery, names the provider.
    bridge = read_bridge({**PLATFORM, **KEYCLOAK})
    assert bridge.apps[0].provider is not None
    assert bridge.apps[0].provider.title == "Single sign-on"


def test_provider_name_reads_the_issuer_alone() -> None:
    def named(url: str) -> str:
        return provider_name(parse_base_url("KEY", url), "fallback")

    assert provider_name(None, "fallback") == "fallback"
    assert named("https://login.microsoftonline.us/tenant/v2.0") == "Microsoft"
    assert named("https://gitlab.com") == "GitLab"
    assert named("https://id.example.com/realms/%20") == "fallback"  # a blank realm
    assert named("https://id.example.com/realms/a%0Ab") == "fallback"  # not printable
    assert named("https://id.example.com/realms/" + "x" * 99) == "x" * NAME_LENGTH
