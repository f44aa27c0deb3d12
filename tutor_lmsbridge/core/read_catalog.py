"""The course-catalog side of an app (Richie): API key, course-run sync, cross-domain CSRF."""

from __future__ import annotations

import re

from .config_values import AppValues
from .connected_apps import CatalogSide, ConnectedApp, Platform
from .errors import ConfigError, show_value
from .vocabulary import LANGUAGE_CODE_RE


def read_languages(values: AppValues) -> dict[str, str]:
    """LANGUAGES: Open edX code -> Richie code, both language codes (each is sent to Richie
    as data, and a code Richie does not list would cost the run a 400)."""
    languages: dict[str, str] = values.get("LANGUAGES")
    for name, code in languages.items():
        for text in (name, code):
            if not re.fullmatch(LANGUAGE_CODE_RE, text):
                raise ConfigError(
                    values.key("LANGUAGES"),
                    f"entry {show_value(name)}: {show_value(text)} is not a language code",
                    "map Open edX codes to Richie's, such as es-419: es",
                    "{es-419: es, pt_PT: pt}",
                )
    return languages


def read_catalog(values: AppValues, warnings: list[tuple[str, str]]) -> CatalogSide:
    sync_secrets: tuple[str, ...] = values.get("SYNC_SECRETS")
    if not sync_secrets:
        # Nothing could sign a course run, and Richie would be handed an empty list.
        raise ConfigError(
            values.key("SYNC_SECRETS"),
            "an empty list leaves nothing to sign course runs with: the sync would stop "
            "silently and Richie would be told []",
            f"unset it to use a generated secret (to turn the sync off, set "
            f"{values.key('SYNC')}=false)",
            "",
        )
    api_key: bool = values.get("API_KEY")
    if api_key:
        # A key that grants API access, for a Richie old enough to use it (keys.py API_KEY).
        warnings.append(
            (
                values.key("API_KEY"),
                "on: Open edX accepts EDX_API_KEY (X-Edx-Api-Key) from whoever holds it, and "
                "Richie 2.0.0-beta.17 and later never send it; set it to false unless your "
                "Richie is older",
            )
        )
    elif values.is_set("API_TOKEN"):
        warnings.append(
            (
                values.key("API_TOKEN"),
                f"set, but {values.key('API_KEY')} is off, so EDX_API_KEY stays unset; "
                "remove it, or turn API_KEY on for a Richie older than 2.0.0-beta.17",
            )
        )
    if values.get("OAUTH2_CLIENT"):
        # Richie 2.15.0 (April 2022) removed its edX login (openfun/richie f890d498d, "remove
        # unused social auth"): the application would serve nothing.
        warnings.append(
            (
                values.key("OAUTH2_CLIENT"),
                "on: only Richie 2.0.0-beta.15 to 2.14 log in with Open edX (EdXOAuth2); 2.15 "
                "and later show the Open edX session through RICHIE_AUTHENTICATION_DELEGATION, "
                "which `credentials` prints; set it to false unless your Richie is older",
            )
        )
    return CatalogSide(
        api_token=values.get("API_TOKEN") if api_key else None,
        sync=values.get("SYNC"),
        sync_secrets=sync_secrets,
        sync_timeout=values.get("SYNC_TIMEOUT"),
        sync_retry_hours=values.get("SYNC_RETRY_HOURS"),
        languages=read_languages(values),
        csrf_cookie_name=values.get("CSRF_COOKIE_NAME"),
        csrf_cookie_domain=values.get("CSRF_COOKIE_DOMAIN"),
    )


def check_catalogs(
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
        elif (catalog.api_token is None) != (first.catalog.api_token is None):
            raise ConfigError(
                f"{app.key_prefix}API_KEY",
                f"differs from {first.key_prefix}API_KEY, but Open edX has one EDX_API_KEY",
                "give both catalogs the same API_KEY",
            )
        else:
            for setting, attribute in (
                ("API_TOKEN", "api_token"),  # None for both when API_KEY is off
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
