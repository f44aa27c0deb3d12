"""core/connected_apps.py: the model's records, and the ids and URLs they derive."""

from __future__ import annotations

import dataclasses

from tutor_lmsbridge.core.connected_apps import (
    IdentityProvider,
    Platform,
    app_key_prefix,
    oauth2_provider_id,
    saml_provider_id,
)
from tutor_lmsbridge.core.read_bridge import read_bridge

from ..support.samples import MITXONLINE, PLATFORM, RICHIE, SHIB, sp_private_key


def test_provider_ids_are_edx_platforms() -> None:
    """third_party_auth's provider_id: "oa2-<backend>" and "saml-<slug>"."""
    assert oauth2_provider_id("ol-oauth2") == "oa2-ol-oauth2"
    assert saml_provider_id("shib") == "saml-shib"
    assert app_key_prefix("mitxonline") == "LMSBRIDGE_MITXONLINE_"


def test_platform_urls_as_tutor_serves_them() -> None:
    local = Platform("local.openedx.io", https=False)
    assert local.lms_url() == "http://local.openedx.io"
    assert local.lms_url(dev=True) == "http://local.openedx.io:8000"
    assert local.cms_url() == "http://studio.local.openedx.io"
    assert local.cms_url(dev=True) == "http://studio.local.openedx.io:8001"
    assert local.learning_mfe_url() == "http://apps.local.openedx.io/learning"
    assert local.learning_mfe_url(dev=True) == "http://apps.local.openedx.io:2000/learning"
    hosted = Platform(
        "lms.example.com", https=True, cms_host="cms.example.com", mfe_host="mfe.example.com"
    )
    assert hosted.lms_url() == "https://lms.example.com"
    assert hosted.cms_url() == "https://cms.example.com"
    assert hosted.learning_mfe_url() == "https://mfe.example.com/learning"


def test_an_oauth2_provider_logs_in_by_its_backend() -> None:
    (app,) = read_bridge({**PLATFORM, **MITXONLINE}).apps
    provider = app.provider
    assert provider is not None
    assert provider.ready
    assert provider.login_path == "/auth/login/ol-oauth2/?auth_entry=login"
    assert provider.provider_id == "oa2-ol-oauth2"
    assert app.key_prefix == "LMSBRIDGE_MITXONLINE_"
    assert isinstance(provider, IdentityProvider)
    assert not dataclasses.replace(provider, client_secret="").ready


def test_a_saml_provider_logs_in_by_its_slug_and_needs_no_client() -> None:
    (app,) = read_bridge({**PLATFORM, **SHIB, "LMSBRIDGE_SP_PRIVATE_KEY": sp_private_key()}).apps
    provider = app.provider
    assert provider is not None
    assert provider.ready
    assert provider.login_path == "/auth/login/tpa-saml/?auth_entry=login&idp=shib"
    assert provider.provider_id == "saml-shib"


def test_a_catalog_syncs_to_richies_endpoint() -> None:
    (app,) = read_bridge({**PLATFORM, **RICHIE}).apps
    assert app.provider is None
    assert app.catalog is not None
    assert app.catalog.sync_path == "/api/v1.0/course-runs-sync/"
