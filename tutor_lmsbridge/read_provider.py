"""Direction A: read the identity provider side of an app (backend, client, other_settings)."""

import re

from .config_reader import ConfigReader
from .errors import ConfigError, show_value
from .model import ConnectedApp, IdentityProvider, app_key_prefix
from .patterns import (
    BACKEND_NAME_RE,
    CLASS_PATH_RE,
    CREDENTIAL_RE,
    IMAGE_BACKEND_MODULES,
    REQUIREMENT_RE,
    SLUG_RE,
)
from .presets import BACKENDS, PROVIDER_FLAGS, Backend, Preset
from .urls import BaseUrl, parse_base_url


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


def read_provider(
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
    flags = {flag: reader.flag(f"{prefix}{flag.upper()}", True) for flag in PROVIDER_FLAGS}
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


def check_unique_backends(apps: tuple[ConnectedApp, ...]) -> None:
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
