"""Sample configurations shared by the tests, the demo and the benchmarks."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

PLATFORM: dict[str, Any] = {
    "LMS_HOST": "local.openedx.io",
    "CMS_HOST": "studio.local.openedx.io",
    "ENABLE_HTTPS": False,
    "PLATFORM_NAME": "My Open edX",  # Tutor's default
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


# A Shibboleth IdP that publishes its metadata: the two keys an operator sets.
SHIB: dict[str, Any] = {
    "LMSBRIDGE_APPS": ["shib"],
    "LMSBRIDGE_SHIB_PRESET": "saml",
    "LMSBRIDGE_SHIB_URL": "https://idp.example.edu/idp/shibboleth",
    "LMSBRIDGE_SHIB_ENTITY_ID": "https://idp.example.edu/idp/shibboleth",
}


QUOTE = {'"': "&quot;"}


@lru_cache(maxsize=4)
def sp_private_key(name: str = "sp") -> str:
    """A fresh RSA key for the SAML SP, in the form Tutor's rsa_private_key filter gives
    (PKCS#1 PEM); one per name and process (no key material in the repository)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def saml_metadata(
    entity_id: str, sso_url: str, certificate: str = "MIIBdummy", note: str = ""
) -> str:
    """An IdP's metadata document, as ADFS or Entra ID let admins download it (``note`` is
    carried as text, escaped)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"\n'
        '    xmlns:ds="http://www.w3.org/2000/09/xmldsig#"\n'
        f'    entityID="{escape(entity_id, QUOTE)}">\n'
        "  <md:IDPSSODescriptor\n"
        '      protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n'
        f"    <md:Extensions>{escape(note)}</md:Extensions>\n"
        '    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>\n'
        f"      <ds:X509Certificate>{certificate}</ds:X509Certificate>\n"
        "    </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n"
        '    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"\n'
        f'        Location="{escape(sso_url, QUOTE)}"/>\n'
        "  </md:IDPSSODescriptor>\n"
        "</md:EntityDescriptor>\n"
    )


# An ADFS server whose metadata the operator pasted (no URL).
ADFS: dict[str, Any] = {
    "LMSBRIDGE_APPS": ["adfs"],
    "LMSBRIDGE_ADFS_PRESET": "saml",
    "LMSBRIDGE_ADFS_ENTITY_ID": "http://adfs.example.com/adfs/services/trust",
    "LMSBRIDGE_ADFS_METADATA": saml_metadata(
        "http://adfs.example.com/adfs/services/trust", "https://adfs.example.com/adfs/ls/"
    ),
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
