"""The key catalog: every ``LMSBRIDGE_*`` key, declared once.

A global key is ``LMSBRIDGE_<SETTING>``; a per-app key is ``LMSBRIDGE_<APP>_<SETTING>``. Each
declaration gives the kind of value, its default (a literal, or derived from the preset, the
app's other keys or Tutor's ``LMS_HOST``), the presets that use it, the rules its value
follows, an accepted example and one line of documentation. The readers, validation,
masking, ``tutor lmsbridge set``, the README's key tables and the hostile-value tests all
iterate over this catalog: adding a key is one entry here plus the place its value lands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from ..protocols import provider_protocol
from . import value_types as kinds
from .connected_apps import PREFIX as PREFIX
from .derived_secrets import derive_secret
from .presets import (
    BACKENDS,
    COMPANION_AUTH_REQUIREMENT,
    LINK_POLICIES,
    PROVIDER_FLAGS,
    SAML_ATTRIBUTES,
    Preset,
)
from .value_types import Kind, Rules
from .vocabulary import (
    BACKEND_NAME_RE,
    CLAIM_RE,
    CLASS_PATH_RE,
    CREDENTIAL_RE,
    EMAIL_RE,
    LANGUAGE_CODE_RE,
    REQUIREMENT_RE,
    SCOPE_RE,
    SLUG_RE,
    USERNAME_RE,
    cookie_domain,
    email_domain,
)

if TYPE_CHECKING:
    from .connected_apps import Platform


class AppView(Protocol):
    """What a derived default may look at: the app, its preset, Tutor's platform values,
    the secret seed and the app's other keys (``get`` returns their typed value)."""

    name: str
    preset: Preset
    platform: Platform
    seed: str

    def get(self, setting: str) -> Any: ...


class Derived(NamedTuple):
    """A default computed from the app; ``doc`` says how, in the README."""

    compute: Callable[[AppView], Any]
    doc: str


class Required(NamedTuple):
    """No default: the key must be set (``example`` shows an accepted value), unless
    ``unless`` says the app does without it (its value is then unset)."""

    doc: str = "required"
    unless: Callable[[AppView], bool] | None = None


def _all(_preset: Preset) -> bool:
    return True


class Key(NamedTuple):
    setting: str  # "APPS" or, per app, "CLIENT_ID"
    kind: Kind
    doc: str
    default: Any = None  # a literal, Derived or Required
    applies: Callable[[Preset], bool] = _all  # per-app keys: the presets that use it
    rules: Rules = Rules()
    per_app: bool = True
    # A Jinja expression Tutor renders once and keeps in config.yml (CONFIG_UNIQUE).
    generator: str = ""

    def name(self, app: str | None = None) -> str:
        return f"{PREFIX}{app.upper()}_{self.setting}" if app else f"{PREFIX}{self.setting}"


def _identity(preset: Preset) -> bool:
    return preset.identity_provider


def _protocol_key(setting: str) -> Callable[[Preset], bool]:
    """The presets that use a protocol's key: those whose login protocol declares it
    (protocols/<name>.py ``keys``); an app that logs nobody in uses the keys of its own web
    server (protocols.base.NO_LOGIN_KEYS)."""

    def applies(preset: Preset) -> bool:
        from ..protocols import login_protocol
        from ..protocols.base import NO_LOGIN_KEYS

        protocol = login_protocol(preset)
        return setting in (NO_LOGIN_KEYS if protocol is None else protocol.keys)

    return applies


def _inline_metadata(app: AppView) -> bool:
    """A SAML app may give its IdP's metadata inline (METADATA), or have it fetched from a
    metadata query service (MDQ), instead of a URL."""
    return _protocol_key("METADATA")(app.preset) and bool(app.get("METADATA") or app.get("MDQ"))


def _client(preset: Preset) -> bool:
    return preset.client


def _service_token(preset: Preset) -> bool:
    return preset.api_client and preset.service_token


def _catalog(preset: Preset) -> bool:
    return preset.catalog


def _by_protocol(setting: str, doc: str) -> Derived:
    """A default the app's login protocol computes (protocols/<name>.py ``default``)."""

    def compute(app: AppView) -> Any:
        from ..protocols import login_protocol
        from ..protocols.base import common_default

        protocol = login_protocol(app.preset)
        return common_default(app, setting) if protocol is None else protocol.default(app, setting)

    return Derived(compute, doc)


