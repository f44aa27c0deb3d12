"""The typed model of the applications connected to this Open edX, built from config.

``read_bridge(config)`` is the only entry point. It reads every ``LMSBRIDGE_*`` key through a
validating ConfigReader, fills defaults from the preset, the app URL and Tutor's own
``LMS_HOST`` / ``ENABLE_HTTPS``, and returns an immutable Bridge, or raises a one-line
ConfigError naming the key to fix. Nothing here imports Tutor.
"""

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from .config import DEFAULTS
from .config_reader import PREFIX, ConfigReader
from .derived_secrets import derive_secret
from .errors import ConfigError, show_value
from .presets import BACKENDS, PRESETS, Backend, Preset
from .urls import BaseUrl, parent_domain, parse_base_url

APP_NAME_RE = r"[a-z][a-z0-9]{1,29}"
# First words of the global keys: an app with such a name would have ambiguous keys.
RESERVED_APP_NAMES = frozenset(
    {"apps", "login", "authn", "allow", "skip", "registration", "companion", "secret"}
)
BACKEND_NAME_RE = r"[a-z0-9][a-z0-9_-]{0,49}"
SLUG_RE = r"[a-z0-9][a-z0-9_-]{0,29}"
USERNAME_RE = r"[A-Za-z0-9_.@+-]{2,30}"
EMAIL_RE = r"[^@\s]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|[^@\s]+@[A-Za-z0-9-]+"
CLASS_PATH_RE = r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+"
# Printable ASCII without spaces: what OAuth2 client ids, secrets and tokens are made of.
CREDENTIAL_RE = r"[\x21-\x7e]{1,255}"
# A pip requirement: name, optional extras, optional version specifiers (no URL, no marker).
REQUIREMENT_RE = (
    r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?"
    r"\s*((==|>=|<=|~=|!=|<|>)\s*[A-Za-z0-9.*+!-]+\s*,?\s*)*"
)
SCOPE_RE = r"[A-Za-z0-9_:.-]{1,64}"
DATE_RE = r"\d{4}-\d{2}-\d{2}"
# Modules whose backends edx-platform's image already has (python-social-auth core and
# edx-platform's own third_party_auth backends).
IMAGE_BACKEND_MODULES = ("social_core.backends.", "common.djangoapps.third_party_auth.")
REGISTRATION_FIELD_NAMES = frozenset(
    {
        "city",
        "confirm_email",
        "country",
        "gender",
        "goals",
        "honor_code",
        "level_of_education",
        "mailing_address",
        "state",
        "terms_of_service",
        "year_of_birth",
        "profession",
        "specialty",
        "marketing_emails_opt_in",
    }
)
REGISTRATION_FIELD_VALUES = ("required", "optional", "optional-exposed", "hidden")
# Paths anonymous learners may reach without being sent to the identity provider: the
# companion-auth default, plus health checks. "/admin" and "/login" (the break-glass local
# login) are part of the first one and can never be removed.
ALWAYS_ALLOWED_PATHS = (
    r"^/(admin|auth|login|logout|register|api|oauth2|user_api)",
    r"^/heartbeat",
)


class Platform(NamedTuple):
    """The Open edX side, from Tutor's own settings."""

    lms_host: str
    cms_host: str
    https: bool

    def lms_url(self, dev: bool = False) -> str:
        if dev:
            return f"http://{self.lms_host}:8000"
        return f"{'https' if self.https else 'http'}://{self.lms_host}"


