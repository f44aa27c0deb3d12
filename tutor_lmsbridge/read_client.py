"""Direction B: read the API-client side of an app (service user, OAuth2 application, token)."""

import re

from .config_reader import ConfigReader
from .derived_secrets import derive_secret
from .errors import ConfigError, show_value
from .model import ApiClient, Platform, app_key_prefix, email_domain
from .patterns import CREDENTIAL_RE, DATE_RE, EMAIL_RE, SCOPE_RE, USERNAME_RE
from .presets import Preset
from .urls import BaseUrl, parse_base_url


def read_client(
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