def _default_package(app: AppView) -> str:
    backend = BACKENDS.get(app.get("BACKEND"))
    return backend.requirement if backend is not None else ""


def _secret(purpose: str, per_app: bool = True) -> Derived:
    def compute(app: AppView) -> str:
        return derive_secret(app.seed, app.name if per_app else "openedx", purpose)

    return Derived(compute, "generated" + ("" if per_app else " (shared by all catalogs)"))


def _login_client(purpose: str) -> Derived:
    """The login client's id or secret: generated where the preset lets Open edX choose them
    (the app then registers exactly these), else none until the operator sets them."""

    def compute(app: AppView) -> str:
        if not app.preset.generated_login_client:
            return ""
        value = derive_secret(app.seed, app.name, purpose)
        # The id is no secret: a prefix tells it apart from one in the app's admin.
        return f"openedx-{value[:32]}" if purpose.endswith("-id") else value

    return Derived(compute, "generated (MITx presets), else none until set")


_CREDENTIAL = Rules(CREDENTIAL_RE, "1-255 printable characters without spaces", example="abc123")
# SAML entity ids and attribute names: URIs (URLs, URNs), so printable without spaces.
_PRINTABLE = r"[\x21-\x7e]+"
_URL = Rules(example="https://app.example.com")
_BOOL = Rules(example="true")

