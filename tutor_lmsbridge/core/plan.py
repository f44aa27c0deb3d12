"""What Open edX must contain for the connected apps: a pure function of the Bridge.

The settings patches, the requirements file, the init job, ``tutor lmsbridge status`` and
``tutor lmsbridge credentials`` all read this one Plan, so they cannot disagree.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..protocols import provider_protocol
from .connected_apps import (
    OAUTH2_PROVIDER_PREFIX,
    Bridge,
    ConnectedApp,
    IdentityProvider,
    Provider,
    oauth2_provider_id,
    saml_provider_id,
)
from .presets import OPENEDX_PLUGIN_PATH, PROVIDER_FLAGS
from .saml_refresh import SamlRefresh, saml_refresh

# Written into each provider row's other_settings so that the init job can tell the rows it
# manages from the ones an operator made by hand (and disable ours when an app is removed).
MANAGED_MARKER = "lmsbridge_app"
# The third_party_auth model of those rows, as `do lmsbridge-verify` looks it up.
OAUTH2_PROVIDER_MODEL = "OAuth2ProviderConfig"
# The third_party_auth model of the SAML provider rows (provider id "saml-<slug>").
SAML_PROVIDER_MODEL = "SAMLProviderConfig"
# The OAuth2ProviderConfig fields the init job sets from each ProviderConfig (the rest of a
# row keeps what an operator set in Django admin).
PROVIDER_FIELDS = ("enabled", "name", "slug", "key", "visible", *PROVIDER_FLAGS)
# The other_settings entry edx-platform reads as a provider's logout URL
# (third_party_auth/pipeline.py get_idp_logout_url_from_running_pipeline: get_setting), where
# its LogoutView sends the learner when TPA_AUTOMATIC_LOGOUT_ENABLED is on.
LOGOUT_URL_SETTING = "logout_url"


class ServiceUser(NamedTuple):
    app: str
    username: str
    email: str


class OAuthApplication(NamedTuple):
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


class ServiceToken(NamedTuple):
    app: str
    username: str
    application: str  # OAuthApplication.name
    token: str
    scope: str  # space-separated, as django-oauth-toolkit stores it
    expires: str  # ISO 8601, UTC


class ProviderConfig(NamedTuple):
    """A third_party_auth OAuth2ProviderConfig row, for an app of direction A."""

    app: str
    backend_name: str
    name: str
    slug: str
    key: str  # client id; the secret comes from SOCIAL_AUTH_OAUTH_SECRETS
    visible: bool
    flags: dict[str, bool]  # PROVIDER_FLAGS
    other_settings: dict[str, Any]
    enabled: bool = True
    backend_class: str = ""  # its class path, prepended to AUTHENTICATION_BACKENDS
    trust: dict[str, bool] = {}  # noqa: RUF012 (read-only) what it vouches for (core/trust.py)
    max_session_length: int | None = None
    # LOGOUT=provider: {"url": the provider's logout URL} when known now, or {"discovery": the
    # discovery document URL the init job reads end_session_endpoint from (the LMS's way to
    # the issuer), "client_id": ...} for an OpenID Provider. None: logout stays local.
    logout: dict[str, str] | None = None

    @property
    def provider_id(self) -> str:
        return oauth2_provider_id(self.backend_name)

    def check(self) -> dict[str, Any]:
        """What `do lmsbridge-verify` checks for this provider (no secret)."""
        return {
            "app": self.app,
            "provider_id": self.provider_id,
            "model": OAUTH2_PROVIDER_MODEL,
            # The row's key besides its Site (edx-platform has keyed these rows on
            # backend_name, then on site and backend_name; slug is the older key).
            "key": {"backend_name": self.backend_name, "slug": self.slug},
            "backend_name": self.backend_name,
            "backend_class": self.backend_class,
            "trust": self.trust,
        }

    def row(self) -> dict[str, Any]:
        """The managed fields as the init job sets them (PROVIDER_FIELDS + backend_name)."""
        fields = {**self._asdict(), **self.flags}
        return {
            "app": self.app,
            "provider_id": self.provider_id,
            "backend_name": self.backend_name,
            "fields": {
                **{name: fields[name] for name in PROVIDER_FIELDS},
                # Managed only when MAX_SESSION_LENGTH is set: otherwise the row keeps what
                # an admin set (or edx-platform's default, none).
                **(
                    {"max_session_length": self.max_session_length}
                    if self.max_session_length is not None
                    else {}
                ),
            },
            "other_settings": self.other_settings,
            "logout": self.logout,
        }


# The SAMLConfiguration the plugin manages: the Site's "default" one, which edx-platform also
# requires to be enabled before any SAML login, and which a provider whose configuration is
# left empty uses (always its current row: no foreign key to re-point after a change).
SAML_CONFIGURATION_SLUG = "default"
# python3-saml options (SAMLConfiguration.other_config_str) come from
# core/saml_security.py: edx-platform's defaults, SHA-1 refused, and no requested
# AuthnContext, which ADFS and Entra ID refuse when the learner signed in otherwise than with
# a password (MFA, Windows integrated authentication); LMSBRIDGE_SAML_SECURITY on top.


class SamlConfiguration(NamedTuple):
    """Open edX's SAML service provider: a third_party_auth SAMLConfiguration row. Its
    private key stays empty (edx reads SOCIAL_AUTH_SAML_SP_PRIVATE_KEY); its public_key holds
    the certificate, so that a key rotation is one new history row."""

    slug: str
    entity_id: str
    public_key: str
    org_info: dict[str, dict[str, str]]
    other_config: dict[str, Any]
    enabled: bool = True


class SamlProvider(NamedTuple):
    """A third_party_auth SAMLProviderConfig row (provider id saml-<slug>)."""

    app: str
    slug: str
    name: str
    visible: bool
    flags: dict[str, bool]  # PROVIDER_FLAGS
    entity_id: str
    metadata_source: str  # the metadata URL ("" for inline metadata)
    metadata_xml: str  # inline metadata, stored by the init job with edx's own parser
    attributes: dict[str, str]  # attr_* fields
    other_settings: dict[str, Any]
    enabled: bool = True
    backend_name: str = "tpa-saml"
    backend_class: str = ""  # edx-platform's SAMLAuthBackend, in AUTHENTICATION_BACKENDS
    trust: dict[str, bool] = {}  # noqa: RUF012 (read-only) what it vouches for (core/trust.py)
    # The pinned metadata signing certificate's base64 body (public; "" when not pinned).
    metadata_signing_cert: str = ""

    @property
    def provider_id(self) -> str:
        return saml_provider_id(self.slug)

    def check(self) -> dict[str, Any]:
        """What `do lmsbridge-verify` checks for this provider (no secret): its row, keyed on
        the slug alone as edx-platform keys SAMLProviderConfig, and its metadata."""
        return {
            "app": self.app,
            "provider_id": self.provider_id,
            "model": SAML_PROVIDER_MODEL,
            "key": {"slug": self.slug},
            "backend_name": self.backend_name,
            "backend_class": self.backend_class,
            "entity_id": self.entity_id,
            "metadata_source": self.metadata_source,
            "inline_metadata": bool(self.metadata_xml),
            "trust": self.trust,
        }

    def row(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "provider_id": self.provider_id,
            "slug": self.slug,
            "fields": {
                "enabled": self.enabled,
                "name": self.name,
                "visible": self.visible,
                **self.flags,
                # edx's SAML default is True; the account is created with the mapped
                # attributes (skip_registration_form) rather than sent to a form.
                "send_to_registration_first": False,
                "entity_id": self.entity_id,
                "metadata_source": self.metadata_source,
                # Inline metadata is not fetched by Open edX's periodic pull, and pinned
                # metadata only by the plugin's pull, which verifies it first.
                "automatic_refresh_enabled": not self.metadata_xml
                and not self.metadata_signing_cert,
                **self.attributes,
            },
            "metadata_xml": self.metadata_xml,
            "metadata_signing_cert": self.metadata_signing_cert,
            "other_settings": self.other_settings,
        }


class CompanionRedirect(NamedTuple):
    """openedx-companion-auth's MITX_REDIRECT_* settings."""

    enabled: bool
    login_url: str
    allow: list[str]
    deny: list[str]


