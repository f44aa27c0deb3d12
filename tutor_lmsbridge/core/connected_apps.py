"""The typed model of the applications connected to this Open edX (no logic, no Tutor).

``read_bridge.read_bridge`` builds it from the configuration; ``plan.build_plan`` turns it
into the objects and settings Open edX needs.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

from .presets import Backend, LinkPolicy, Preset
from .url_values import BaseUrl

PREFIX = "LMSBRIDGE_"
# edx-platform's provider ids: "oa2-<backend name>" (OAuth2ProviderConfig rows) and
# "saml-<slug>" (SAMLProviderConfig rows).
OAUTH2_PROVIDER_PREFIX = "oa2"
SAML_PROVIDER_PREFIX = "saml"


def oauth2_provider_id(backend_name: str) -> str:
    return f"{OAUTH2_PROVIDER_PREFIX}-{backend_name}"


def saml_provider_id(slug: str) -> str:
    return f"{SAML_PROVIDER_PREFIX}-{slug}"


class Platform(NamedTuple):
    """The Open edX side, from Tutor's own settings."""

    lms_host: str
    https: bool
    name: str = "Open edX"  # Tutor's PLATFORM_NAME
    cms_host: str = ""  # Tutor's CMS_HOST ("" : studio.<LMS_HOST>, Tutor's default)
    mfe_host: str = ""  # tutor-mfe's MFE_HOST ("" : apps.<LMS_HOST>, its default)

    def lms_url(self, dev: bool = False) -> str:
        if dev:
            return f"http://{self.lms_host}:8000"
        return f"{'https' if self.https else 'http'}://{self.lms_host}"

    def cms_url(self, dev: bool = False) -> str:
        """Studio, as Tutor serves it (tutor dev: port 8001)."""
        host = self.cms_host or f"studio.{self.lms_host}"
        if dev:
            return f"http://{host}:8001"
        return f"{'https' if self.https else 'http'}://{host}"

    def learning_mfe_url(self, dev: bool = False) -> str:
        """The learning MFE, as tutor-mfe sets LEARNING_MICROFRONTEND_URL (its
        openedx-lms-production-settings / -development-settings patches: dev port 2000)."""
        host = self.mfe_host or f"apps.{self.lms_host}"
        if dev:
            return f"http://{host}:2000/learning"
        return f"{'https' if self.https else 'http'}://{host}/learning"


class SamlIdp(NamedTuple):
    """A SAML identity provider: where its metadata comes from and how its attributes map."""

    entity_id: str
    metadata_url: str  # exactly as given ("" when the metadata is inline)
    metadata_xml: str  # the inline metadata ("" when it comes from metadata_url)
    attributes: dict[str, str]  # SAMLProviderConfig field (attr_*) -> SAML attribute name
    # The pinned metadata signing certificate's base64 body ("" when not pinned).
    metadata_signing_cert: str = ""


class SamlServiceProvider(NamedTuple):
    """Open edX as a SAML service provider (one for the LMS Site, configuration "default")."""

    entity_id: str
    org_name: str
    org_url: str
    private_key: str  # PKCS#8 body: the LMS settings only
    certificate: str  # base64 DER: public, in the SAMLConfiguration row and the credentials
    # python3-saml's security settings (core/saml_security.py: defaults + SAML_SECURITY).
    security: dict[str, Any]
    # The next key's certificate (LMSBRIDGE_SP_NEXT_PRIVATE_KEY), published in the SP
    # metadata before the switch ("" when no rollover is under way).
    next_certificate: str = ""
    refresh_hours: int = 6  # between two metadata refreshes; 0: no schedule


@dataclasses.dataclass(frozen=True, kw_only=True)
class ProviderBase:
    """Direction A, whatever the protocol: Open edX logs learners in through this app, with
    a python-social-auth backend, and lists it as a third_party_auth provider."""

    backend: Backend
    title: str
    slug: str
    visible: bool
    flags: dict[str, bool]  # presets.PROVIDER_FLAGS
    other_settings: dict[str, Any]
    # What a first login whose email belongs to an existing account may do (presets.
    # LINK_POLICIES); the in-image guard (openedx_app/.../account_link.py) enforces it.
    link_by_email: LinkPolicy
    requirement: str = ""  # "" when the backend already ships in the image
    logout: str = "local"  # "provider": Open edX's logout also logs out at the provider
    max_session_length: int | None = None  # ProviderConfig.max_session_length (seconds)