GLOBAL_KEYS: tuple[Key, ...] = (
    Key(
        "APPS",
        kinds.LIST,
        "connected apps, by name",
        [],
        per_app=False,
        rules=Rules(example="[mitxonline, richie]"),
    ),
    Key(
        "LOGIN_REDIRECT",
        kinds.SWITCH,
        "where openedx-companion-auth sends anonymous learners: ``true`` (the first MITx app "
        "whose client is set), an app name, or ``false``",
        True,
        per_app=False,
        rules=Rules(example="false"),
    ),
    Key(
        "LOGIN_REDIRECT_ALLOW",
        kinds.REGEX_LIST,
        "extra path regexes reachable without login (``/admin``, ``/login``, ``/auth``, "
        "``/api``... always are)",
        [],
        per_app=False,
        rules=Rules(example="['^/courses/']"),
    ),
    Key(
        "AUTHN_MFE_BYPASS",
        kinds.BOOLEAN,
        "while the redirect is on, ``ENABLE_AUTHN_MICROFRONTEND = False`` (after tutor-mfe), so "
        "``/login`` is the local break-glass login",
        True,
        per_app=False,
        rules=_BOOL,
    ),
    Key(
        "ALLOW_PUBLIC_ACCOUNT_CREATION",
        kinds.BOOLEAN,
        "Open edX's ``ALLOW_PUBLIC_ACCOUNT_CREATION`` (accounts are created on first SSO login)",
        True,
        per_app=False,
        rules=_BOOL,
    ),
    Key(
        "SKIP_EMAIL_VALIDATION",
        kinds.BOOLEAN,
        "Open edX's ``SKIP_EMAIL_VALIDATION``",
        True,
        per_app=False,
        rules=_BOOL,
    ),
    Key(
        "REGISTRATION_FIELDS",
        kinds.MAPPING,
        "entries of ``REGISTRATION_EXTRA_FIELDS`` (``required``, ``optional``, "
        "``optional-exposed``, ``hidden``)",
        {"country": "hidden"},
        per_app=False,
        rules=Rules(example="{country: hidden, terms_of_service: hidden}"),
    ),
    Key(
        "COMPANION_AUTH_REQUIREMENT",
        kinds.TEXT,
        "pip requirement of openedx-companion-auth, installed into the openedx image",
        COMPANION_AUTH_REQUIREMENT,
        per_app=False,
        rules=Rules(REQUIREMENT_RE, "a pip requirement", example=COMPANION_AUTH_REQUIREMENT),
    ),
    Key(
        "SECRET_SEED",
        kinds.SECRET,
        "the seed every generated per-app secret derives from (HMAC-SHA256); changing it "
        "rotates them all",
        Required("generated (kept in ``config.yml``)"),
        per_app=False,
        generator="{{ 48|random_string }}",
        rules=Rules(
            CREDENTIAL_RE,
            "printable characters without spaces",
            min_length=32,
            example="$(openssl rand -hex 24)",
        ),
    ),
    Key(
        "SP_ENTITY_ID",
        kinds.TEXT,
        "SAML apps: Open edX's entity id as a SAML service provider",
        Derived(lambda app: app.platform.lms_url() + "/saml", "``<LMS URL>/saml``"),
        per_app=False,
        rules=Rules(
            _PRINTABLE,
            "printable characters without spaces",
            max_length=255,
            example="https://lms.example.com/saml",
        ),
    ),
    Key(
        "SP_ORG_NAME",
        kinds.TEXT,
        "SAML apps: the organisation named in Open edX's SP metadata",
        Derived(lambda app: app.platform.name, "Tutor's ``PLATFORM_NAME``"),
        per_app=False,
        rules=Rules(max_length=255, example="Example University"),
    ),
    Key(
        "SP_ORG_URL",
        kinds.ENDPOINT,
        "SAML apps: the organisation's URL in Open edX's SP metadata",
        Derived(lambda app: app.platform.lms_url(), "the LMS URL"),
        per_app=False,
        rules=_URL,
    ),
    Key(
        "SP_PRIVATE_KEY",
        kinds.PRIVATE_KEY,
        "SAML apps: the SP's RSA key (its certificate derives from it); only in the LMS "
        "settings, never in the database. Unset it to rotate",
        Required("generated (kept in ``config.yml``)"),
        per_app=False,
        generator="{{ 2048|rsa_private_key }}",
        rules=Rules(chars="unset it to have Tutor generate a new one", example=""),
    ),
    Key(
        "SP_NEXT_PRIVATE_KEY",
        kinds.PRIVATE_KEY,
        "SAML apps, for a key rollover: the SP's next RSA key. Its certificate is published "
        "in the SP metadata next to the current one; once the IdPs have it, it becomes "
        "``SP_PRIVATE_KEY`` (docs/security.rst)",
        "",
        per_app=False,
        rules=Rules(chars="give a new key: openssl genrsa 2048", example=""),
    ),
    Key(
        "SAML_SECURITY",
        kinds.JSON_MAPPING,
        "SAML apps: python3-saml security settings merged over the plugin's "
        "(``rejectDeprecatedAlgorithm: true``, no requested AuthnContext), e.g. "
        "``wantAssertionsSigned`` for an IdP that signs its assertions",
        {},
        per_app=False,
        rules=Rules(example="{wantAssertionsSigned: true}"),
    ),
    Key(
        "SAML_REFRESH_HOURS",
        kinds.INTEGER,
        "SAML apps: hours between two metadata refreshes (a compose service, a k8s CronJob); "
        "one of 1, 2, 3, 4, 6, 8, 12, 24, or 0 for no schedule",
        6,
        per_app=False,
        rules=Rules(minimum=0, maximum=24, example="6"),
    ),
)

# The provider flags (presets.PROVIDER_FLAGS): each lets something through that Open edX
# would otherwise check itself, so each defaults to what the provider vouches for. The doc
# is the README's one line: what the flag lets through, and when to turn it on.
_FLAG_DEFAULTS: dict[str, tuple[Any, str]] = {
    "skip_hinted_login_dialog": (
        True,
        "a ``?tpa_hint=`` link goes straight to the provider, without Open edX's "
        '"sign in with" dialog (a click saved, nothing trusted)',
    ),
    "skip_registration_form": (
        True,
        "a new learner's account takes the provider's name, username and email without a "
        "form to confirm them (the email still needs confirming unless "
        "``SKIP_EMAIL_VERIFICATION``)",
    ),
    "skip_email_verification": (
        Derived(
            lambda app: provider_protocol(app.preset).verifies_email(app.get("LINK_BY_EMAIL")),
            "``true`` where the provider verifies emails (MITx presets, ``saml``, ``oidc`` "
            "with ``LINK_BY_EMAIL`` ``verified``), else ``false``",
        ),
        "a new account is active at once, with the provider's email unconfirmed; with "
        "``SKIP_REGISTRATION_FORM``, a first login creates the account. Only for a provider "
        "that verifies emails",
    ),
    "sync_learner_profile_data": (
        True,
        "each login copies the provider's name and email onto the linked account (so it "
        "follows the provider's directory); only the account linked to that provider "
        "identity is written",
    ),
    "enable_sso_id_verification": (
        False,
        "a login through the provider gives the learner an approved identity verification "
        "(certificates that need one). Only for an institution's directory that checked each "
        "person's identity",
    ),
}