class IdentityProvider(NamedTuple):
    """Direction A: Open edX logs learners in through this app (a social-auth backend)."""

    backend: Backend
    requirement: str  # "" when the backend already ships in the image
    client_id: str
    client_secret: str
    title: str
    slug: str
    visible: bool
    skip_hinted_login_dialog: bool
    skip_registration_form: bool
    skip_email_verification: bool
    sync_learner_profile_data: bool
    enable_sso_id_verification: bool
    other_settings: dict[str, str]

    @property
    def ready(self) -> bool:
        """False until the operator pastes the client the external app created."""
        return bool(self.client_id and self.client_secret)

    @property
    def login_path(self) -> str:
        return f"/auth/login/{self.backend.name}/?auth_entry=login"


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

    api_token: str  # Open edX's EDX_API_KEY, sent by Richie as X-Edx-Api-Key
    sync: bool  # send published course runs to the catalog
    sync_secrets: tuple[str, ...]  # the first signs; all go to RICHIE_COURSE_RUN_SYNC_SECRETS
    sync_timeout: int  # seconds per request
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
    provider: IdentityProvider | None  # None: the preset does not use direction A
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


def email_domain(lms_host: str) -> str:
    """LMS_HOST when it is a DNS name; an IP address or a bare host name would make an invalid
    address, so the reserved .invalid domain stands in (nothing is ever mailed to it)."""
    if re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}", lms_host):
        return lms_host
    return "lmsbridge.invalid"


def app_key_prefix(name: str) -> str:
    return f"{PREFIX}{name.upper()}_"


def read_bridge(config: Mapping[str, Any], reader: ConfigReader | None = None) -> Bridge:
    """Build the Bridge from a Tutor configuration, or raise ConfigError. (Pass a reader to
    learn afterwards which keys the configuration uses.)"""
    reader = reader or ConfigReader(config)
    platform = _read_platform(reader)
    seed = reader.text(
        f"{PREFIX}SECRET_SEED",
        "",
        secret=True,
        pattern=CREDENTIAL_RE,
        fix="run `tutor config save` so that Tutor generates it",
    )
    warnings: list[tuple[str, str]] = []
    names = _read_app_names(reader)
    apps = tuple(_read_app(reader, platform, seed, name, warnings) for name in names)
    _check_unique_backends(apps)
    _check_catalogs(platform, apps, warnings)
    login_redirect_app = _read_login_redirect(reader, apps)
    redirect_allow = _read_redirect_allow(reader)
    authn_mfe_bypass = reader.flag(f"{PREFIX}AUTHN_MFE_BYPASS", DEFAULTS["AUTHN_MFE_BYPASS"])
    allow_public_account_creation = reader.flag(
        f"{PREFIX}ALLOW_PUBLIC_ACCOUNT_CREATION", DEFAULTS["ALLOW_PUBLIC_ACCOUNT_CREATION"]
    )
    skip_email_validation = reader.flag(
        f"{PREFIX}SKIP_EMAIL_VALIDATION", DEFAULTS["SKIP_EMAIL_VALIDATION"]
    )
    registration_fields = _read_registration_fields(reader)
    companion_requirement = reader.text(
        f"{PREFIX}COMPANION_AUTH_REQUIREMENT",
        DEFAULTS["COMPANION_AUTH_REQUIREMENT"],
        pattern=REQUIREMENT_RE,
        fix="give a pip requirement such as openedx-companion-auth==1.3.0",
    )
    # Last: only now is every key that means something read.
    warnings.extend(_unknown_keys(reader, apps))
    return Bridge(
        platform=platform,
        apps=apps,
        login_redirect_app=login_redirect_app,
        redirect_allow=redirect_allow,
        authn_mfe_bypass=authn_mfe_bypass,
        allow_public_account_creation=allow_public_account_creation,
        skip_email_validation=skip_email_validation,
        registration_fields=registration_fields,
        companion_requirement=companion_requirement,
        warnings=tuple(warnings),
    )


def _read_platform(reader: ConfigReader) -> Platform:
    lms_host = reader.platform("LMS_HOST")
    if not isinstance(lms_host, str) or not lms_host:
        raise ConfigError("LMS_HOST", "is not set", "set Tutor's LMS_HOST")
    cms_host = reader.platform("CMS_HOST")
    return Platform(
        lms_host=lms_host,
        cms_host=cms_host if isinstance(cms_host, str) else "",
        https=bool(reader.platform("ENABLE_HTTPS")),
    )


