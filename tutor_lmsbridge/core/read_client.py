"""Direction B: read the API-client side of an app (service user, OAuth2 application, token)."""

from __future__ import annotations

import datetime

from .config_values import AppValues
from .connected_apps import ApiClient
from .errors import ConfigError
from .url_values import parse_base_url

# A service token that expires within this many days is worth a warning at every save: a
# month leaves time to plan the change (a later TOKEN_EXPIRES, then the init job) before the
# app's calls to Open edX (enrollments, course data) start failing with 401. The verify job
# warns about the token in the database at the same threshold (verify_objects.py).
TOKEN_WARNING_DAYS = 30


def read_client(
    values: AppValues, warnings: list[tuple[str, str]], today: datetime.date
) -> ApiClient:
    redirect_uris: tuple[str, ...] = values.get("REDIRECT_URIS")
    for uri in redirect_uris:
        parse_base_url(values.key("REDIRECT_URIS"), uri)
    service_token = values.preset.api_client and values.preset.service_token
    expires: str = values.get("TOKEN_EXPIRES") if service_token else ""
    if expires:
        _check_expiry(values, expires, warnings, today)
    return ApiClient(
        service_username=values.get("SERVICE_USERNAME"),
        service_email=values.get("SERVICE_EMAIL"),
        application_name=values.get("APPLICATION_NAME"),
        client_id=values.get("API_CLIENT_ID"),
        client_secret=values.get("API_CLIENT_SECRET"),
        redirect_uris=redirect_uris,
        token=values.get("SERVICE_TOKEN") if service_token else None,
        token_scopes=values.get("TOKEN_SCOPES") if service_token else (),
        token_expires=expires,
    )


def _check_expiry(
    values: AppValues, expires: str, warnings: list[tuple[str, str]], today: datetime.date
) -> None:
    """A token born expired makes every call of the app fail: refuse it; warn when it
    expires soon."""
    key = values.key("TOKEN_EXPIRES")
    date = datetime.date.fromisoformat(expires)
    later = (today + datetime.timedelta(days=365)).isoformat()
    if date <= today:
        raise ConfigError(
            key,
            f"{expires} is not in the future: the service token would be expired, and every "
            f"call {values.name} makes to Open edX would fail",
            "give a later date (or unset it: the default is 2099-12-31)",
            later,
        )
    if (date - today).days < TOKEN_WARNING_DAYS:
        warnings.append(
            (
                key,
                f"the service token expires on {expires}, in less than {TOKEN_WARNING_DAYS} "
                f"days: then every call {values.name} makes to Open edX fails; set a later "
                "date and run the init job",
            )
        )
