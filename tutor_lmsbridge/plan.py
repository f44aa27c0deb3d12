"""What Open edX must contain for the connected apps: a pure function of the Bridge.

The settings patches, the requirements file, the init job, ``tutor lmsbridge status`` and
``tutor lmsbridge credentials`` all read this one Plan, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .apps import Bridge, ConnectedApp

# Written into each provider row's other_settings so that the init job can tell the rows it
# manages from the ones an operator made by hand (and disable ours when an app is removed).
MANAGED_MARKER = "lmsbridge_app"


@dataclass(frozen=True)
class ServiceUser:
    app: str
    username: str
    email: str


@dataclass(frozen=True)
class OAuthApplication:
    """A django-oauth-toolkit Application in Open edX, for an app of direction B."""

    app: str
    name: str
    owner: str  # the service user's username
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    client_type: str = "confidential"
    authorization_grant_type: str = "authorization-code"
    skip_authorization: bool = True


@dataclass(frozen=True)
class ServiceToken:
    app: str
    username: str
    application: str  # OAuthApplication.name
    token: str
    scope: str  # space-separated, as django-oauth-toolkit stores it
    expires: str  # ISO 8601, UTC


@dataclass(frozen=True)
class ProviderConfig:
    """A third_party_auth OAuth2ProviderConfig row, for an app of direction A."""

    app: str
    backend_name: str
    name: str
    slug: str
    key: str  # client id; the secret comes from SOCIAL_AUTH_OAUTH_SECRETS
    visible: bool
    skip_hinted_login_dialog: bool
    skip_registration_form: bool
    skip_email_verification: bool
    sync_learner_profile_data: bool
    enable_sso_id_verification: bool
    other_settings: dict[str, str] = field(hash=False)
    enabled: bool = True


@dataclass(frozen=True)
class CompanionRedirect:
    """openedx-companion-auth's MITX_REDIRECT_* settings."""

    enabled: bool
    login_url: str
    allow: tuple[str, ...]
    deny: tuple[str, ...] = ()


@dataclass(frozen=True)
class LmsSettings:
    feature_flags: tuple[tuple[str, bool], ...]
    backend_classes: tuple[str, ...]  # prepended to AUTHENTICATION_BACKENDS
    oauth_secrets: tuple[tuple[str, str], ...]  # SOCIAL_AUTH_OAUTH_SECRETS entries
    logout_urls: tuple[str, ...]  # appended to IDA_LOGOUT_URI_LIST
    registration_fields: tuple[tuple[str, str], ...]
    redirect: CompanionRedirect
    authn_mfe_off: bool  # login goes through the provider, not the authn MFE


@dataclass(frozen=True)
class Plan:
    bridge: Bridge
    users: tuple[ServiceUser, ...]
    applications: tuple[OAuthApplication, ...]
    tokens: tuple[ServiceToken, ...]
    providers: tuple[ProviderConfig, ...]
    lms: LmsSettings
    requirements: tuple[str, ...]

    @property
    def active(self) -> bool:
        """False while no app is connected: the plugin then changes nothing in Open edX."""
        return bool(self.bridge.apps)

    def init_data(self) -> dict[str, Any]:
        """What the init job creates, as plain data for the LMSBRIDGE_INIT_PLAN setting."""
        return {
            "marker": MANAGED_MARKER,
            "users": [vars(u) for u in self.users],
            "applications": [
                {**vars(a), "redirect_uris": " ".join(a.redirect_uris)} for a in self.applications
            ],
            "tokens": [vars(t) for t in self.tokens],
            "providers": [
                {**vars(p), "other_settings": dict(p.other_settings)} for p in self.providers
            ],
        }


def build_plan(bridge: Bridge) -> Plan:
    apps = bridge.apps
    clients = [(app, app.client) for app in apps if app.client is not None]
    ready = [(app, app.provider) for app in apps if app.provider is not None and app.provider.ready]
    users = tuple(ServiceUser(app.name, c.service_username, c.service_email) for app, c in clients)
    applications = tuple(
        OAuthApplication(
            app=app.name,
            name=c.application_name,
            owner=c.service_username,
            client_id=c.client_id,
            client_secret=c.client_secret,
            redirect_uris=c.redirect_uris,
        )
        for app, c in clients
    )
    tokens = tuple(
        ServiceToken(
            app=app.name,
            username=c.service_username,
            application=c.application_name,
            token=c.token,
            scope=" ".join(c.token_scopes),
            expires=f"{c.token_expires}T00:00:00+00:00",
        )
        for app, c in clients
    )
    providers = tuple(
        ProviderConfig(
            app=app.name,
            backend_name=p.backend.name,
            name=p.title,
            slug=p.slug,
            key=p.client_id,
            visible=p.visible,
            skip_hinted_login_dialog=p.skip_hinted_login_dialog,
            skip_registration_form=p.skip_registration_form,
            skip_email_verification=p.skip_email_verification,
            sync_learner_profile_data=p.sync_learner_profile_data,
            enable_sso_id_verification=p.enable_sso_id_verification,
            other_settings={**p.other_settings, MANAGED_MARKER: app.name},
        )
        for app, p in ready
    )
    return Plan(
        bridge=bridge,
        users=users,
        applications=applications,
        tokens=tokens,
        providers=providers,
        lms=_lms_settings(bridge, ready),
        requirements=_requirements(bridge),
    )


def _lms_settings(bridge: Bridge, ready: list[tuple[ConnectedApp, Any]]) -> LmsSettings:
    redirect_app = bridge.login_redirect_app
    redirect = CompanionRedirect(
        enabled=redirect_app is not None,
        login_url=redirect_app.provider.login_path
        if redirect_app is not None and redirect_app.provider is not None
        else "",
        allow=bridge.redirect_allow,
    )
    return LmsSettings(
        feature_flags=(
            ("ENABLE_THIRD_PARTY_AUTH", True),
            ("ALLOW_PUBLIC_ACCOUNT_CREATION", bridge.allow_public_account_creation),
            ("SKIP_EMAIL_VALIDATION", bridge.skip_email_validation),
        ),
        backend_classes=_unique(p.backend.class_path for _, p in ready),
        oauth_secrets=tuple((p.backend.name, p.client_secret) for _, p in ready),
        logout_urls=_unique(app.logout_url for app in bridge.apps),
        registration_fields=tuple(sorted(bridge.registration_fields.items())),
        redirect=redirect,
        authn_mfe_off=redirect.enabled and bridge.authn_mfe_bypass,
    )


def _requirements(bridge: Bridge) -> tuple[str, ...]:
    """Packages the openedx image needs. Backends are installed as soon as an app is
    connected, even before its client credentials are pasted, so that pasting them later
    does not need another image build."""
    if not bridge.apps:
        return ()
    backends = (app.provider.requirement for app in bridge.apps if app.provider is not None)
    return _unique([*backends, bridge.companion_requirement])


def _unique(items: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))
