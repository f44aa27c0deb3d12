"""Build the typed model of the connected apps (connected_apps.py) from a configuration.

``read_bridge(config, presets)`` is the only entry point. It reads every ``LMSBRIDGE_*`` key
through the key catalog (config_values.py), fills defaults from the preset, the app URL and
Tutor's own ``LMS_HOST`` / ``ENABLE_HTTPS``, and returns an immutable Bridge, or raises a
one-line ConfigError naming the key to fix. Each side of an app has its reader: the login
side its protocol's (tutor_lmsbridge/protocols/, with read_provider and read_saml), the API
client read_client, the catalog read_catalog; this one reads the app list, each app's web
server and the global keys.
Nothing here imports Tutor.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

from ..protocols import PROTOCOL_MODULES, login_protocol
from .config_values import AppValues, ConfigValues
from .connected_apps import Bridge, ConnectedApp, Platform, Provider, SamlIdentityProvider
from .errors import Collector, ConfigError, show_value
from .keys import APP_BY_SETTING, GLOBAL_BY_SETTING, RESERVED_APP_NAMES
from .presets import HANDOVER_NAMES, PRESETS, Preset
from .read_catalog import check_catalogs, read_catalog
from .read_client import read_client
from .read_provider import check_unique_backends
from .vocabulary import (
    ALWAYS_ALLOWED_PATHS,
    APP_NAME_RE,
    REGISTRATION_FIELD_NAMES,
    REGISTRATION_FIELD_VALUES,
)

# Tutor core values the model reads.
PLATFORM_KEYS = ("LMS_HOST", "ENABLE_HTTPS", "PLATFORM_NAME", "CMS_HOST", "MFE_HOST")


def read_bridge(
    config: Mapping[str, Any],
    presets: Mapping[str, Preset] = PRESETS,
    today: datetime.date | None = None,
    handovers: Collection[str] = HANDOVER_NAMES,
) -> Bridge:
    """Build the Bridge from a Tutor configuration, or raise ConfigError: a ConfigErrors
    naming every invalid key when there are several, so that one run shows them all.
    ``today``: the date expiries are judged against (today's by default); ``handovers``: the
    handover profiles the presets may name."""
    values = ConfigValues(config)
    platform = _read_platform(values)  # every URL default needs it: nothing else is judged
    errors = Collector()
    seed = _attempt(errors, values.get, "SECRET_SEED") or ""
    names: tuple[str, ...] = _attempt(errors, _read_app_names, values) or ()
    chosen: dict[str, Preset] = {}
    for name in names:
        preset = _attempt(errors, _read_preset, values, presets, name, handovers)
        if preset is not None:
            chosen[name] = preset
    # Before any value: a typo or a key the preset does not use is the first thing to fix.
    warnings = values.check_keys(chosen, names, tuple(presets), errors)
    apps = []
    secrets = [seed]
    explicit: dict[tuple[str, str], bool] = {}
    for name, preset in chosen.items():
        app_values = values.app(name, preset, platform, seed)
        if not app_values.check_present(errors):
            continue  # its other keys may depend on the invalid ones
        app = _attempt(errors, _read_app, app_values, warnings, today or datetime.date.today())
        if app is not None:
            apps.append(app)
            secrets.extend(app_values.secrets())
            if app.client is not None:
                for setting in ("API_CLIENT_ID", "APPLICATION_NAME"):
                    explicit[(name, setting)] = app_values.is_set(setting)
    global_values: dict[str, Any] = {
        setting: _attempt(errors, values.get, setting, platform)
        for setting in (
            "LOGIN_REDIRECT_ALLOW",
            "AUTHN_MFE_BYPASS",
            "ALLOW_PUBLIC_ACCOUNT_CREATION",
            "SKIP_EMAIL_VALIDATION",
            "COMPANION_AUTH_REQUIREMENT",
        )
    }
    registration_fields = _attempt(errors, _read_registration_fields, values)
    errors.raise_all()
    # Rules across apps: only meaningful once every app reads.
    connected = tuple(apps)
    _attempt(errors, check_unique_backends, connected)
    _attempt(errors, check_unique_clients, connected, explicit)
    saml = any(isinstance(app.provider, SamlIdentityProvider) for app in connected)
    if saml:
        # SAML's readers (XML, the SP key pair) load for SAML apps only.
        from .read_saml import check_unique_saml

        _attempt(errors, check_unique_saml, connected)
    _attempt(errors, check_catalogs, platform, connected, warnings)
    login_redirect_app = _attempt(errors, _read_login_redirect, values, connected)
    errors.raise_all()
    saml_sp = None
    if saml:
        from .read_saml import read_service_provider

        saml_sp = read_service_provider(values, platform, warnings)
        secrets.append(values.get("SP_PRIVATE_KEY", platform))
        secrets.append(saml_sp.private_key)
        if saml_sp.next_certificate:
            secrets.append(values.get("SP_NEXT_PRIVATE_KEY"))
    return Bridge(
        platform=platform,
        apps=connected,
        login_redirect_app=login_redirect_app,
        redirect_allow=ALWAYS_ALLOWED_PATHS + global_values["LOGIN_REDIRECT_ALLOW"],
        authn_mfe_bypass=global_values["AUTHN_MFE_BYPASS"],
        allow_public_account_creation=global_values["ALLOW_PUBLIC_ACCOUNT_CREATION"],
        skip_email_validation=global_values["SKIP_EMAIL_VALIDATION"],
        registration_fields=registration_fields or {},
        companion_requirement=global_values["COMPANION_AUTH_REQUIREMENT"],
        warnings=tuple(warnings),
        secrets=tuple(sorted(set(secrets), key=len, reverse=True)),
        saml_sp=saml_sp,
    )


_T = TypeVar("_T")


def _attempt(errors: Collector, read: Callable[..., _T], *args: Any) -> _T | None:
    """``read(*args)``, or None after keeping its ConfigError in ``errors``."""
    try:
        return read(*args)
    except ConfigError as exc:
        errors.add(exc)
        return None


def check_unique_clients(
    apps: tuple[ConnectedApp, ...], explicit: Mapping[tuple[str, str], bool]
) -> None:
    """Open edX's OAuth2 applications (django-oauth-toolkit) need distinct client ids, and
    the init job tells them apart by name: two apps sharing either would make it fail (or
    hand one app's token to the other's application). Login client ids (CLIENT_ID) are not
    compared: each is registered at its own provider, and providers may well share one."""
    for setting, attribute in (
        ("API_CLIENT_ID", "client_id"),
        ("APPLICATION_NAME", "application_name"),
    ):
        seen: dict[str, ConnectedApp] = {}
        for app in apps:
            if app.client is None:
                continue
            value = getattr(app.client, attribute)
            first = seen.setdefault(value, app)
            if first is app:
                continue
            # Name the app that set the value (unsetting it gives a default of its own).
            by_first = explicit.get((first.name, setting)) and not explicit.get((app.name, setting))
            culprit, other = (first, app) if by_first else (app, first)
            raise ConfigError(
                f"{culprit.key_prefix}{setting}",
                f"{show_value(value)} is also the {setting} of app {show_value(other.name)}: "
                "Open edX needs one OAuth2 application per app, and the init job would fail",
                "unset it for its own default, or give each app its own",
                "",
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
        if not _usable_app_name(name):
            parts = [part for part in re.split(r"[\s,;]+", name) if part]
            if len(parts) > 1 and all(_usable_app_name(part) for part in parts):
                # `--set LMSBRIDGE_APPS=richie,mitxonline` is one YAML string, not a list.
                listed = [part for each in names for part in (parts if each == name else [each])]
                raise ConfigError(
                    key,
                    f"{show_value(name)} names several apps in one string",
                    "list them",
                    f"[{', '.join(listed)}]",
                )
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


def _usable_app_name(name: str) -> bool:
    return bool(re.fullmatch(APP_NAME_RE, name)) and name not in RESERVED_APP_NAMES


def _read_preset(
    values: ConfigValues, presets: Mapping[str, Preset], name: str, handovers: Collection[str]
) -> Preset:
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
    preset = presets[choice]
    if preset.identity_provider and preset.protocol not in PROTOCOL_MODULES:
        raise ConfigError(
            key,
            f"the {preset.name} preset logs learners in but names no known protocol "
            f"({show_value(preset.protocol)})",
            f"use a preset whose protocol is one of {', '.join(PROTOCOL_MODULES)}",
        )
    if preset.handover_profile not in handovers:
        raise ConfigError(
            key,
            f"the {preset.name} preset hands over through {show_value(preset.handover_profile)}, "
            "which no plugin provides",
            "enable the plugin that adds it",
        )
    return preset


def _read_app(
    values: AppValues, warnings: list[tuple[str, str]], today: datetime.date
) -> ConnectedApp:
    protocol = login_protocol(values.preset)
    if protocol is None:  # no identity provider: Richie, an OAuth2 client
        return read_web_app(values, warnings, today, None)
    return protocol.read_app(values, warnings, today)


def read_web_app(
    values: AppValues,
    warnings: list[tuple[str, str]],
    today: datetime.date,
    read_provider: Callable[[AppValues, list[tuple[str, str]]], Provider] | None,
) -> ConnectedApp:
    """An app on its own web server (browser and internal URLs); ``read_provider`` reads
    its identity-provider side (its protocol's), None for an app that is none."""
    preset = values.preset
    url = values.get("URL")
    if values.platform.https and url.scheme == "http":
        raise ConfigError(
            values.key("URL"),
            "browsers would leave the HTTPS platform for a plain-http login and token page",
            "use the app's https:// URL (or ENABLE_HTTPS=false on a local test platform)",
            f"https://{url.netloc}{url.path}",
        )
    # An app of a two-way preset may serve only as API client (another app logs learners in).
    login = read_provider is not None and (
        not preset.api_client or bool(values.get("LOGIN_PROVIDER"))
    )
    provider = read_provider(values, warnings) if read_provider is not None and login else None
    wants_client = preset.api_client or (preset.optional_client and values.get("OAUTH2_CLIENT"))
    return ConnectedApp(
        name=values.name,
        preset=preset,
        url=url,
        internal_url=values.get("INTERNAL_URL"),
        logout_url=str(values.get("LOGOUT_URL") or ""),
        provider=provider,
        client=read_client(values, warnings, today) if wants_client else None,
        catalog=read_catalog(values, warnings) if preset.catalog else None,
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