def _read_app_names(reader: ConfigReader) -> tuple[str, ...]:
    key = f"{PREFIX}APPS"
    names = reader.text_list(key)
    for name in names:
        if not re.fullmatch(APP_NAME_RE, name) or name in RESERVED_APP_NAMES:
            raise ConfigError(
                key,
                f"{show_value(name)} is not a usable app name",
                "use 2-30 lowercase letters and digits, starting with a letter "
                f"(not one of {', '.join(sorted(RESERVED_APP_NAMES))})",
            )
    if len(set(names)) != len(names):
        raise ConfigError(key, "an app is listed twice", "list each app once")
    return names


def _read_preset(reader: ConfigReader, name: str) -> Preset:
    key = f"{app_key_prefix(name)}PRESET"
    default = name if name in PRESETS else ""
    preset_name = reader.text(key, default, fix=f"set it to one of: {', '.join(PRESETS)}")
    if not preset_name:
        raise ConfigError(
            key,
            f"app {show_value(name)} is not a preset name, so it needs a preset",
            f"set {key} to one of: {', '.join(PRESETS)}",
        )
    if preset_name not in PRESETS:
        raise ConfigError(
            key, f"unknown preset {show_value(preset_name)}", f"use one of: {', '.join(PRESETS)}"
        )
    return PRESETS[preset_name]


def _read_app(
    reader: ConfigReader,
    platform: Platform,
    seed: str,
    name: str,
    warnings: list[tuple[str, str]],
) -> ConnectedApp:
    prefix = app_key_prefix(name)
    preset = _read_preset(reader, name)
    if not reader.is_set(f"{prefix}URL"):
        raise ConfigError(
            f"{prefix}URL",
            f"app {show_value(name)} has no URL",
            f"--set {prefix}URL=https://{name}.example.com (the URL browsers use)",
        )
    url = parse_base_url(f"{prefix}URL", reader.text(f"{prefix}URL", ""))
    if platform.https and url.scheme == "http":
        raise ConfigError(
            f"{prefix}URL",
            "browsers would leave the HTTPS platform for a plain-http login and token page",
            "use the app's https:// URL (or set ENABLE_HTTPS=false on a local test platform)",
        )
    internal_url = url
    if reader.is_set(f"{prefix}INTERNAL_URL"):
        internal_url = parse_base_url(
            f"{prefix}INTERNAL_URL", reader.text(f"{prefix}INTERNAL_URL", "")
        )
    logout_url = str(
        parse_base_url(
            f"{prefix}LOGOUT_URL",
            reader.text(f"{prefix}LOGOUT_URL", url.join(preset.logout_path)),
        )
    )
    # An app of a two-way preset may serve only as API client (another app logs learners in).
    login = preset.identity_provider and reader.flag(
        f"{prefix}LOGIN_PROVIDER", preset.identity_provider
    )
    provider = _read_provider(reader, preset, name, url, internal_url, warnings) if login else None
    wants_client = preset.api_client or (
        preset.optional_client and reader.flag(f"{prefix}OAUTH2_CLIENT", False)
    )
    client = _read_client(reader, platform, preset, seed, name, url) if wants_client else None
    catalog = _read_catalog(reader, platform, seed, name) if preset.catalog else None
    return ConnectedApp(name, preset, url, internal_url, logout_url, provider, client, catalog)


