"""The login button's default text for an OpenID Provider: the provider's own name, read off
its issuer URL where a well-known service or a Keycloak realm says it (no network: the
discovery document is not fetched at save time, and it names no provider anyway)."""

from __future__ import annotations

import re
from urllib.parse import unquote

from .url_values import BaseUrl

# Hosted providers by the issuer's host (the host itself, or a domain it is under).
_HOSTED = (
    ("accounts.google.com", "Google"),
    ("login.microsoftonline.com", "Microsoft"),  # Entra ID
    ("login.microsoftonline.us", "Microsoft"),  # Entra ID, US Government cloud
    ("sts.windows.net", "Microsoft"),  # Entra ID v1 issuers
    ("okta.com", "Okta"),
    ("oktapreview.com", "Okta"),
    ("okta-emea.com", "Okta"),
    ("auth0.com", "Auth0"),
    ("gitlab.com", "GitLab"),
    ("salesforce.com", "Salesforce"),
)
# Keycloak's issuer is <base>/realms/<realm> (<base>/auth/realms/<realm> before Keycloak 17).
_KEYCLOAK_REALM = re.compile(r"(?:^|/)realms/([^/]+)$")
NAME_LENGTH = 50  # ProviderConfig.name's max_length


def provider_name(issuer: BaseUrl | None, fallback: str) -> str:
    """The provider's own name from ``issuer``, else ``fallback`` (the preset's title)."""
    if issuer is None:
        return fallback
    for domain, name in _HOSTED:
        if issuer.host == domain or issuer.host.endswith("." + domain):
            return name
    realm = _KEYCLOAK_REALM.search(issuer.path)
    if realm is not None:
        name = unquote(realm.group(1)).strip()
        if name and name.isprintable():
            return name[:NAME_LENGTH]
    return fallback
