"""Direction B: read the API-client side of an app (service user, OAuth2 application, token)."""

from __future__ import annotations

from .config_values import AppValues
from .connected_apps import ApiClient
from .url_values import parse_base_url


def read_client(values: AppValues) -> ApiClient:
    redirect_uris: tuple[str, ...] = values.get("REDIRECT_URIS")
    for uri in redirect_uris:
        parse_base_url(values.key("REDIRECT_URIS"), uri)
    service_token = values.preset.api_client and values.preset.service_token
    return ApiClient(
        service_username=values.get("SERVICE_USERNAME"),
        service_email=values.get("SERVICE_EMAIL"),
        application_name=values.get("APPLICATION_NAME"),
        client_id=values.get("API_CLIENT_ID"),
        client_secret=values.get("API_CLIENT_SECRET"),
        redirect_uris=redirect_uris,
        token=values.get("SERVICE_TOKEN") if service_token else None,
        token_scopes=values.get("TOKEN_SCOPES") if service_token else (),
        token_expires=values.get("TOKEN_EXPIRES") if service_token else "",
    )
