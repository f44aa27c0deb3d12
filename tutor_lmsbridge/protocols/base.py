"""What every login protocol provides, with the behaviour the OAuth2 protocols share.

A protocol module defines a subclass and one instance of it, ``PROTOCOL``; the registry
(``protocols/__init__.py``) maps the protocol's name to that module. The OAuth2-shaped
protocols (endpoints, generic, oidc) inherit the reader of a client id and secret and the
OAuth2ProviderConfig row; SAML overrides both.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from ..core.connected_apps import ConnectedApp, IdentityProvider, Provider
from ..core.plan import OAUTH2_PROVIDER_MODEL, SAML_PROVIDER_MODEL, ProviderConfig, SamlProvider

if TYPE_CHECKING:
    from ..core.config_values import AppValues
    from ..core.keys import AppView
    from ..core.plan import Plan
    from ..core.presets import Backend, LinkPolicy
    from ..output.reports import Finding

# The third_party_auth models `do lmsbridge-verify` checks provider rows against (its
# PROVIDER_KINDS, templates/lmsbridge/tasks/lms/verify_objects.py).
OAUTH2_VERIFY_KIND = OAUTH2_PROVIDER_MODEL
SAML_VERIFY_KIND = SAML_PROVIDER_MODEL

# The per-app keys every OAuth2-shaped protocol uses (core/keys.py declares them).
OAUTH2_KEYS = frozenset(
    {"INTERNAL_URL", "LOGOUT_URL", "LOGOUT", "MAX_SESSION_LENGTH", "CLIENT_ID", "CLIENT_SECRET"}
).union({"BACKEND"})
# What an app whose preset names no protocol uses of the protocol keys (Richie, a client).
NO_LOGIN_KEYS = frozenset({"INTERNAL_URL", "LOGOUT_URL"})
# The derived defaults a protocol may compute (core/keys.py says how, in the README).
PROTOCOL_DEFAULTS = (
    "BACKEND",
    "SLUG",
    "LOGOUT_URL",
    "PROVIDER_NAME",
    "AUTHORIZATION_URL",
    "ACCESS_TOKEN_URL",
    "API_ROOT",
)


def common_default(app: AppView, setting: str) -> Any:
    """A protocol default as most protocols (and apps without one) have it."""
    if setting == "SLUG":
        return str(app.get("BACKEND"))[:30]
    if setting == "LOGOUT_URL":
        path = app.preset.logout_path
        return "" if path is None else str(app.get("URL")) + path
    if setting == "PROVIDER_NAME":
        return app.preset.title
    return ""  # no backend name to assume, no fixed endpoint


def row_fields(app: ConnectedApp, provider: Provider, trust: dict[str, bool]) -> dict[str, Any]:
    """The fields every provider row has (ProviderConfig, SamlProvider), from the provider."""
    from ..core.plan import MANAGED_MARKER

    return {
        "app": app.name,
        "backend_name": provider.backend.name,
        "name": provider.title,
        "slug": provider.slug,
        "visible": provider.visible,
        "flags": provider.flags,
        "other_settings": {**provider.other_settings, MANAGED_MARKER: app.name},
        "backend_class": provider.backend.class_path,
        "trust": trust,
    }


class LoginProtocol:
    name: ClassVar[str]
    #: The per-app keys of core/keys.py this protocol uses, beyond every identity provider's.
    keys: ClassVar[frozenset[str]]
    #: The third_party_auth model of its provider rows, as `do lmsbridge-verify` checks them.
    verify_kind: ClassVar[str] = OAUTH2_VERIFY_KIND
    #: LINK_BY_EMAIL's default: what a first login whose email is an existing account's does.
    link_default: ClassVar[LinkPolicy] = "never"
    #: The policy `check` suggests instead of an unbacked ``trusted``.
    safer_link: ClassVar[LinkPolicy] = "verified"
    #: A login proves an account at the provider, not who the learner is (core/trust.py).
    consumer: ClassVar[bool] = False
    #: The email the provider sends was verified before Open edX sees it.
    verifies_emails: ClassVar[bool] = False
    #: The provider says whether it verified an email (OIDC's email_verified claim).
    email_verified_claim: ClassVar[bool] = False
    #: The app's URL may carry a query string (a SAML metadata URL may).
    url_query: ClassVar[bool] = False
    #: What the provider's admin registers goes into the after-save fingerprint (it can
    #: change without any redirect URI changing: a SAML SP certificate).
    registration_fingerprinted: ClassVar[bool] = False

    def verifies_email(self, link_by_email: str) -> bool:
        return self.verifies_emails

    def default(self, app: AppView, setting: str) -> Any:
        """The derived default of one of PROTOCOL_DEFAULTS for an app of this protocol."""
        return common_default(app, setting)

    # Reading the configuration.

    def read_app(
        self, values: AppValues, warnings: list[tuple[str, str]], today: datetime.date
    ) -> ConnectedApp:
        from ..core.read_bridge import read_web_app

        return read_web_app(values, warnings, today, self.read_provider)

    def read_provider(self, values: AppValues, warnings: list[tuple[str, str]]) -> Provider:
        from ..core.read_provider import read_oauth2_provider

        return read_oauth2_provider(values, warnings, self)

    def read_backend(self, values: AppValues) -> tuple[Backend, str]:
        """The backend and the pip requirement that installs it."""
        raise NotImplementedError(f"{self.name} reads no OAuth2 backend")

    def other_settings(self, values: AppValues) -> dict[str, Any]:
        """The provider's other_settings the protocol computes (before OTHER_SETTINGS): the
        endpoint URLs that are set."""
        settings: dict[str, Any] = {}
        for setting in ("AUTHORIZATION_URL", "ACCESS_TOKEN_URL", "API_ROOT", "DISCOVERY_URL"):
            url = values.get(setting)
            if url is not None:
                # ol-oauth2 and mitxpro-oauth2 append "api/users/me" to API_ROOT.
                slash = "/" if setting == "API_ROOT" and not url.endswith("/") else ""
                settings[setting] = url + slash
        return settings

    def check_provider(
        self, values: AppValues, backend: Backend, other_settings: dict[str, Any]
    ) -> None:
        """Refuse a provider that would not work (ConfigError); nothing more by default."""

    # Planning the Open edX objects.

    def plan_row(
        self, app: ConnectedApp, provider: Provider, trust: dict[str, bool]
    ) -> ProviderConfig | SamlProvider:
        """The provider's third_party_auth row (an OAuth2ProviderConfig by default)."""
        from ..core.plan import provider_logout

        assert isinstance(provider, IdentityProvider)
        return ProviderConfig(
            **row_fields(app, provider, trust),
            key=provider.client_id,
            max_session_length=provider.max_session_length,
            logout=provider_logout(app, provider),
        )

    # What the identity provider's side is told, and reaching it.

    def registration(self, plan: Plan, app: ConnectedApp, dev: bool) -> dict[str, Any]:
        """What the provider's admin registers for Open edX ({}: the redirect URI is all,
        `credentials` prints it)."""
        return {}

    def registration_lines(self, app: ConnectedApp, registration: dict[str, Any]) -> list[str]:
        """`credentials` as text, when ``registration`` is not empty."""
        return []

    def probe(self, plan: Plan, app: ConnectedApp, timeout: float) -> list[Finding]:
        """`check --probe`: the OAuth2 endpoints the provider's settings name."""
        from ..output.probe import probe_oauth2

        return probe_oauth2(plan, app, timeout)