def _read_backend(reader: ConfigReader, preset: Preset, prefix: str) -> tuple[Backend, str]:
    """The backend and the pip requirement that installs it."""
    key = f"{prefix}BACKEND"
    package_key = f"{prefix}PACKAGE"
    package_fix = "give a pip requirement such as ol-social-auth==0.3.0, or '' if the image has it"
    if preset.backends:
        name = reader.text(key, preset.backends[0], fix=f"use one of: {', '.join(preset.backends)}")
        if name not in preset.backends:
            raise ConfigError(
                key,
                f"{show_value(name)} is not a backend of the {preset.name} preset",
                f"use one of: {', '.join(preset.backends)}",
            )
        backend = BACKENDS[name]
        requirement = reader.text(
            package_key, backend.requirement, pattern=REQUIREMENT_RE, fix=package_fix
        )
        reader.text(f"{prefix}BACKEND_CLASS", backend.class_path)  # fixed by the preset
        return backend, requirement
    if not reader.is_set(key) or not reader.is_set(f"{prefix}BACKEND_CLASS"):
        missing = key if not reader.is_set(key) else f"{prefix}BACKEND_CLASS"
        raise ConfigError(
            missing,
            f"the {preset.name} preset needs the backend's name and class",
            f"set {key} (e.g. keycloak) and {prefix}BACKEND_CLASS "
            "(e.g. social_core.backends.keycloak.KeycloakOAuth2)",
        )
    backend_name = reader.text(
        key, "", pattern=BACKEND_NAME_RE, fix="use lowercase letters, digits, - and _"
    )
    class_path = reader.text(
        f"{prefix}BACKEND_CLASS",
        "",
        pattern=CLASS_PATH_RE,
        fix="give a dotted Python path such as social_core.backends.keycloak.KeycloakOAuth2",
    )
    requirement = reader.text(package_key, "", pattern=REQUIREMENT_RE, fix=package_fix)
    if not requirement and not class_path.startswith(IMAGE_BACKEND_MODULES):
        raise ConfigError(
            package_key,
            f"{show_value(class_path)} does not ship with Open edX, so it cannot be imported",
            "set the pip requirement that provides it, e.g. social-auth-acme==1.0",
        )
    backend = Backend(backend_name, class_path, requirement, reads_endpoint_settings=False)
    return backend, requirement


def _optional_url(reader: ConfigReader, key: str) -> str | None:
    if not reader.is_set(key):
        return None
    return str(parse_base_url(key, reader.text(key, "")))


def _read_provider(
    reader: ConfigReader,
    preset: Preset,
    name: str,
    url: BaseUrl,
    internal_url: BaseUrl,
    warnings: list[tuple[str, str]],
) -> IdentityProvider:
    prefix = app_key_prefix(name)
    backend, requirement = _read_backend(reader, preset, prefix)
    id_key, secret_key = f"{prefix}CLIENT_ID", f"{prefix}CLIENT_SECRET"
    client_id = reader.text(
        id_key, "", pattern=CREDENTIAL_RE, fix="paste the client id the app printed"
    )
    client_secret = reader.text(
        secret_key,
        "",
        secret=True,
        pattern=CREDENTIAL_RE,
        fix="paste the client secret the app printed",
    )
    flags = {
        flag: reader.flag(f"{prefix}{flag.upper()}", True)
        for flag in (
            "skip_hinted_login_dialog",
            "skip_registration_form",
            "skip_email_verification",
            "sync_learner_profile_data",
            "enable_sso_id_verification",
        )
    }
    title = reader.text(
        f"{prefix}PROVIDER_NAME", preset.title, max_length=50, fix="use at most 50 characters"
    )
    slug = reader.text(
        f"{prefix}SLUG",
        backend.name[:30],
        pattern=SLUG_RE,
        fix="use at most 30 lowercase letters, digits, - and _",
    )
    visible = reader.flag(f"{prefix}VISIBLE", preset.login_button)
    other_settings = _read_other_settings(reader, prefix, backend, url, internal_url, preset)
    if not client_id and not client_secret:
        warnings.append(
            (
                id_key,
                f"not set yet (nor {secret_key}): login through {name} stays off until you "
                f"paste the OAuth2 client the {name} app created for Open edX",
            )
        )
    elif not client_id or not client_secret:
        missing = id_key if not client_id else secret_key
        raise ConfigError(
            missing, "the client id and secret must be set together", f"set {missing} as well"
        )
    return IdentityProvider(
        backend=backend,
        requirement=requirement,
        client_id=client_id,
        client_secret=client_secret,
        title=title,
        slug=slug,
        visible=visible,
        other_settings=other_settings,
        **flags,
    )