class LmsSettings(NamedTuple):
    """What the LMS settings patches write; each field is one statement there."""

    allow_public_account_creation: bool
    skip_email_validation: bool
    backend_classes: list[str]  # prepended to AUTHENTICATION_BACKENDS
    oauth_secrets: dict[str, str]  # merged into SOCIAL_AUTH_OAUTH_SECRETS
    logout_urls: list[str]  # appended to IDA_LOGOUT_URI_LIST
    registration_fields: dict[str, str]  # merged into REGISTRATION_EXTRA_FIELDS
    redirect: CompanionRedirect
    authn_mfe_off: bool  # login goes through the provider, not the authn MFE
    catalog_origins: list[str]  # CORS_ORIGIN_WHITELIST and CSRF_TRUSTED_ORIGINS
    login_redirect_hosts: list[str]  # LOGIN_REDIRECT_WHITELIST
    cross_domain_csrf: dict[str, str] | None  # {"name", "domain"} of the CSRF cookie
    edx_api_key: str | None  # EDX_API_KEY, checked against Richie's X-Edx-Api-Key
    richie_url: str | None  # where /richie/<path> on the LMS redirects
    # LMSBRIDGE_LINK_BY_EMAIL: provider id (oa2-<backend>, saml-<slug>) -> link policy, read
    # by the account-linking guard of the plugin's Open edX app (account_link.py).
    link_by_email: dict[str, str]
    saml_sp_private_key: str = ""  # SOCIAL_AUTH_SAML_SP_PRIVATE_KEY (slug "default")
    # TPA_AUTOMATIC_LOGOUT_ENABLED: an app logs out at its provider (LOGOUT=provider)
    tpa_automatic_logout: bool = False