_FLAG_KEYS = tuple(
    Key(
        flag.upper(),
        kinds.BOOLEAN,
        f"``{flag}``: {_FLAG_DEFAULTS[flag][1]}",
        _FLAG_DEFAULTS[flag][0],
        _identity,
        _BOOL,
    )
    for flag in PROVIDER_FLAGS
)

APP_KEYS: tuple[Key, ...] = (
    Key(
        "PRESET",
        kinds.CHOICE,
        "what the app is: a preset name",
        Derived(
            lambda app: app.name if app.name == app.preset.name else "",
            "the app name, when it is a preset",
        ),
        rules=Rules(example="oidc"),
    ),
    Key(
        "URL",
        kinds.URL,
        "the app's URL as browsers reach it (``oidc``: the issuer; ``saml``: the IdP's metadata "
        "URL, query allowed)",
        Required("required (``saml``: or ``METADATA``, or ``MDQ``)", unless=_inline_metadata),
        rules=_URL,
    ),
    Key(
        "INTERNAL_URL",
        kinds.URL,
        "the app's URL as the LMS container reaches it (token, user info, JWKS, sync)",
        Derived(lambda app: str(app.get("URL")), "``URL``"),
        _protocol_key("INTERNAL_URL"),
        rules=_URL,
    ),
    Key(
        "LOGOUT_URL",
        kinds.ENDPOINT,
        "added to Open edX's ``IDA_LOGOUT_URI_LIST``; with ``LOGOUT=provider``, where Open edX "
        "sends the learner to log out at the provider",
        _by_protocol(
            "LOGOUT_URL",
            "``<URL>/logout`` (``oidc``: none, the discovery document's ``end_session_endpoint`` "
            "serves ``LOGOUT=provider``; ``richie``: none, Richie keeps no learner session)",
        ),
        _protocol_key("LOGOUT_URL"),
        rules=_URL,
    ),
    Key(
        "LOGOUT",
        kinds.CHOICE,
        "``provider``: logging out of Open edX also logs the learner out at the provider (the "
        "provider's ``logout_url``, ``TPA_AUTOMATIC_LOGOUT_ENABLED``); ``local``: Open edX only",
        "local",
        _protocol_key("LOGOUT"),
        Rules(r"local|provider", "local or provider", example="provider"),
    ),
    Key(
        "MAX_SESSION_LENGTH",
        kinds.INTEGER,
        "seconds a session started through this provider lasts at most (the provider's "
        "``max_session_length``; ``0``: until the browser closes); unset: the row keeps its value",
        None,
        _protocol_key("MAX_SESSION_LENGTH"),
        Rules(minimum=0, maximum=2147483647, example="28800"),
    ),
    Key(
        "LOGIN_PROVIDER",
        kinds.BOOLEAN,
        "``false``: use a two-way app only as an API client",
        True,
        lambda p: p.identity_provider and p.api_client,
        _BOOL,
    ),
    Key(
        "CLIENT_ID",
        kinds.TEXT,
        "the OAuth2 client Open edX logs in with, as registered at the app (or identity provider)",
        _login_client("login-client-id"),
        _protocol_key("CLIENT_ID"),
        _CREDENTIAL,
    ),
    Key(
        "CLIENT_SECRET",
        kinds.SECRET,
        "its secret (set both or neither)",
        _login_client("login-client-secret"),
        _protocol_key("CLIENT_SECRET"),
        _CREDENTIAL,
    ),
    Key(
        "BACKEND",
        kinds.TEXT,
        "social-auth backend name; the provider id is ``oa2-<BACKEND>``",
        _by_protocol("BACKEND", "``ol-oauth2`` (MITx), the app name (``oidc``), else required"),
        _protocol_key("BACKEND"),
        Rules(BACKEND_NAME_RE, "lowercase letters, digits, - and _", max_length=50, example="sso"),
    ),
    Key(
        "BACKEND_CLASS",
        kinds.TEXT,
        "dotted path of the python-social-auth backend class",
        Required(),
        _protocol_key("BACKEND_CLASS"),
        Rules(
            CLASS_PATH_RE,
            "a dotted Python path",
            example="social_core.backends.github.GithubOAuth2",
        ),
    ),
    Key(
        "PACKAGE",
        kinds.TEXT,
        "pip requirement installed into the image for the backend (``''``: the image has it)",
        Derived(_default_package, "the backend's package (MITx), else none"),
        _protocol_key("PACKAGE"),
        Rules(REQUIREMENT_RE, "a pip requirement", example="social-auth-acme==1.0"),
    ),
    Key(
        "PROVIDER_NAME",
        kinds.TEXT,
        "provider display name (the login button's text)",
        _by_protocol(
            "PROVIDER_NAME",
            "``oidc``: the provider's own name from the issuer (Google, Microsoft, Okta, Auth0, "
            "a Keycloak realm's name), else the preset's title",
        ),
        _identity,
        Rules(max_length=50, example="University login"),
    ),
    Key(
        "SLUG",
        kinds.TEXT,
        "provider slug (``saml``: the provider id is ``saml-<SLUG>``)",
        _by_protocol("SLUG", "the backend name (``saml``: the app name)"),
        _identity,
        Rules(SLUG_RE, "lowercase letters, digits, - and _", max_length=30, example="sso"),
    ),
    Key(
        "VISIBLE",
        kinds.BOOLEAN,
        "show a button on Open edX's login page",
        Derived(
            lambda app: app.preset.login_button,
            "``true`` (``oidc``, ``oauth2``, ``saml``), else ``false``",
        ),
        _identity,
        _BOOL,
    ),
    *_FLAG_KEYS,
    Key(
        "LINK_BY_EMAIL",
        kinds.CHOICE,
        "when a first login's email belongs to an existing account: ``never`` (stopped: the "
        "learner signs in with the password and links the provider from account settings), "
        "``verified`` (linked only when the provider says the email is verified: OIDC "
        "``email_verified``), ``trusted`` (linked, as edx-platform does: the operator's own "
        "apps only). Never to a staff or superuser account, nor when several accounts match. "
        "``saml``: ``never`` or ``trusted`` (assertions carry no ``email_verified``; "
        "edx-platform links SAML logins by email only for enterprise customers)",
        Derived(
            lambda app: provider_protocol(app.preset).link_default,
            "``trusted`` (MITx presets: their apps verify email at registration), "
            "``verified`` (``oidc``), ``never`` (``oauth2``, ``saml``)",
        ),
        _identity,
        Rules(
            "|".join(LINK_POLICIES),
            ", ".join(LINK_POLICIES[:-1]) + " or " + LINK_POLICIES[-1],
            example="verified",
        ),
    ),
    Key(
        "AUTHORIZATION_URL",
        kinds.ENDPOINT,
        "``other_settings``: the authorization page (browser)",
        _by_protocol("AUTHORIZATION_URL", "``<URL>/oauth2/authorize/`` (MITx presets), else none"),
        _protocol_key("AUTHORIZATION_URL"),
        _URL,
    ),
    Key(
        "ACCESS_TOKEN_URL",
        kinds.ENDPOINT,
        "``other_settings``: the token endpoint (LMS container)",
        _by_protocol(
            "ACCESS_TOKEN_URL", "``<INTERNAL_URL>/oauth2/token/`` (MITx presets), else none"
        ),
        _protocol_key("ACCESS_TOKEN_URL"),
        _URL,
    ),
    Key(
        "API_ROOT",
        kinds.ENDPOINT,
        "``other_settings``: user info is read from ``API_ROOT + api/users/me``",
        _by_protocol("API_ROOT", "``<INTERNAL_URL>/`` (MITx presets), else none"),
        _protocol_key("API_ROOT"),
        _URL,
    ),
    Key(
        "DISCOVERY_URL",
        kinds.ENDPOINT,
        "``other_settings``: an OIDC discovery document (``ol-oauth2`` uses it when set)",
        "",
        _protocol_key("DISCOVERY_URL"),
        _URL,
    ),
    Key(
        "SCOPES",
        kinds.LIST,
        "scopes requested from the OpenID Provider",
        ["openid", "email", "profile"],
        _protocol_key("SCOPES"),
        Rules(SCOPE_RE, "scope names", example="[openid, email, profile]"),
    ),
    Key(
        "USERNAME_CLAIM",
        kinds.TEXT,
        "the claim Open edX's username comes from",
        "preferred_username",
        _protocol_key("USERNAME_CLAIM"),
        Rules(CLAIM_RE, "a claim name", example="email"),
    ),
    Key(
        "FULLNAME_CLAIM",
        kinds.TEXT,
        "the claim the learner's full name comes from",
        "name",
        _protocol_key("FULLNAME_CLAIM"),
        Rules(CLAIM_RE, "a claim name", example="name"),
    ),
    Key(
        "EMAIL_CLAIM",
        kinds.TEXT,
        "the claim the learner's email comes from",
        "email",
        _protocol_key("EMAIL_CLAIM"),
        Rules(CLAIM_RE, "a claim name", example="upn"),
    ),
    Key(
        "ENTITY_ID",
        kinds.TEXT,
        "the IdP's entity id, exactly as its metadata gives it",
        Required(),
        _protocol_key("ENTITY_ID"),
        Rules(
            _PRINTABLE,
            "printable characters without spaces",
            max_length=255,
            example="https://idp.example.edu/idp/shibboleth",
        ),
    ),
    Key(
        "METADATA",
        kinds.XML,
        "the IdP's metadata as XML, for an IdP that publishes no URL (instead of ``URL``; "
        "not refreshed: set it again when the IdP's certificate changes)",
        "",
        _protocol_key("METADATA"),
        Rules(max_length=1 << 20, example='"$(cat idp-metadata.xml)"'),
    ),
    Key(
        "MDQ",
        kinds.URL,
        "the base URL of a SAML metadata query (MDQ) service, e.g. "
        "``https://mdq.incommon.org/``: the IdP's metadata is fetched from "
        "``<MDQ>/entities/<ENTITY_ID, percent-encoded>`` (instead of ``URL``)",
        None,
        _protocol_key("MDQ"),
        rules=Rules(example="https://mdq.incommon.org/"),
    ),
    Key(
        "METADATA_SIGNING_CERT",
        kinds.CERTIFICATE,
        "the certificate (PEM, public) that signs the IdP's metadata, its federation's or its "
        "own: metadata is stored only when its signature verifies (the last good one stays), "
        "and edx's own unverified refresh of the provider is turned off",
        "",
        _protocol_key("METADATA_SIGNING_CERT"),
        Rules(max_length=1 << 14, example='"$(cat inc-md-cert-mdq.pem)"'),
    ),
    *(
        Key(
            f"ATTR_{field.upper()}",
            kinds.TEXT,
            f"the SAML attribute {what} comes from",
            default,
            _protocol_key(f"ATTR_{field.upper()}"),
            Rules(
                _PRINTABLE,
                "an attribute name (a URN or URI)",
                max_length=128,
                example=default,
            ),
        )
        for field, what, default in SAML_ATTRIBUTES
    ),
    Key(
        "OTHER_SETTINGS",
        kinds.JSON_MAPPING,
        "further backend settings in ``other_settings`` (JSON types kept; ``saml``: the "
        "provider's, e.g. ``requiredEntitlements``)",
        {},
        _identity,
        Rules(example="{JWT_LEEWAY: 30}"),
    ),
    Key(
        "SERVICE_USERNAME",
        kinds.TEXT,
        "the staff service user the app's API calls act as",
        Derived(lambda app: f"{app.name}_serviceworker", "``<name>_serviceworker``"),
        _client,
        Rules(USERNAME_RE, "2-30 letters, digits and _ . @ + -", example="worker"),
    ),
    Key(
        "SERVICE_EMAIL",
        kinds.TEXT,
        "its email",
        Derived(
            lambda app: f"{app.get('SERVICE_USERNAME')}@{email_domain(app.platform.lms_host)}",
            "``<SERVICE_USERNAME>@<LMS_HOST>`` (``@lmsbridge.invalid`` for an IP)",
        ),
        _client,
        Rules(EMAIL_RE, "an email address", example="worker@example.com"),
    ),
    Key(
        "APPLICATION_NAME",
        kinds.TEXT,
        "the django-oauth-toolkit application's name (owned by the service user)",
        Derived(lambda app: f"lmsbridge-{app.name}", "``lmsbridge-<name>``"),
        _client,
        Rules(max_length=255, example="lmsbridge-app"),
    ),
    Key(
        "API_CLIENT_ID",
        kinds.TEXT,
        "its client id (MITx: ``OPENEDX_API_CLIENT_ID``)",
        Derived(lambda app: f"lmsbridge-{app.name}", "``lmsbridge-<name>``"),
        _client,
        Rules(
            r"[A-Za-z0-9._~-]{1,100}", "1-100 letters, digits and . _ ~ -", example="lmsbridge-app"
        ),
    ),
    Key(
        "API_CLIENT_SECRET",
        kinds.SECRET,
        "its client secret (``OPENEDX_API_CLIENT_SECRET``)",
        _secret("api-client-secret"),
        _client,
        _CREDENTIAL,
    ),
    Key(
        "REDIRECT_URIS",
        kinds.LIST,
        "its exact redirect URIs",
        Derived(
            lambda app: [str(app.get("URL")) + path for path in app.preset.redirect_paths],
            "from the preset",
        ),
        _client,
        Rules(example="[https://app.example.com/complete/edx-oauth2/]"),
    ),
    Key(
        "SERVICE_TOKEN",
        kinds.SECRET,
        "the service user's access token (changing it rotates the token)",
        _secret("service-token"),
        _service_token,
        _CREDENTIAL,
    ),
    Key(
        "TOKEN_SCOPES",
        kinds.LIST,
        "the token's scopes",
        ["read", "write"],
        _service_token,
        Rules(SCOPE_RE, "scope names such as read, write", example="[read, write]"),
    ),
    Key(
        "TOKEN_EXPIRES",
        kinds.DATE,
        "the token's expiry date",
        "2099-12-31",
        _service_token,
        Rules(example="2030-06-30"),
    ),
    Key(
        "OAUTH2_CLIENT",
        kinds.BOOLEAN,
        "also create an OAuth2 application the catalog logs in with: only for Richie 2.0.0-beta.15 "
        "to 2.14 (``EdXOAuth2``, redirect ``<URL>/oauth/complete/edx-oauth2/``); 2.15 and later "
        "show the Open edX session through ``RICHIE_AUTHENTICATION_DELEGATION`` instead",
        False,
        lambda p: p.optional_client,
        _BOOL,
    ),
    Key(
        "API_KEY",
        kinds.BOOLEAN,
        "set Open edX's ``EDX_API_KEY`` and export it as Richie's ``API_TOKEN``: only for a "
        "Richie older than 2.0.0-beta.17 (November 2020), which called the LMS's enrollment "
        "API with ``X-Edx-Api-Key``; later Richie calls nothing with it",
        False,
        _catalog,
        _BOOL,
    ),
    Key(
        "API_TOKEN",
        kinds.SECRET,
        "with ``API_KEY``: Open edX's ``EDX_API_KEY``, Richie's ``API_TOKEN`` (sent as "
        "``X-Edx-Api-Key``)",
        _secret("edx-api-key", per_app=False),
        _catalog,
        _CREDENTIAL,
    ),
    Key(
        "SYNC",
        kinds.BOOLEAN,
        "send published course runs to ``<INTERNAL_URL>/api/v1.0/course-runs-sync/``",
        True,
        _catalog,
        _BOOL,
    ),
    Key(
        "SYNC_SECRETS",
        kinds.SECRET_LIST,
        "the first signs; give Richie all of them (``RICHIE_COURSE_RUN_SYNC_SECRETS``) to rotate",
        Derived(
            lambda app: [derive_secret(app.seed, app.name, "course-run-sync")],
            "one generated secret",
        ),
        _catalog,
        Rules(CREDENTIAL_RE, "printable characters without spaces", example="[new, old]"),
    ),
    Key(
        "SYNC_TIMEOUT",
        kinds.INTEGER,
        "seconds a sync request may take in all (connect, send, every read); a catalog that "
        "does not answer in time is tried again later",
        5,
        _catalog,
        Rules(minimum=1, maximum=60, example="5"),
    ),
    Key(
        "SYNC_RETRY_HOURS",
        kinds.INTEGER,
        "hours Studio's worker keeps retrying a published course run the catalog did not take "
        "(down, 5xx, timeout), with exponential backoff, counted from the publish",
        24,
        _catalog,
        Rules(minimum=1, maximum=168, example="24"),
    ),
    Key(
        "LANGUAGES",
        kinds.MAPPING,
        "Richie's language code for an Open edX course language, over the built-in mapping "
        "(``es-419: es``, ``pt-pt: pt``, ``zh-cn: zh-hans``...; Richie accepts the codes of its "
        "``ALL_LANGUAGES``); a code neither maps is left out of the run and logged by name",
        {},
        _catalog,
        Rules(
            LANGUAGE_CODE_RE,
            "language codes such as es-419 or pt_PT",
            example="{es-419: es-419, pt-pt: pt}",
        ),
    ),
    Key(
        "CSRF_COOKIE_NAME",
        kinds.TEXT,
        "Open edX's ``CROSS_DOMAIN_CSRF_COOKIE_NAME``",
        "edx_csrf_token",
        _catalog,
        Rules(r"[A-Za-z0-9_-]{1,64}", "letters, digits, - and _", example="edx_csrf_token"),
    ),
    Key(
        "CSRF_COOKIE_DOMAIN",
        kinds.TEXT,
        "``CROSS_DOMAIN_CSRF_COOKIE_DOMAIN``: the LMS and the catalog must both be under it",
        Derived(
            lambda app: cookie_domain(app.platform.lms_host),
            "``.<parent of LMS_HOST>`` (for an IP address: the address)",
        ),
        _catalog,
        Rules(
            r"\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\]",
            "a domain such as .example.com (or an IP address)",
            example=".example.com",
        ),
    ),
)

