"""core/read_client.py: the API-client side of an app, and the service token's expiry."""

from __future__ import annotations

import datetime

import pytest

from tutor_lmsbridge.core.connected_apps import ApiClient
from tutor_lmsbridge.core.errors import ConfigError
from tutor_lmsbridge.core.read_client import TOKEN_WARNING_DAYS, read_client

from ..support.samples import MITXONLINE
from .app_values import app_values

TODAY = datetime.date(2030, 6, 1)


def client(**overrides: object) -> tuple[ApiClient, list[tuple[str, str]]]:
    warnings: list[tuple[str, str]] = []
    values = app_values({**MITXONLINE, **overrides}, "mitxonline")
    return read_client(values, warnings, TODAY), warnings


def test_the_defaults_of_a_mitx_app() -> None:
    api, warnings = client()
    assert warnings == []
    assert api.service_username == "mitxonline_serviceworker"
    assert api.client_id == "lmsbridge-mitxonline"
    assert api.redirect_uris == (
        "http://mitxonline.odl.local:8013/_/auth/complete",
        "http://mitxonline.odl.local:8013/login/_private/complete",
    )
    assert api.token_expires == "2099-12-31"
    assert api.token is not None
    assert len(api.token) == 48  # derived from the seed


def test_a_token_born_expired_is_refused_with_a_later_date() -> None:
    with pytest.raises(ConfigError) as refused:
        client(LMSBRIDGE_MITXONLINE_TOKEN_EXPIRES="2030-06-01")
    assert refused.value.key == "LMSBRIDGE_MITXONLINE_TOKEN_EXPIRES"
    assert "is not in the future" in refused.value.problem
    assert refused.value.example == "2031-06-01"


def test_a_token_that_expires_soon_warns_once() -> None:
    soon = TODAY + datetime.timedelta(days=TOKEN_WARNING_DAYS - 1)
    _, warnings = client(LMSBRIDGE_MITXONLINE_TOKEN_EXPIRES=soon.isoformat())
    ((key, text),) = warnings
    assert key == "LMSBRIDGE_MITXONLINE_TOKEN_EXPIRES"
    assert f"expires on {soon.isoformat()}" in text
    later = TODAY + datetime.timedelta(days=TOKEN_WARNING_DAYS)
    assert client(LMSBRIDGE_MITXONLINE_TOKEN_EXPIRES=later.isoformat())[1] == []


def test_each_redirect_uri_is_a_url() -> None:
    with pytest.raises(ConfigError) as refused:
        client(LMSBRIDGE_MITXONLINE_REDIRECT_URIS=["https://ok.example.com/cb", "not a url"])
    assert refused.value.key == "LMSBRIDGE_MITXONLINE_REDIRECT_URIS"
