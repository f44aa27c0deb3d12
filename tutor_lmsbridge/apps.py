"""Build the typed model of the connected apps (model.py) from a Tutor configuration.

``read_bridge(config)`` is the only entry point. It reads every ``LMSBRIDGE_*`` key through a
validating ConfigReader, fills defaults from the preset, the app URL and Tutor's own
``LMS_HOST`` / ``ENABLE_HTTPS``, and returns an immutable Bridge, or raises a one-line
ConfigError naming the key to fix. Each side of an app has its reader module (read_provider,
read_client, read_catalog); this one reads the app list and the global keys. Nothing here
imports Tutor.
"""

import re
from collections.abc import Mapping
from typing import Any

from .config import DEFAULTS
from .config_reader import PREFIX, ConfigReader
from .errors import ConfigError, show_value
from .model import Bridge, ConnectedApp, Platform, app_key_prefix
from .patterns import (
    ALWAYS_ALLOWED_PATHS,
    APP_NAME_RE,
    CREDENTIAL_RE,
    REGISTRATION_FIELD_NAMES,
    REGISTRATION_FIELD_VALUES,
    REQUIREMENT_RE,
    RESERVED_APP_NAMES,
)
from .presets import PRESETS, Preset
from .read_catalog import check_catalogs, read_catalog
from .read_client import read_client
from .read_provider import check_unique_backends, read_provider
from .urls import parse_base_url


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
    check_unique_backends(apps)
    check_catalogs(platform, apps, warnings)
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
    return Platform(
        lms_host=lms_host,
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
    provider = read_provider(reader, preset, name, url, internal_url, warnings) if login else None
    wants_client = preset.api_client or (
        preset.optional_client and reader.flag(f"{prefix}OAUTH2_CLIENT", False)
    )
    client = read_client(reader, platform, preset, seed, name, url) if wants_client else None
    catalog = read_catalog(reader, platform, seed, name) if preset.catalog else None
    return ConnectedApp(name, preset, url, internal_url, logout_url, provider, client, catalog)


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