GLOBAL_BY_SETTING: dict[str, Key] = {key.setting: key for key in GLOBAL_KEYS}
APP_BY_SETTING: dict[str, Key] = {key.setting: key for key in APP_KEYS}
SEED_KEY = GLOBAL_BY_SETTING["SECRET_SEED"].name()
SP_KEY = GLOBAL_BY_SETTING["SP_PRIVATE_KEY"].name()
# The first word of every global key: an app with such a name would have ambiguous keys.
# An app may be named "saml" like its preset (LMSBRIDGE_SAML_URL...): the SAML_* global keys'
# remainders are no per-app setting, so no key is ambiguous (checked below).
_SHARED_FIRST_WORDS = frozenset({"saml"})
RESERVED_APP_NAMES = (
    frozenset(key.setting.split("_")[0].lower() for key in GLOBAL_KEYS) - _SHARED_FIRST_WORDS
)
assert not {
    key.setting.partition("_")[2]
    for key in GLOBAL_KEYS
    if key.setting.split("_")[0].lower() in _SHARED_FIRST_WORDS
} & set(APP_BY_SETTING), "a SAML_* global key would read as a per-app key of an app 'saml'"


def key_parts(name: str) -> tuple[str | None, str] | None:
    """``LMSBRIDGE_APPS`` -> (None, "APPS"); ``LMSBRIDGE_SSO_URL`` -> ("sso", "URL"), whether
    or not the setting exists; None for a name outside ``LMSBRIDGE_``."""
    if not name.startswith(PREFIX):
        return None
    rest = name[len(PREFIX) :]
    if rest in GLOBAL_BY_SETTING:
        return None, rest
    app, _, setting = rest.partition("_")
    return app.lower(), setting


def spec_for(name: str) -> Key | None:
    """The catalog entry of a full key name, if any."""
    parts = key_parts(name)
    if parts is None:
        return None
    app, setting = parts
    if app is None:
        return GLOBAL_BY_SETTING[setting]
    if app in RESERVED_APP_NAMES:
        return None
    return APP_BY_SETTING.get(setting)


def tutor_defaults() -> list[tuple[str, Any]]:
    """Tutor's CONFIG_DEFAULTS: the global keys with a literal default."""
    return [
        (key.name(), key.default)
        for key in GLOBAL_KEYS
        if not isinstance(key.default, (Derived, Required)) and not key.generator
    ]


def tutor_unique() -> list[tuple[str, str]]:
    """Tutor's CONFIG_UNIQUE: generated once, kept in config.yml."""
    return [(key.name(), key.generator) for key in GLOBAL_KEYS if key.generator]
