"""Build the typed model of the connected apps (connected_apps.py) from a configuration.

``read_bridge(config, presets)`` is the only entry point. It reads every ``LMSBRIDGE_*`` key
through the key catalog (config_values.py), fills defaults from the preset, the app URL and
Tutor's own ``LMS_HOST`` / ``ENABLE_HTTPS``, and returns an immutable Bridge, or raises a
one-line ConfigError naming the key to fix. Each side of an app has its reader module
(read_provider, read_client, read_catalog); this one reads the app list and the global keys.
Nothing here imports Tutor.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .config_values import AppValues, ConfigValues
from .connected_apps import Bridge, ConnectedApp, Platform
from .errors import ConfigError, show_value
from .keys import APP_BY_SETTING, GLOBAL_BY_SETTING, RESERVED_APP_NAMES
from .presets import PRESETS, Preset
from .read_catalog import check_catalogs, read_catalog
from .read_client import read_client
from .read_provider import check_unique_backends, read_provider
from .vocabulary import (
    ALWAYS_ALLOWED_PATHS,
    APP_NAME_RE,
    REGISTRATION_FIELD_NAMES,
    REGISTRATION_FIELD_VALUES,
)

# Tutor core values the model reads.
PLATFORM_KEYS = ("LMS_HOST", "ENABLE_HTTPS", "PLATFORM_NAME", "CMS_HOST", "MFE_HOST")


def read_bridge(config: Mapping[str, Any], presets: Mapping[str, Preset] = PRESETS) -> Bridge:
    """Build the Bridge from a Tutor configuration, or raise ConfigError."""
    values = ConfigValues(config)
    platform = _read_platform(values)
    seed = values.get("SECRET_SEED")
    names = _read_app_names(values)
    chosen = {name: _read_preset(values, presets, name) for name in names}
    # Before any value: a typo or a key the preset does not use is the first thing to fix.
    warnings = values.check_keys(chosen)
    apps = []
    secrets = [seed]
    for name, preset in chosen.items():
        app_values = values.app(name, preset, platform, seed)
        app_values.check_present()
        apps.append(_read_app(app_values, warnings))
        secrets.extend(app_values.secrets())
    connected = tuple(apps)
    check_unique_backends(connected)
    saml = any(app.provider is not None and app.provider.saml for app in connected)
    if saml:
        # SAML's readers (XML, the SP key pair) load for SAML apps only.
        from .read_saml import check_unique_saml, read_service_provider

        check_unique_saml(connected)
    check_catalogs(platform, connected, warnings)
    saml_sp = None
    if saml:
        saml_sp = read_service_provider(values, platform)
        secrets.append(values.get("SP_PRIVATE_KEY", platform))
        secrets.append(saml_sp.private_key)
    return Bridge(
        platform=platform,
        apps=connected,
        login_redirect_app=_read_login_redirect(values, connected),
        redirect_allow=ALWAYS_ALLOWED_PATHS + values.get("LOGIN_REDIRECT_ALLOW"),
        authn_mfe_bypass=values.get("AUTHN_MFE_BYPASS"),
        allow_public_account_creation=values.get("ALLOW_PUBLIC_ACCOUNT_CREATION"),
        skip_email_validation=values.get("SKIP_EMAIL_VALIDATION"),
        registration_fields=_read_registration_fields(values),
        companion_requirement=values.get("COMPANION_AUTH_REQUIREMENT"),
        warnings=tuple(warnings),
        secrets=tuple(sorted(set(secrets), key=len, reverse=True)),
        saml_sp=saml_sp,
    )


def _read_platform(values: ConfigValues) -> Platform:
    lms_host = values.platform("LMS_HOST")
    if not isinstance(lms_host, str) or not lms_host:
        raise ConfigError("LMS_HOST", "is not set", "set Tutor's LMS_HOST", "lms.example.com")
    name = values.platform("PLATFORM_NAME")
    return Platform(
        lms_host=lms_host,
        https=bool(values.platform("ENABLE_HTTPS")),
        name=name if isinstance(name, str) and name.strip() else "Open edX",
        cms_host=_host_value(values.platform("CMS_HOST")),
        mfe_host=_host_value(values.platform("MFE_HOST")),
    )


def _host_value(value: object) -> str:
    """A rendered host name from Tutor's config, else "" (the derived default)."""
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9.-]+(:[0-9]+)?", value.strip()):
        return value.strip()
    return ""


def _read_app_names(values: ConfigValues) -> tuple[str, ...]:
    key = GLOBAL_BY_SETTING["APPS"].name()
    names: tuple[str, ...] = values.get("APPS")
    reserved = ", ".join(sorted(RESERVED_APP_NAMES))
    for name in names:
        if not re.fullmatch(APP_NAME_RE, name) or name in RESERVED_APP_NAMES:
            raise ConfigError(
                key,
                f"{show_value(name)} is not a usable app name: use 2-30 lowercase letters and "
                f"digits, starting with a letter, not one of {reserved}",
                "",
                "[mitxonline]",
            )
    if len(set(names)) != len(names):
        raise ConfigError(key, "an app is listed twice", "list each app once")
    return names


