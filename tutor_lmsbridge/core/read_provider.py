"""Direction A: read the identity-provider side of an app (backend, client, other_settings).

Three protocols (presets.Protocol): the MITx apps' backends fed explicit endpoint URLs, any
python-social-auth OAuth2 class (checked with social-auth-core, backend_classes.py), and
OpenID Connect through the plugin's per-app backend class, configured from the issuer's
discovery document.
"""

from __future__ import annotations

import re
from typing import Any

from .config_values import AppValues
from .connected_apps import ConnectedApp, IdentityProvider, app_key_prefix
from .errors import ConfigError, show_value
from .presets import BACKENDS, LINK_DEFAULTS, PROVIDER_FLAGS, Backend, LinkPolicy, oidc_backend
from .trust import flag_findings
from .vocabulary import IMAGE_BACKEND_MODULES, OIDC_BACKEND_NAME_RE


def _read_backend(values: AppValues) -> tuple[Backend, str]:
    """The backend and the pip requirement that installs it."""
    preset = values.preset
    name: str = values.get("BACKEND")
    key = values.key("BACKEND")
    if preset.protocol == "endpoints":
        if name not in preset.backends:
            raise ConfigError(
                key,
                f"{show_value(name)} is not a backend of the {preset.name} preset: use one of "
                f"{', '.join(preset.backends)}",
                "",
                preset.backends[0],
            )
        return BACKENDS[name], values.get("PACKAGE")
    if preset.protocol == "oidc":
        if not re.fullmatch(OIDC_BACKEND_NAME_RE, name):
            raise ConfigError(
                key,
                f"{show_value(name)} cannot name an OpenID Connect backend: use lowercase "
                "letters, digits and -",
                "",
                values.name,
            )
        backend = oidc_backend(name)
        return backend, backend.requirement
    if not name:
        raise ConfigError(key, f"the {preset.name} preset needs the backend's name", "", "github")
    class_path: str = values.get("BACKEND_CLASS")
    requirement: str = values.get("PACKAGE")
    _check_class_kind(values, class_path, name)
    if not requirement and not class_path.startswith(IMAGE_BACKEND_MODULES):
        raise ConfigError(
            values.key("PACKAGE"),
            f"{show_value(class_path)} does not ship with Open edX, so the image needs its package",
            "name the pip requirement that provides it",
            "social-auth-acme==1.0",
        )
    return Backend(name, class_path, requirement), requirement


def _check_class_kind(values: AppValues, class_path: str, name: str) -> None:
    """What the dotted path names, when it imports here, is a backend class: otherwise its
    package is not what is missing (``os.system`` is not a backend at all)."""
    from .backend_classes import inspect_backend  # see _check_backend_class

    found = inspect_backend(class_path, name)
    if found.importable and found.kind_problem:
        raise ConfigError(
            values.key("BACKEND_CLASS"),
            f"{class_path} {found.kind_problem}",
            "name a python-social-auth OAuth2 backend class, e.g. "
            "social_core.backends.github.GithubOAuth2",
        )


def _check_backend_class(values: AppValues, backend: Backend, other: dict[str, Any]) -> None:
    """The class serves as the provider Open edX will look up (generic protocol only)."""
    # Imported here: only the oauth2 preset needs it, and every `tutor` command reads apps.
    from .backend_classes import inspect_backend

    found = inspect_backend(backend.class_path, backend.name)
    class_key = values.key("BACKEND_CLASS")
    if not found.importable:
        if backend.requirement:
            return  # it lives in the package the image installs: checked there
        raise ConfigError(
            class_key,
            f"{show_value(backend.class_path)} cannot be imported",
            "check the dotted path, or set PACKAGE to the requirement that provides it",
        )
    if found.problem:
        raise ConfigError(
            class_key,
            f"{backend.class_path} {found.problem}",
            f"name a class whose name is {values.key('BACKEND')} (for OpenID Connect, use the "
            "oidc preset: it gives each app its own backend)",
        )
    missing = [setting for setting in found.required_settings if setting not in other]
    if missing:
        raise ConfigError(
            values.key("OTHER_SETTINGS"),
            f"{backend.class_path} reads {', '.join(missing)} without a default",
            f"set {', '.join(_setting_key(values, s) for s in missing)}",
        )


def _setting_key(values: AppValues, setting: str) -> str:
    if setting in ("AUTHORIZATION_URL", "ACCESS_TOKEN_URL", "API_ROOT", "DISCOVERY_URL"):
        return values.key(setting)
    return f"{values.key('OTHER_SETTINGS')}={{{setting}: ...}}"


