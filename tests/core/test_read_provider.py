"""core/read_provider.py: the login side of an OAuth2 or OpenID Connect app."""

from __future__ import annotations

from typing import Any

import pytest

from tutor_lmsbridge.core.connected_apps import IdentityProvider
from tutor_lmsbridge.core.errors import ConfigError
from tutor_lmsbridge.core.read_bridge import read_bridge
from tutor_lmsbridge.core.read_provider import (
    check_unique_backends,
    read_link_policy,
    read_oauth2_provider,
)
from tutor_lmsbridge.protocols import provider_protocol

from ..support.samples import KEYCLOAK, MITXONLINE, OIDC, PLATFORM, combine
from .app_values import app_values


def provider(
    config: dict[str, Any], name: str, **overrides: Any
) -> tuple[IdentityProvider, list[tuple[str, str]]]:
    warnings: list[tuple[str, str]] = []
    values = app_values({**config, **overrides}, name)
    protocol = provider_protocol(values.preset)
    return read_oauth2_provider(values, warnings, protocol), warnings


def test_an_oidc_app_gets_its_own_backend_and_the_issuer_as_given() -> None:
    sso, warnings = provider(OIDC, "sso", LMSBRIDGE_SSO_URL="https://id.example.com/")
    assert warnings == []
    assert sso.backend.name == "sso"
    assert sso.backend.class_path == "lmsbridge_openedx.oidc.OIDC_sso"
    assert sso.other_settings["ID_TOKEN_ISSUER"] == "https://id.example.com/"
    assert sso.other_settings["OIDC_ENDPOINT"] == "https://id.example.com"
    assert "INTERNAL_ENDPOINT" not in sso.other_settings
    assert sso.link_by_email == "verified"
    assert sso.provider_id == "oa2-sso"


def test_the_discovery_url_is_refused_with_the_issuer_as_the_fix() -> None:
    document = "https://id.example.com/realms/x/.well-known/openid-configuration"
    with pytest.raises(ConfigError) as refused:
        provider(OIDC, "sso", LMSBRIDGE_SSO_URL=document)
    assert refused.value.key == "LMSBRIDGE_SSO_URL"
    assert refused.value.example == "https://id.example.com/realms/x"


def test_scopes_without_openid_are_refused() -> None:
    with pytest.raises(ConfigError) as refused:
        provider(OIDC, "sso", LMSBRIDGE_SSO_SCOPES=["email"])
    assert refused.value.example == "[openid, email]"


def test_half_a_client_is_refused_and_none_warns() -> None:
    with pytest.raises(ConfigError) as refused:
        provider({**OIDC, "LMSBRIDGE_SSO_CLIENT_SECRET": ""}, "sso")
    assert refused.value.key == "LMSBRIDGE_SSO_CLIENT_SECRET"
    assert "set together" in refused.value.problem
    bare = {k: v for k, v in OIDC.items() if "_CLIENT_" not in k}
    sso, warnings = provider(bare, "sso")
    assert not sso.ready
    assert [key for key, _ in warnings] == ["LMSBRIDGE_SSO_CLIENT_ID"]


def test_a_mitx_client_is_generated_unless_set() -> None:
    bare = {k: v for k, v in MITXONLINE.items() if "_CLIENT_" not in k}
    generated, warnings = provider(bare, "mitxonline")
    assert generated.generated
    assert generated.ready
    assert generated.client_id.startswith("openedx-")
    assert warnings == []
    given, _ = provider(MITXONLINE, "mitxonline")
    assert not given.generated
    assert given.client_id == "mitxonline-client-id"


def test_trusted_warns_where_the_preset_does_not_vouch_for_emails() -> None:
    warnings: list[tuple[str, str]] = []
    values = app_values({**OIDC, "LMSBRIDGE_SSO_LINK_BY_EMAIL": "trusted"}, "sso")
    assert read_link_policy(values, warnings) == "trusted"
    ((key, text),) = warnings
    assert key == "LMSBRIDGE_SSO_LINK_BY_EMAIL"
    assert "Use verified" in text
    warnings.clear()
    assert read_link_policy(app_values(MITXONLINE, "mitxonline"), warnings) == "trusted"
    assert warnings == []  # the MITx apps verify every email


def test_a_generic_backend_class_is_checked() -> None:
    keycloak, _ = provider(KEYCLOAK, "keycloak")
    assert keycloak.backend.class_path == "social_core.backends.keycloak.KeycloakOAuth2"
    with pytest.raises(ConfigError) as refused:
        provider(KEYCLOAK, "keycloak", LMSBRIDGE_KEYCLOAK_BACKEND="other")
    assert refused.value.key == "LMSBRIDGE_KEYCLOAK_BACKEND_CLASS"


def test_two_apps_cannot_share_a_backend() -> None:
    second = {
        "LMSBRIDGE_APPS": ["staff"],
        **{k.replace("_SSO_", "_STAFF_"): v for k, v in OIDC.items() if k != "LMSBRIDGE_APPS"},
        "LMSBRIDGE_STAFF_BACKEND": "sso",
    }
    with pytest.raises(ConfigError) as refused:
        read_bridge({**PLATFORM, **combine(OIDC, second)})
    assert refused.value.key == "LMSBRIDGE_STAFF_BACKEND"
    assert "is already used by app 'sso'" in refused.value.problem
    apps = read_bridge({**PLATFORM, **combine(OIDC, MITXONLINE)}).apps
    check_unique_backends(apps)  # distinct backends: nothing to say
