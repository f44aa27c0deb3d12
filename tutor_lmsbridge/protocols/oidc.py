"""``oidc``: OpenID Connect, configured from the issuer's discovery document.

Each app gets its own backend class in the image (openedx_app/.../oidc.py), named after the
app, because Open edX keys provider rows on the backend name. The issuer is pinned: the
id_token's ``iss`` must equal it, and a discovery document announcing another is refused.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..core.errors import ConfigError, show_value
from ..core.presets import Backend, oidc_backend
from ..core.url_values import BaseUrl
from ..core.vocabulary import OIDC_BACKEND_NAME_RE
from .base import OAUTH2_KEYS, LoginProtocol

if TYPE_CHECKING:
    from ..core.config_values import AppValues
    from ..core.connected_apps import ConnectedApp
    from ..core.keys import AppView
    from ..core.plan import Plan
    from ..output.reports import Finding

DISCOVERY_PATH = "/.well-known/openid-configuration"


class Oidc(LoginProtocol):
    name = "oidc"
    keys = OAUTH2_KEYS | {"SCOPES", "USERNAME_CLAIM", "FULLNAME_CLAIM", "EMAIL_CLAIM"}
    # Logins are linked by email only when the provider says it verified it.
    link_default = "verified"
    consumer = True
    email_verified_claim = True

    def verifies_email(self, link_by_email: str) -> bool:
        # The operator chose to rely on the email_verified claim.
        return link_by_email == "verified"

    def default(self, app: AppView, setting: str) -> Any:
        if setting == "BACKEND":
            return app.name  # the provider id is then oa2-<app>: stable across saves
        if setting == "LOGOUT_URL":
            # <issuer>/logout is no provider's end-session endpoint (Keycloak's is
            # .../protocol/openid-connect/logout, Entra's .../oauth2/v2.0/logout): the init
            # job reads end_session_endpoint from discovery instead (LOGOUT=provider).
            return ""
        if setting == "PROVIDER_NAME" and app.preset.name == "oidc":
            # A plugin's own OIDC preset names its provider in its title (the recipe's name).
            from ..core.provider_names import provider_name

            issuer = app.get("URL")
            return provider_name(issuer if isinstance(issuer, BaseUrl) else None, app.preset.title)
        return super().default(app, setting)

    def read_backend(self, values: AppValues) -> tuple[Backend, str]:
        name: str = values.get("BACKEND")
        if not re.fullmatch(OIDC_BACKEND_NAME_RE, name):
            raise ConfigError(
                values.key("BACKEND"),
                f"{show_value(name)} cannot name an OpenID Connect backend: use lowercase "
                "letters, digits and -",
                "",
                values.name,
            )
        backend = oidc_backend(name)
        return backend, backend.requirement

    def other_settings(self, values: AppValues) -> dict[str, Any]:
        """What the in-image OpenID Connect backend reads (openedx_app/.../oidc.py)."""
        # The issuer exactly as given: the id_token's "iss" must equal it to the character
        # (Auth0's ends with "/"), and pinning it means a discovery document that announces
        # another issuer is refused instead of trusted.
        issuer = str(values.values.raw(values.key("URL"))).strip()
        endpoint = str(values.get("URL"))
        _check_issuer(values.key("URL"), issuer)
        if values.is_set("INTERNAL_URL"):
            _check_issuer(
                values.key("INTERNAL_URL"), str(values.values.raw(values.key("INTERNAL_URL")))
            )
        scopes: tuple[str, ...] = values.get("SCOPES")
        if "openid" not in scopes:
            # social-core's OpenIdConnectAuth validates an id_token, which only "openid" brings.
            raise ConfigError(
                values.key("SCOPES"),
                "does not include openid: without it the provider returns no id_token and "
                "every login fails",
                "add openid",
                "[" + ", ".join(["openid", *scopes]) + "]"
                if scopes
                else "[openid, email, profile]",
            )
        settings: dict[str, Any] = {
            "OIDC_ENDPOINT": endpoint,
            "ID_TOKEN_ISSUER": issuer,
            "SCOPE": list(scopes),
            "USERNAME_KEY": values.get("USERNAME_CLAIM"),
            "FULLNAME_KEY": values.get("FULLNAME_CLAIM"),
            "EMAIL_KEY": values.get("EMAIL_CLAIM"),
        }
        internal = str(values.get("INTERNAL_URL"))
        if internal != endpoint:
            settings["INTERNAL_ENDPOINT"] = internal
        return settings

    def registration(self, plan: Plan, app: ConnectedApp, dev: bool) -> dict[str, Any]:
        """What the OpenID Provider's admin registers: Open edX's client."""
        provider = app.provider
        if provider is None:
            return {}
        lms = plan.bridge.platform.lms_url(dev)
        return {
            "client_type": "confidential (client secret), authorization code flow",
            "scopes": " ".join(provider.other_settings["SCOPE"]),
            "redirect_uri": f"{lms}/auth/complete/{provider.backend.name}/",
            # Where the provider may send the browser to log out of Open edX too (front-channel
            # logout), or back after its own logout (post-logout redirect), where it has them.
            "logout_url": f"{lms}/logout",
            "initiate_login_uri": f"{lms}{provider.login_path}",
        }

    def registration_lines(self, app: ConnectedApp, registration: dict[str, Any]) -> list[str]:
        return [
            f"# {app.provider.title if app.provider else app.name} ({app.name}): register "
            "Open edX as a client at the OpenID Provider",
            *(f"# {name.replace('_', ' ')}: {value}" for name, value in registration.items()),
            f"# then set LMSBRIDGE_{app.name.upper()}_CLIENT_ID and _CLIENT_SECRET to the "
            "client it creates",
        ]

    def probe(self, plan: Plan, app: ConnectedApp, timeout: float) -> list[Finding]:
        """Discovery, issuer, endpoints, JWKS, and the login client once it is set."""
        from ..output.oidc_probe import probe_oidc
        from ..output.probe import login_client_check
        from ..output.reports import Finding

        provider = app.provider
        if provider is None:
            return []
        settings = provider.other_settings
        client = login_client_check(plan, app) if provider.ready else None
        key = app.key_prefix.rstrip("_")
        return [
            Finding(level, key, message)
            for level, message in probe_oidc(
                settings["ID_TOKEN_ISSUER"],
                settings.get("INTERNAL_ENDPOINT"),
                timeout,
                client=client,
            )
        ]


def _check_issuer(key: str, url: str) -> None:
    """The issuer, not its discovery document: social-core appends the document's path to
    OIDC_ENDPOINT itself, and the id_token's "iss" is the issuer."""
    text = url.strip()
    if text.rstrip("/").endswith(DISCOVERY_PATH):
        issuer = text.rstrip("/")[: -len(DISCOVERY_PATH)]
        raise ConfigError(
            key,
            f"{show_value(text)} is the discovery document's URL, not the issuer: Open edX "
            f"appends {DISCOVERY_PATH} itself",
            f"give the issuer, the same URL without {DISCOVERY_PATH}",
            issuer,
        )


PROTOCOL = Oidc()
