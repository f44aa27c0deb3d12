"""core/read_catalog.py: a Richie catalog's side, and what two catalogs must share."""

from __future__ import annotations

from typing import Any

import pytest

from tutor_lmsbridge.core.connected_apps import Platform
from tutor_lmsbridge.core.errors import ConfigError
from tutor_lmsbridge.core.read_bridge import read_bridge
from tutor_lmsbridge.core.read_catalog import check_catalogs, read_catalog

from ..support.samples import PLATFORM, RICHIE
from .app_values import app_values


def catalog(**overrides: Any) -> tuple[Any, list[tuple[str, str]]]:
    warnings: list[tuple[str, str]] = []
    return read_catalog(app_values({**RICHIE, **overrides}, "richie"), warnings), warnings


def test_defaults_sync_on_no_api_key() -> None:
    side, warnings = catalog()
    assert warnings == []
    assert side.sync is True
    assert side.api_token is None
    assert len(side.sync_secrets) == 1
    assert side.csrf_cookie_domain == ".openedx.io"


def test_an_empty_secret_list_is_refused() -> None:
    with pytest.raises(ConfigError) as refused:
        catalog(LMSBRIDGE_RICHIE_SYNC_SECRETS=[])
    assert refused.value.key == "LMSBRIDGE_RICHIE_SYNC_SECRETS"
    assert "LMSBRIDGE_RICHIE_SYNC=false" in refused.value.fix


def test_the_api_key_warns_and_a_token_without_it_too() -> None:
    side, warnings = catalog(LMSBRIDGE_RICHIE_API_KEY=True)
    assert side.api_token
    assert [key for key, _ in warnings] == ["LMSBRIDGE_RICHIE_API_KEY"]
    side, warnings = catalog(LMSBRIDGE_RICHIE_API_TOKEN="token-value-0123456789")
    assert side.api_token is None
    assert [key for key, _ in warnings] == ["LMSBRIDGE_RICHIE_API_TOKEN"]


def two_catalogs(**second: Any) -> dict[str, Any]:
    return {
        **PLATFORM,
        **RICHIE,
        "LMSBRIDGE_APPS": ["richie", "shop"],
        "LMSBRIDGE_SHOP_PRESET": "richie",
        "LMSBRIDGE_SHOP_URL": "https://shop.local.openedx.io",
        **second,
    }


def test_two_catalogs_share_one_cookie_and_one_api_key() -> None:
    apps = read_bridge(two_catalogs()).apps
    warnings: list[tuple[str, str]] = []
    check_catalogs(Platform("local.openedx.io", https=True), apps, warnings)
    assert warnings == []
    with pytest.raises(ConfigError) as refused:
        read_bridge(two_catalogs(LMSBRIDGE_SHOP_CSRF_COOKIE_NAME="other"))
    assert refused.value.key == "LMSBRIDGE_SHOP_CSRF_COOKIE_NAME"
    assert "differs from LMSBRIDGE_RICHIE_CSRF_COOKIE_NAME" in refused.value.problem


def test_browsers_that_drop_the_cookie_are_warned_of() -> None:
    (app,) = read_bridge({**PLATFORM, **RICHIE}).apps
    warnings: list[tuple[str, str]] = []
    check_catalogs(Platform("local.openedx.io", https=False), (app,), warnings)
    assert [key for key, _ in warnings] == ["ENABLE_HTTPS"]
    warnings.clear()
    check_catalogs(Platform("lms.other.org", https=True), (app,), warnings)
    ((key, text),) = warnings
    assert key == "LMSBRIDGE_RICHIE_CSRF_COOKIE_DOMAIN"
    assert text.startswith("lms.other.org (the LMS) is not under .openedx.io")