class CourseSync(NamedTuple):
    """A catalog Studio sends published course runs to (in-image code, CMS settings)."""

    app: str
    url: str  # internal URL of the catalog's course-runs-sync endpoint
    secret: str  # signs the body: SIG-HMAC-SHA256
    timeout: int  # seconds for a whole request (connect and every read)
    retry_hours: int  # Studio's worker retries an undelivered run this long after the publish
    languages: dict[str, str]  # LMSBRIDGE_<APP>_LANGUAGES, applied by the in-image code


class Plan(NamedTuple):
    bridge: Bridge
    users: tuple[ServiceUser, ...]
    applications: tuple[OAuthApplication, ...]
    tokens: tuple[ServiceToken, ...]
    providers: tuple[ProviderConfig, ...]
    lms: LmsSettings
    course_sync: tuple[CourseSync, ...]
    requirements: tuple[str, ...]
    saml_configurations: tuple[SamlConfiguration, ...] = ()
    saml_providers: tuple[SamlProvider, ...] = ()

    @property
    def active(self) -> bool:
        """False while no app is connected: the plugin then changes nothing in Open edX."""
        return bool(self.bridge.apps)

    def settings_data(self) -> dict[str, Any]:
        """Everything the LMS settings patch writes, as plain data (one escaped literal)."""
        return {
            **self.lms._asdict(),
            "redirect": self.lms.redirect._asdict(),
            "init_plan": self.init_data(),
            "verify_plan": self.verify_data(),
            # The LMS sends the catalogs each course's enrollment count as enrollments change.
            "course_sync": self.cms_settings_data(),
        }

    def lms_env(self) -> list[tuple[str, Any]]:
        """The keys the lms-env patch adds to lms.env.yml: openedx-companion-auth reads its
        MITX_REDIRECT_* settings from ENV_TOKENS in production. None while no app is
        connected."""
        if not self.active:
            return []
        redirect = self.lms.redirect
        return [
            ("MITX_REDIRECT_ENABLED", redirect.enabled),
            ("MITX_REDIRECT_LOGIN_URL", redirect.login_url),
            ("MITX_REDIRECT_ALLOW_RE_LIST", redirect.allow),
            ("MITX_REDIRECT_DENY_RE_LIST", redirect.deny),
        ]

    def cms_settings_data(self) -> list[dict[str, Any]]:
        """LMSBRIDGE_COURSE_SYNC for Studio, where courses are published (the LMS gets the
        same list in its settings data, for enrollment counts)."""
        return [sync._asdict() for sync in self.course_sync]

    def empty_init_data(self) -> dict[str, Any]:
        """What the init job does with no app connected: disable the providers it made."""
        return {
            "marker": MANAGED_MARKER,
            "provider_prefix": OAUTH2_PROVIDER_PREFIX,
            "users": [],
            "applications": [],
            "tokens": [],
            "providers": [],
            "saml_configurations": [],
            "saml_providers": [],
        }

    def init_data(self) -> dict[str, Any]:
        """What the init job creates, as plain data for the LMSBRIDGE_INIT_PLAN setting."""
        return {
            "marker": MANAGED_MARKER,
            "provider_prefix": OAUTH2_PROVIDER_PREFIX,
            "users": [u._asdict() for u in self.users],
            "applications": [
                {**a._asdict(), "redirect_uris": " ".join(a.redirect_uris)}
                for a in self.applications
            ],
            "tokens": [t._asdict() for t in self.tokens],
            "providers": [p.row() for p in self.providers],
            "saml_configurations": [c._asdict() for c in self.saml_configurations],
            "saml_providers": [p.row() for p in self.saml_providers],
        }

    def saml_refresh(self) -> SamlRefresh | None:
        """The SAML metadata refresh schedule (compose service, CronJob), or None."""
        sp = self.bridge.saml_sp
        return saml_refresh(sp.refresh_hours if sp else 0, len(self.saml_providers))

    def verify_data(self) -> dict[str, Any]:
        """What `do lmsbridge-verify` checks besides the init plan's objects, as plain data
        for the LMSBRIDGE_VERIFY_PLAN setting (no secret: of the SP key pair, only the
        certificate). Each entry of "providers" names its third_party_auth model."""
        return {
            "authn_mfe_off": self.lms.authn_mfe_off,
            "redirect_enabled": self.lms.redirect.enabled,
            "providers": [
                *(p.check() for p in self.providers),
                *(p.check() for p in self.saml_providers),
            ],
            "saml_configurations": [
                {"slug": c.slug, "entity_id": c.entity_id, "public_key": c.public_key}
                for c in self.saml_configurations
            ],
            "link_by_email": _link_checks(self.bridge),
            # Metadata must outlive the next scheduled refresh (0: no schedule).
            "saml_refresh_hours": self.bridge.saml_sp.refresh_hours if self.bridge.saml_sp else 0,
        }