@dataclasses.dataclass(frozen=True, kw_only=True)
class IdentityProvider(ProviderBase):
    """Over OAuth2 or OpenID Connect: with a client registered at the app."""

    client_id: str
    client_secret: str
    # True when Open edX generated the client (the app must register it: `credentials`),
    # False when the operator set the one the app created.
    generated: bool

    @property
    def ready(self) -> bool:
        """False until the client exists on Open edX's side: generated, or pasted from the
        external app."""
        return bool(self.client_id and self.client_secret)

    @property
    def login_path(self) -> str:
        return f"/auth/login/{self.backend.name}/?auth_entry=login"

    @property
    def provider_id(self) -> str:
        """edx-platform's id of the provider: oa2-<backend>."""
        return oauth2_provider_id(self.backend.name)


@dataclasses.dataclass(frozen=True, kw_only=True)
class SamlIdentityProvider(ProviderBase):
    """Over SAML 2.0, through edx-platform's SAML backend (presets.SAML_BACKEND, shared by
    every SAML provider) and this IdP's metadata. No client to register: no OAuth2 fields."""

    idp: SamlIdp

    @property
    def ready(self) -> bool:
        """A SAML provider needs nothing from the IdP's side before it works."""
        return True

    @property
    def login_path(self) -> str:
        return f"/auth/login/{self.backend.name}/?auth_entry=login&idp={self.slug}"

    @property
    def provider_id(self) -> str:
        """edx-platform's id of the provider: saml-<slug>."""
        return saml_provider_id(self.slug)


# Either kind of identity provider; the app's login protocol (protocols/) knows which.
Provider = IdentityProvider | SamlIdentityProvider


class ApiClient(NamedTuple):
    """Direction B: this app calls Open edX (OAuth2 application + service user + token)."""

    service_username: str
    service_email: str
    application_name: str
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    token: str | None  # the service token, for presets whose app calls the API
    token_scopes: tuple[str, ...]
    token_expires: str  # ISO date


class CatalogSide(NamedTuple):
    """A course catalog (Richie) Open edX serves: API key, cross-domain CSRF, course sync."""

    # Open edX's EDX_API_KEY, sent as X-Edx-Api-Key by a Richie older than 2.0.0-beta.17
    # (its server-side enrollment calls); None unless LMSBRIDGE_<APP>_API_KEY turns it on.
    api_token: str | None
    sync: bool  # send published course runs to the catalog
    sync_secrets: tuple[str, ...]  # the first signs; all go to RICHIE_COURSE_RUN_SYNC_SECRETS
    sync_timeout: int  # seconds per request, in all (connect and every read)
    sync_retry_hours: int  # retry an undelivered run for this long after its publish
    # Open edX language code -> Richie's (LMSBRIDGE_<APP>_LANGUAGES), over the in-image
    # code's built-in mapping (lmsbridge_openedx/richie_payload.py)
    languages: dict[str, str]
    csrf_cookie_name: str
    csrf_cookie_domain: str  # ".example.com": the LMS and the catalog are under it

    @property
    def sync_path(self) -> str:
        return "/api/v1.0/course-runs-sync/"


class ConnectedApp(NamedTuple):
    name: str
    preset: Preset
    url: BaseUrl  # what the learner's browser reaches
    internal_url: BaseUrl  # what the LMS container reaches
    logout_url: str
    provider: Provider | None  # None: the preset does not use direction A
    client: ApiClient | None
    catalog: CatalogSide | None = None

    @property
    def key_prefix(self) -> str:
        return app_key_prefix(self.name)


class Bridge(NamedTuple):
    platform: Platform
    apps: tuple[ConnectedApp, ...]
    login_redirect_app: ConnectedApp | None
    redirect_allow: tuple[str, ...]
    authn_mfe_bypass: bool
    allow_public_account_creation: bool
    skip_email_validation: bool
    registration_fields: dict[str, str]
    companion_requirement: str = ""
    warnings: tuple[tuple[str, str], ...] = ()  # (key, what to do)
    saml_sp: SamlServiceProvider | None = None  # when a SAML identity provider is connected
    # Every secret value read (the catalog's secret kinds), longest first: for masking.
    secrets: tuple[str, ...] = ()


def app_key_prefix(name: str) -> str:
    return f"{PREFIX}{name.upper()}_"