def _read_other_settings(
    reader: ConfigReader,
    prefix: str,
    backend: Backend,
    url: BaseUrl,
    internal_url: BaseUrl,
    preset: Preset,
) -> dict[str, str]:
    """The provider's ``other_settings`` JSON: browser URL for the authorization step,
    internal URL for the calls the LMS makes itself (token exchange, user info)."""
    settings: dict[str, str] = {}
    if backend.reads_endpoint_settings:
        settings = {
            "AUTHORIZATION_URL": url.join(preset.authorize_path),
            "ACCESS_TOKEN_URL": internal_url.join(preset.token_path),
            "API_ROOT": internal_url.join("/"),
        }
    for setting in ("AUTHORIZATION_URL", "ACCESS_TOKEN_URL", "API_ROOT", "DISCOVERY_URL"):
        explicit = _optional_url(reader, f"{prefix}{setting}")
        if explicit is not None:
            settings[setting] = explicit + ("/" if setting == "API_ROOT" else "")
    extra = reader.text_map(f"{prefix}OTHER_SETTINGS", {})
    for key in extra:
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", key):
            raise ConfigError(
                f"{prefix}OTHER_SETTINGS",
                f"{show_value(key)} is not a backend setting name",
                "use UPPER_CASE setting names, e.g. {PUBLIC_KEY: ...}",
            )
    return {**settings, **extra}


def _read_client(
    reader: ConfigReader, platform: Platform, preset: Preset, seed: str, name: str, url: BaseUrl
) -> ApiClient:
    prefix = app_key_prefix(name)
    username = reader.text(
        f"{prefix}SERVICE_USERNAME",
        f"{name}_serviceworker",
        pattern=USERNAME_RE,
        fix="use 2-30 letters, digits and _ . @ + -",
    )
    redirect_uris = reader.text_list(
        f"{prefix}REDIRECT_URIS", tuple(url.join(path) for path in preset.redirect_paths)
    )
    for uri in redirect_uris:
        parse_base_url(f"{prefix}REDIRECT_URIS", uri)
    scopes = (
        reader.text_list(f"{prefix}TOKEN_SCOPES", ("read", "write")) if preset.service_token else ()
    )
    for scope in scopes:
        if not re.fullmatch(SCOPE_RE, scope):
            raise ConfigError(
                f"{prefix}TOKEN_SCOPES",
                f"{show_value(scope)} is not a scope name",
                "use names such as read, write",
            )

    def secret(key: str, purpose: str) -> str:
        return reader.text(
            f"{prefix}{key}",
            derive_secret(seed, name, purpose) if seed else "",
            secret=True,
            pattern=CREDENTIAL_RE,
            fix="use 1-255 printable characters without spaces, or unset it to use a generated one",
        )

    return ApiClient(
        service_username=username,
        service_email=reader.text(
            f"{prefix}SERVICE_EMAIL",
            f"{username}@{email_domain(platform.lms_host)}",
            pattern=EMAIL_RE,
            fix="give an email address such as worker@example.com",
        ),
        application_name=reader.text(
            f"{prefix}APPLICATION_NAME",
            f"lmsbridge-{name}",
            max_length=255,
            fix="use at most 255 characters",
        ),
        client_id=reader.text(
            f"{prefix}API_CLIENT_ID",
            f"lmsbridge-{name}",
            pattern=r"[A-Za-z0-9._~-]{1,100}",
            fix="use 1-100 letters, digits and . _ ~ -",
        ),
        client_secret=secret("API_CLIENT_SECRET", "api-client-secret"),
        redirect_uris=redirect_uris,
        token=secret("SERVICE_TOKEN", "service-token") if preset.service_token else None,
        token_scopes=scopes,
        token_expires=reader.text(
            f"{prefix}TOKEN_EXPIRES", "2099-12-31", pattern=DATE_RE, fix="give a date as YYYY-MM-DD"
        )
        if preset.service_token
        else "",
    )