def build_plan(bridge: Bridge) -> Plan:
    apps = bridge.apps
    clients = [(app, app.client) for app in apps if app.client is not None]
    ready = [(app, app.provider) for app in apps if app.provider is not None and app.provider.ready]
    # Each provider's row, as its login protocol plans it (protocols/).
    rows = [provider_protocol(app.preset).plan_row(app, p, _trust(app, p)) for app, p in ready]
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
        if c.token is not None
    )
    return Plan(
        bridge=bridge,
        users=users,
        applications=applications,
        tokens=tokens,
        providers=tuple(row for row in rows if isinstance(row, ProviderConfig)),
        lms=_lms_settings(bridge, ready),
        course_sync=tuple(
            CourseSync(
                app=app.name,
                url=app.internal_url.join(app.catalog.sync_path),
                secret=app.catalog.sync_secrets[0],
                timeout=app.catalog.sync_timeout,
                retry_hours=app.catalog.sync_retry_hours,
                languages=app.catalog.languages,
            )
            for app in apps
            if app.catalog is not None and app.catalog.sync and app.catalog.sync_secrets
        ),
        requirements=_requirements(bridge),
        saml_configurations=_saml_configurations(bridge),
        saml_providers=tuple(row for row in rows if isinstance(row, SamlProvider)),
    )


def _trust(app: ConnectedApp, provider: Provider) -> dict[str, bool]:
    """What `do lmsbridge-verify` holds the running LMS's row to (core/trust.py)."""
    protocol = provider_protocol(app.preset)
    return {
        "consumer": protocol.consumer,
        "verifies_email": protocol.verifies_email(provider.link_by_email),
    }


def provider_logout(app: ConnectedApp, provider: IdentityProvider) -> dict[str, str] | None:
    """Where Open edX sends a learner who logs out (LOGOUT=provider): the app's LOGOUT_URL
    when set, else, for an OpenID Provider, its discovery document's end_session_endpoint,
    which the init job reads (no network at save time)."""
    if provider.logout != "provider":
        return None
    if app.logout_url:
        return {"url": app.logout_url}
    settings = provider.other_settings
    base = str(settings.get("INTERNAL_ENDPOINT") or settings["OIDC_ENDPOINT"]).rstrip("/")
    return {
        "discovery": base + "/.well-known/openid-configuration",
        "client_id": provider.client_id,
    }


