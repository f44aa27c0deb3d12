"""Sample configurations shared by the tests, the demo and the benchmarks."""

from __future__ import annotations

from typing import Any

PLATFORM: dict[str, Any] = {
    "LMS_HOST": "local.openedx.io",
    "CMS_HOST": "studio.local.openedx.io",
    "ENABLE_HTTPS": False,
    "LMSBRIDGE_SECRET_SEED": "seed-for-tests-0123456789abcdef-0123456789",
}

MITXONLINE: dict[str, Any] = {
    "LMSBRIDGE_APPS": ["mitxonline"],
    "LMSBRIDGE_MITXONLINE_URL": "http://mitxonline.odl.local:8013",
    "LMSBRIDGE_MITXONLINE_INTERNAL_URL": "http://172.22.0.1:8013",
    "LMSBRIDGE_MITXONLINE_CLIENT_ID": "mitxonline-client-id",
    "LMSBRIDGE_MITXONLINE_CLIENT_SECRET": "mitxonline-client-secret-value",
}

MITXPRO: dict[str, Any] = {
    "LMSBRIDGE_APPS": ["mitxpro"],
    "LMSBRIDGE_MITXPRO_URL": "http://xpro.odl.local:8053",
    "LMSBRIDGE_MITXPRO_BACKEND": "mitxpro-oauth2",
    "LMSBRIDGE_MITXPRO_CLIENT_ID": "mitxpro-client-id",
    "LMSBRIDGE_MITXPRO_CLIENT_SECRET": "mitxpro-client-secret-value",
}

OIDC: dict[str, Any] = {
    "LMSBRIDGE_APPS": ["sso"],
    "LMSBRIDGE_SSO_PRESET": "oidc",
    "LMSBRIDGE_SSO_URL": "https://sso.example.edu/realms/learn",
    "LMSBRIDGE_SSO_CLIENT_ID": "openedx",
    "LMSBRIDGE_SSO_CLIENT_SECRET": "oidc-secret-value",
}

KEYCLOAK: dict[str, Any] = {
    "LMSBRIDGE_APPS": ["keycloak"],
    "LMSBRIDGE_KEYCLOAK_PRESET": "oauth2",
    "LMSBRIDGE_KEYCLOAK_URL": "https://sso.example.com/realms/edu",
    "LMSBRIDGE_KEYCLOAK_BACKEND": "keycloak",
    "LMSBRIDGE_KEYCLOAK_BACKEND_CLASS": "social_core.backends.keycloak.KeycloakOAuth2",
    "LMSBRIDGE_KEYCLOAK_CLIENT_ID": "openedx",
    "LMSBRIDGE_KEYCLOAK_CLIENT_SECRET": "keycloak-secret-value",
    "LMSBRIDGE_KEYCLOAK_AUTHORIZATION_URL": "https://sso.example.com/realms/edu/protocol/openid-connect/auth",
    "LMSBRIDGE_KEYCLOAK_ACCESS_TOKEN_URL": "https://sso.example.com/realms/edu/protocol/openid-connect/token",
    "LMSBRIDGE_KEYCLOAK_OTHER_SETTINGS": {"PUBLIC_KEY": "MIIBIjANBgkq"},
}


RICHIE: dict[str, Any] = {
    "LMSBRIDGE_APPS": ["richie"],
    "LMSBRIDGE_RICHIE_URL": "https://richie.local.openedx.io",
    "LMSBRIDGE_RICHIE_INTERNAL_URL": "http://richie:8000",
}


def combine(*configs: dict[str, Any]) -> dict[str, Any]:
    """Several sample apps at once (their LMSBRIDGE_APPS lists are joined)."""
    merged: dict[str, Any] = {}
    apps: list[str] = []
    for config in configs:
        merged.update(config)
        apps.extend(config.get("LMSBRIDGE_APPS", []))
    merged["LMSBRIDGE_APPS"] = apps
    return merged


def several_apps(count: int) -> dict[str, Any]:
    """``count`` connected apps named app1, app2... (scale tests and benchmarks): the two
    MITx presets with both directions, then alternately a MITx-like app used only as an API
    client and an OpenID Connect provider (its own backend name: the app's)."""
    config: dict[str, Any] = {"LMSBRIDGE_APPS": [f"app{i}" for i in range(1, count + 1)]}
    for i in range(1, count + 1):
        prefix = f"LMSBRIDGE_APP{i}_"
        config[prefix + "URL"] = f"https://app{i}.example.com"
        if i <= 2:
            config[prefix + "PRESET"] = "mitxonline" if i == 1 else "mitxpro"
            config[prefix + "BACKEND"] = "ol-oauth2" if i == 1 else "mitxpro-oauth2"
        elif i % 2:
            config[prefix + "PRESET"] = "mitxonline"
            config[prefix + "LOGIN_PROVIDER"] = False
            continue
        else:
            config[prefix + "PRESET"] = "oidc"
        config[prefix + "CLIENT_ID"] = f"client-{i}"
        config[prefix + "CLIENT_SECRET"] = f"secret-{i}"
    return config
