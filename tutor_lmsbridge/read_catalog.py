"""The course-catalog side of an app (Richie): API key, course-run sync, cross-domain CSRF."""

import re

from .config_reader import ConfigReader
from .derived_secrets import derive_secret
from .errors import ConfigError, show_value
from .model import CatalogSide, ConnectedApp, Platform, app_key_prefix
from .patterns import CREDENTIAL_RE
from .urls import parent_domain


def read_catalog(reader: ConfigReader, platform: Platform, seed: str, name: str) -> CatalogSide:
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