def _read_catalog(reader: ConfigReader, platform: Platform, seed: str, name: str) -> CatalogSide:
    prefix = app_key_prefix(name)
    # Open edX has one EDX_API_KEY: by default every catalog gets the same derived value.
    api_token = reader.text(
        f"{prefix}API_TOKEN",
        derive_secret(seed, "openedx", "edx-api-key") if seed else "",
        secret=True,
        pattern=CREDENTIAL_RE,
        fix="use 1-255 printable characters without spaces, or unset it to use a generated one",
    )
    secrets_key = f"{prefix}SYNC_SECRETS"
    sync_secrets = reader.text_list(
        secrets_key, (derive_secret(seed, name, "course-run-sync"),) if seed else ()
    )
    for sync_secret in sync_secrets:
        if not re.fullmatch(CREDENTIAL_RE, sync_secret):
            raise ConfigError(
                secrets_key,
                "a secret has characters that are not allowed",
                "use printable characters without spaces; the first secret signs",
            )
    timeout_key = f"{prefix}SYNC_TIMEOUT"
    timeout = reader.raw(timeout_key)
    if timeout is None or timeout == "":
        timeout = 5
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= 60:
        problem = f"expected 1 to 60 seconds, got {show_value(timeout)}"
        raise ConfigError(timeout_key, problem, "give a whole number of seconds")
    return CatalogSide(
        api_token=api_token,
        sync=reader.flag(f"{prefix}SYNC", True),
        sync_secrets=sync_secrets,
        sync_timeout=timeout,
        csrf_cookie_name=reader.text(
            f"{prefix}CSRF_COOKIE_NAME",
            "edx_csrf_token",
            pattern=r"[A-Za-z0-9_-]{1,64}",
            fix="use letters, digits, - and _",
        ),
        csrf_cookie_domain=reader.text(
            f"{prefix}CSRF_COOKIE_DOMAIN",
            "." + parent_domain(platform.lms_host),
            pattern=r"\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*",
            fix="give the parent domain of the LMS and the catalog, such as .example.com",
        ),
    )


def _check_catalogs(
    platform: Platform, apps: tuple[ConnectedApp, ...], warnings: list[tuple[str, str]]
) -> None:
    """One EDX_API_KEY and one cross-domain CSRF cookie per Open edX; warn when browsers will
    drop that cookie (catalog not under its domain, or no HTTPS)."""
    first: ConnectedApp | None = None
    for app in apps:
        catalog = app.catalog
        if catalog is None:
            continue
        if first is None or first.catalog is None:
            first = app
        else:
            for setting, attribute in (
                ("API_TOKEN", "api_token"),
                ("CSRF_COOKIE_NAME", "csrf_cookie_name"),
                ("CSRF_COOKIE_DOMAIN", "csrf_cookie_domain"),
            ):
                if getattr(catalog, attribute) != getattr(first.catalog, attribute):
                    raise ConfigError(
                        f"{app.key_prefix}{setting}",
                        f"differs from {first.key_prefix}{setting}, but Open edX has only one",
                        f"give both catalogs the same {setting}, or unset both",
                    )
        domain = "." + catalog.csrf_cookie_domain.lstrip(".")
        for host, what in ((app.url.host, app.name), (platform.lms_host, "the LMS")):
            if not ("." + host).endswith(domain):
                warnings.append(
                    (
                        f"{app.key_prefix}CSRF_COOKIE_DOMAIN",
                        f"{host} ({what}) is not under {domain}: browsers drop the CSRF cookie and "
                        "enrollment from the catalog fails; serve both from sibling hosts",
                    )
                )
        if not platform.https:
            warnings.append(
                (
                    "ENABLE_HTTPS",
                    f"is off: browsers drop the cross-domain CSRF cookie {app.name} needs for "
                    "enrollment (fine for a local look, not for learners)",
                )
            )