def _saml_configurations(bridge: Bridge) -> tuple[SamlConfiguration, ...]:
    sp = bridge.saml_sp
    if sp is None:
        return ()
    org = {"url": sp.org_url, "displayname": sp.org_name, "name": sp.org_name}
    return (
        SamlConfiguration(
            slug=SAML_CONFIGURATION_SLUG,
            entity_id=sp.entity_id,
            public_key=sp.certificate,
            org_info={"en-US": org},
            other_config={
                "SECURITY_CONFIG": sp.security,
                # python3-saml publishes sp.x509certNew in the SP metadata next to the
                # current certificate; edx merges SP_EXTRA into "sp" (third_party_auth/saml.py
                # generate_saml_config, and social-core's for the metadata view).
                **(
                    {"SP_EXTRA": {"x509certNew": sp.next_certificate}}
                    if sp.next_certificate
                    else {}
                ),
            },
        ),
    )


def _lms_settings(bridge: Bridge, ready: list[tuple[ConnectedApp, Any]]) -> LmsSettings:
    catalogs = [app for app in bridge.apps if app.catalog is not None]
    redirect_app = bridge.login_redirect_app
    redirect = CompanionRedirect(
        enabled=redirect_app is not None,
        login_url=redirect_app.provider.login_path
        if redirect_app is not None and redirect_app.provider is not None
        else "",
        allow=list(bridge.redirect_allow),
        deny=[],
    )
    return LmsSettings(
        allow_public_account_creation=bridge.allow_public_account_creation,
        skip_email_validation=bridge.skip_email_validation,
        backend_classes=list(_unique(p.backend.class_path for _, p in ready)),
        oauth_secrets={
            p.backend.name: p.client_secret for _, p in ready if isinstance(p, IdentityProvider)
        },
        logout_urls=list(_unique(app.logout_url for app in bridge.apps)),
        registration_fields=dict(sorted(bridge.registration_fields.items())),
        redirect=redirect,
        authn_mfe_off=redirect.enabled and bridge.authn_mfe_bypass,
        catalog_origins=list(_unique(app.url.origin for app in catalogs)),
        login_redirect_hosts=list(_unique(app.url.netloc for app in catalogs)),
        cross_domain_csrf={
            "name": catalogs[0].catalog.csrf_cookie_name,
            "domain": catalogs[0].catalog.csrf_cookie_domain,
        }
        if catalogs and catalogs[0].catalog
        else None,
        edx_api_key=catalogs[0].catalog.api_token if catalogs and catalogs[0].catalog else None,
        richie_url=str(catalogs[0].url) if catalogs else None,
        saml_sp_private_key=bridge.saml_sp.private_key if bridge.saml_sp else "",
        link_by_email=_link_policies(bridge),
        tpa_automatic_logout=any(p.logout == "provider" for _, p in ready),
    )


def _link_checks(bridge: Bridge) -> list[dict[str, Any]]:
    """Each provider's link policy for `do lmsbridge-verify`; ``unverified`` when it is
    ``trusted`` where the preset does not vouch for the app's emails (as `check` warns)."""
    return [
        {
            "app": app.name,
            "provider_id": app.provider.provider_id,
            "policy": app.provider.link_by_email,
            "unverified": app.provider.link_by_email == "trusted"
            and provider_protocol(app.preset).link_default != "trusted",
        }
        for app in bridge.apps
        if app.provider is not None
    ]


def _link_policies(bridge: Bridge) -> dict[str, str]:
    """Every connected identity provider's policy, ready or not: a provider whose client is
    pasted later then starts with its policy already in the settings."""
    return {
        app.provider.provider_id: app.provider.link_by_email
        for app in bridge.apps
        if app.provider is not None
    }


def _requirements(bridge: Bridge) -> tuple[str, ...]:
    """Packages the openedx image needs. Backends are installed as soon as an app is
    connected, even before its client credentials are pasted, so that pasting them later
    does not need another image build."""
    if not bridge.apps:
        return ()
    backends = (app.provider.requirement for app in bridge.apps if app.provider is not None)
    # The plugin's Open edX app serves the catalogs and, for every identity provider, holds
    # the account-linking guard (lmsbridge_openedx.account_link).
    in_image = (
        [OPENEDX_PLUGIN_PATH]
        if any(app.catalog is not None or app.provider is not None for app in bridge.apps)
        else []
    )
    return _unique([*backends, bridge.companion_requirement, *in_image])


def _unique(items: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))