def read_provider(values: AppValues, warnings: list[tuple[str, str]]) -> IdentityProvider:
    backend, requirement = _read_backend(values)
    client_id: str = values.get("CLIENT_ID")
    client_secret: str = values.get("CLIENT_SECRET")
    id_key, secret_key = values.key("CLIENT_ID"), values.key("CLIENT_SECRET")
    other_settings = _other_settings(values)
    if values.preset.protocol == "generic":
        _check_backend_class(values, backend, other_settings)
    id_set, secret_set = values.is_set("CLIENT_ID"), values.is_set("CLIENT_SECRET")
    if id_set != secret_set:
        # Half of a registered client and half of a generated one would match nothing.
        missing = secret_key if id_set else id_key
        fix = "set both" + (
            f", or neither to use the generated pair (tutor lmsbridge credentials {values.name})"
            if values.preset.generated_login_client
            else ""
        )
        raise ConfigError(missing, "the client id and secret must be set together", fix)
    if not client_id and not client_secret:
        warnings.append(
            (
                id_key,
                f"not set yet (nor {secret_key}): login through {values.name} stays off until "
                f"you set the OAuth2 client registered for Open edX at {values.name}",
            )
        )
    flags = {flag: values.get(flag.upper()) for flag in PROVIDER_FLAGS}
    link_by_email = values.get("LINK_BY_EMAIL")
    prefix = app_key_prefix(values.name)
    warnings.extend(flag_findings(values.preset, link_by_email, flags, prefix, values.name))
    return IdentityProvider(
        backend=backend,
        requirement=requirement,
        client_id=client_id,
        client_secret=client_secret,
        generated=not id_set,
        title=values.get("PROVIDER_NAME"),
        slug=values.get("SLUG"),
        visible=values.get("VISIBLE"),
        flags={flag: values.get(flag.upper()) for flag in PROVIDER_FLAGS},
        other_settings=other_settings,
        link_by_email=read_link_policy(values, warnings),
        logout=values.get("LOGOUT"),
        max_session_length=values.get("MAX_SESSION_LENGTH"),
    )


def read_link_policy(values: AppValues, warnings: list[tuple[str, str]]) -> LinkPolicy:
    """LINK_BY_EMAIL, with a warning for ``trusted`` where the preset does not vouch for the
    app's emails (only the MITx apps verify every email at registration)."""
    policy: LinkPolicy = values.get("LINK_BY_EMAIL")
    if policy == "trusted" and LINK_DEFAULTS[values.preset.protocol] != "trusted":
        safer = "never" if values.preset.protocol == "saml" else "verified"
        warnings.append(
            (
                values.key("LINK_BY_EMAIL"),
                f"trusted links a first login to the account with the same email without "
                f"{values.name} verifying that email: whoever gets an account there with a "
                f"learner's email logs in as that learner. Use {safer}, unless {values.name} "
                "is your own and verifies every email",
            )
        )
    return policy


def _other_settings(values: AppValues) -> dict[str, Any]:
    """The provider's ``other_settings`` JSON: browser URL for the authorization step,
    internal URL for the calls the LMS makes itself (token exchange, user info, JWKS)."""
    settings: dict[str, Any] = {}
    if values.preset.protocol == "oidc":
        settings = _oidc_settings(values)
    else:
        for setting in ("AUTHORIZATION_URL", "ACCESS_TOKEN_URL", "API_ROOT", "DISCOVERY_URL"):
            url = values.get(setting)
            if url is not None:
                # ol-oauth2 and mitxpro-oauth2 append "api/users/me" to API_ROOT.
                slash = "/" if setting == "API_ROOT" and not url.endswith("/") else ""
                settings[setting] = url + slash
    extra: dict[str, Any] = values.get("OTHER_SETTINGS")
    for name in extra:
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
            raise ConfigError(
                values.key("OTHER_SETTINGS"),
                f"{show_value(name)} is not a backend setting name: use UPPER_CASE names",
                "",
                "{JWT_LEEWAY: 30}",
            )
    return dict(sorted({**settings, **extra}.items()))


def _oidc_settings(values: AppValues) -> dict[str, Any]:
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
            "does not include openid: without it the provider returns no id_token and every "
            "login fails",
            "add openid",
            "[" + ", ".join(["openid", *scopes]) + "]" if scopes else "[openid, email, profile]",
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


DISCOVERY_PATH = "/.well-known/openid-configuration"


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


def check_unique_backends(apps: tuple[ConnectedApp, ...]) -> None:
    seen: dict[str, str] = {}
    for app in apps:
        if app.provider is None or app.provider.saml is not None:
            continue  # SAML providers share edx's tpa-saml backend, keyed on their slug
        backend = app.provider.backend.name
        if backend in seen:
            raise ConfigError(
                f"{app.key_prefix}BACKEND",
                f"backend {show_value(backend)} is already used by app {show_value(seen[backend])}"
                ": Open edX keys providers on the backend name, so each needs its own",
                "",
                f"{app.name}-sso",
            )
        seen[backend] = app.name