def _read_preset(values: ConfigValues, presets: Mapping[str, Preset], name: str) -> Preset:
    # The PRESET key is read before the preset is known: its default is the app's name.
    spec = APP_BY_SETTING["PRESET"]
    key = spec.name(name)
    raw = values.raw(key)
    choice = name if raw is None or raw == "" else raw
    if not isinstance(choice, str):
        raise ConfigError(key, f"expected a preset name, got {show_value(choice)}", "", "oidc")
    if choice not in presets:
        problem = (
            f"unknown preset {show_value(choice)}"
            if choice != name
            else f"app {show_value(name)} is not a preset name, so it needs a preset"
        )
        raise ConfigError(key, f"{problem}: use one of {', '.join(presets)}", "", "oidc")
    return presets[choice]


def _read_app(values: AppValues, warnings: list[tuple[str, str]]) -> ConnectedApp:
    preset = values.preset
    if preset.protocol == "saml":
        return _read_saml_app(values, warnings)
    url = values.get("URL")
    if values.platform.https and url.scheme == "http":
        raise ConfigError(
            values.key("URL"),
            "browsers would leave the HTTPS platform for a plain-http login and token page",
            "use the app's https:// URL (or ENABLE_HTTPS=false on a local test platform)",
            f"https://{url.netloc}{url.path}",
        )
    # An app of a two-way preset may serve only as API client (another app logs learners in).
    login = preset.identity_provider and (
        not preset.api_client or bool(values.get("LOGIN_PROVIDER"))
    )
    provider = read_provider(values, warnings) if login else None
    wants_client = preset.api_client or (preset.optional_client and values.get("OAUTH2_CLIENT"))
    return ConnectedApp(
        name=values.name,
        preset=preset,
        url=url,
        internal_url=values.get("INTERNAL_URL"),
        logout_url=str(values.get("LOGOUT_URL") or ""),
        provider=provider,
        client=read_client(values) if wants_client else None,
        catalog=read_catalog(values) if preset.catalog else None,
    )


def _read_saml_app(values: AppValues, warnings: list[tuple[str, str]]) -> ConnectedApp:
    """A SAML identity provider: the LMS fetches its metadata itself (no internal URL) and
    the browser only visits its single sign-on page (no logout URL for Open edX to call)."""
    from .read_saml import read_saml_provider  # see read_bridge

    provider, url = read_saml_provider(values, warnings)
    return ConnectedApp(
        name=values.name,
        preset=values.preset,
        url=url,
        internal_url=url,
        logout_url="",
        provider=provider,
        client=None,
    )


def _read_login_redirect(
    values: ConfigValues, apps: tuple[ConnectedApp, ...]
) -> ConnectedApp | None:
    key = GLOBAL_BY_SETTING["LOGIN_REDIRECT"].name()
    choice = values.get("LOGIN_REDIRECT")
    if choice is False or choice == "off":
        return None
    if choice is True or choice == "auto":
        return next(
            (a for a in apps if a.provider and a.provider.ready and a.preset.login_redirect), None
        )
    by_name = {app.name: app for app in apps}
    if choice not in by_name:
        raise ConfigError(
            key,
            f"{show_value(choice)} is not a connected app: use true (auto), false (off) or one "
            f"of: {', '.join(by_name) or '(no app connected)'}",
            "",
            "false",
        )
    chosen = by_name[choice].provider
    if chosen is None or not chosen.ready:
        raise ConfigError(
            key,
            f"app {show_value(choice)} has no login provider configured",
            f"set {by_name[choice].key_prefix}CLIENT_ID and _CLIENT_SECRET first, or use off",
        )
    return by_name[choice]


def _read_registration_fields(values: ConfigValues) -> dict[str, str]:
    key = GLOBAL_BY_SETTING["REGISTRATION_FIELDS"].name()
    fields: dict[str, str] = values.get("REGISTRATION_FIELDS")
    for name, value in fields.items():
        if name not in REGISTRATION_FIELD_NAMES:
            raise ConfigError(
                key,
                f"{show_value(name)} is not a registration field of Open edX: use some of "
                f"{', '.join(sorted(REGISTRATION_FIELD_NAMES))}",
                "",
                "{country: hidden}",
            )
        if value not in REGISTRATION_FIELD_VALUES:
            raise ConfigError(
                key,
                f"{show_value(value)} is not a registration field state: use one of "
                f"{', '.join(REGISTRATION_FIELD_VALUES)}",
                "",
                "{country: hidden}",
            )
    return fields