def _check_unique_backends(apps: tuple[ConnectedApp, ...]) -> None:
    seen: dict[str, str] = {}
    for app in apps:
        if app.provider is None:
            continue
        backend = app.provider.backend.name
        if backend in seen:
            raise ConfigError(
                f"{app.key_prefix}BACKEND",
                f"backend {show_value(backend)} is already used by app {show_value(seen[backend])}",
                "give each connected identity provider its own backend",
            )
        seen[backend] = app.name


def _read_login_redirect(
    reader: ConfigReader, apps: tuple[ConnectedApp, ...]
) -> ConnectedApp | None:
    key = f"{PREFIX}LOGIN_REDIRECT"
    raw = reader.raw(key)
    if raw is None or isinstance(raw, bool):  # YAML reads a bare --set ...=off as false
        choice = "off" if raw is False else "auto"
    else:
        choice = reader.text(key, "auto")
    if choice == "off":
        return None
    if choice == "auto":
        return next(
            (a for a in apps if a.provider and a.provider.ready and a.preset.login_redirect), None
        )
    by_name = {app.name: app for app in apps}
    if choice not in by_name:
        raise ConfigError(
            key,
            f"{show_value(choice)} is not a connected app",
            f"use true (auto), false (off) or one of: {', '.join(by_name) or '(no app connected)'}",
        )
    chosen = by_name[choice].provider
    if chosen is None or not chosen.ready:
        raise ConfigError(
            key,
            f"app {show_value(choice)} has no login provider configured",
            f"set {by_name[choice].key_prefix}CLIENT_ID and _CLIENT_SECRET first, or use off",
        )
    return by_name[choice]


def _read_redirect_allow(reader: ConfigReader) -> tuple[str, ...]:
    key = f"{PREFIX}LOGIN_REDIRECT_ALLOW"
    patterns = reader.text_list(key)
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(
                key,
                f"{show_value(pattern)} is not a regular expression ({exc})",
                r"give a path regex such as ^/courses/",
            ) from None
    return ALWAYS_ALLOWED_PATHS + patterns


def _read_registration_fields(reader: ConfigReader) -> dict[str, str]:
    key = f"{PREFIX}REGISTRATION_FIELDS"
    fields = reader.text_map(key, DEFAULTS["REGISTRATION_FIELDS"])
    for name, value in fields.items():
        if name not in REGISTRATION_FIELD_NAMES:
            raise ConfigError(
                key,
                f"{show_value(name)} is not a registration field of Open edX",
                f"use some of: {', '.join(sorted(REGISTRATION_FIELD_NAMES))}",
            )
        if value not in REGISTRATION_FIELD_VALUES:
            raise ConfigError(
                key,
                f"{show_value(value)} is not a registration field state",
                f"use one of: {', '.join(REGISTRATION_FIELD_VALUES)}",
            )
    return fields


def _unknown_keys(reader: ConfigReader, apps: tuple[ConnectedApp, ...]) -> list[tuple[str, str]]:
    """Keys nothing read: an error under a connected app's prefix (a typo), a warning
    otherwise (often the settings of an app that was disconnected)."""
    warnings: list[tuple[str, str]] = []
    for key in reader.unread_keys():
        app = next((a for a in apps if key.startswith(a.key_prefix)), None)
        if app is not None:
            raise ConfigError(
                key,
                f"not a setting of the {app.preset.name} preset",
                "check the spelling against the README's key table, or remove it",
            )
        warnings.append((key, "not used by any connected app (LMSBRIDGE_APPS)"))
    return warnings
