"""The `saml` preset: an IdP from two keys (or inline metadata), Open edX's SP side, the key pair,
and one-line errors naming the key for every bad value."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tutor_lmsbridge.core.connected_apps import SamlIdentityProvider
from tutor_lmsbridge.core.errors import ConfigError
from tutor_lmsbridge.core.plan import build_plan
from tutor_lmsbridge.core.read_bridge import read_bridge
from tutor_lmsbridge.core.read_saml import check_unique_saml, read_saml_provider
from tutor_lmsbridge.core.saml_values import sp_key_pair

from ..support.samples import ADFS, OIDC, PLATFORM, SHIB, combine, saml_metadata, sp_private_key
from .app_values import app_values

EPPN = "urn:oid:1.3.6.1.4.1.5923.1.1.1.6"


def bridge(**overrides: Any) -> Any:
    return read_bridge({**PLATFORM, "LMSBRIDGE_SP_PRIVATE_KEY": sp_private_key(), **overrides})


def test_two_keys_make_a_shibboleth_idp_with_eduperson_attributes() -> None:
    result = bridge(**SHIB)
    (app,) = result.apps
    provider = app.provider
    assert isinstance(provider, SamlIdentityProvider)
    assert provider.ready  # no client to paste
    assert provider.backend.name == "tpa-saml"
    assert provider.provider_id == "saml-shib"
    assert provider.login_path == "/auth/login/tpa-saml/?auth_entry=login&idp=shib"
    assert provider.visible is True
    assert provider.idp.metadata_url == "https://idp.example.edu/idp/shibboleth"
    assert provider.idp.attributes == {
        "attr_user_permanent_id": EPPN,
        "attr_username": EPPN,
        "attr_email": "urn:oid:0.9.2342.19200300.100.1.3",
        "attr_full_name": "urn:oid:2.16.840.1.113730.3.1.241",
        "attr_first_name": "urn:oid:2.5.4.42",
        "attr_last_name": "urn:oid:2.5.4.4",
    }
    assert app.logout_url == ""  # Open edX has no logout URL to call at a SAML IdP
    assert result.warnings == ()
    sp = result.saml_sp
    assert sp is not None
    assert sp.entity_id == "http://local.openedx.io/saml"
    assert (sp.org_name, sp.org_url) == ("My Open edX", "http://local.openedx.io")


def test_plan_rows_keep_the_private_key_for_the_settings_only() -> None:
    plan = build_plan(bridge(**SHIB))
    sp = plan.bridge.saml_sp
    assert sp is not None
    (configuration,) = plan.init_data()["saml_configurations"]
    assert configuration["slug"] == "default"
    assert configuration["enabled"] is True
    assert configuration["public_key"] == sp.certificate
    assert "private" not in repr(configuration).lower()
    (provider,) = plan.init_data()["saml_providers"]
    assert provider["fields"]["metadata_source"] == "https://idp.example.edu/idp/shibboleth"
    assert provider["fields"]["automatic_refresh_enabled"] is True
    assert provider["other_settings"] == {"lmsbridge_app": "shib"}
    assert plan.lms.saml_sp_private_key == sp.private_key
    assert plan.lms.saml_sp_private_key not in repr(plan.init_data())
    assert plan.lms.backend_classes == ["common.djangoapps.third_party_auth.saml.SAMLAuthBackend"]
    assert plan.lms.oauth_secrets == {}
    assert plan.lms.logout_urls == []
    assert plan.providers == ()  # no OAuth2ProviderConfig for a SAML app


def test_the_certificate_derives_from_the_key_alone_and_changes_with_it() -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    first = sp_key_pair(sp_private_key(), "local.openedx.io")
    sp_key_pair.cache_clear()
    assert sp_key_pair(sp_private_key(), "local.openedx.io") == first
    assert sp_key_pair(sp_private_key("rotated"), "local.openedx.io") != first
    certificate = x509.load_der_x509_certificate(base64.b64decode(first.certificate))
    assert certificate.subject.rfc4514_string() == "CN=local.openedx.io"
    # The body edx-platform expects: PKCS#8 without the PEM lines, the certificate's key.
    assert not first.private_key.startswith("-----")
    private = serialization.load_der_private_key(base64.b64decode(first.private_key), None)
    assert private.public_key() == certificate.public_key()
    original = serialization.load_pem_private_key(sp_private_key().encode(), None)
    assert private.private_numbers() == original.private_numbers()  # type: ignore[union-attr]


def test_metadata_url_with_a_query_is_kept_exactly() -> None:
    url = (
        "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/"
        "federationmetadata/2007-06/federationmetadata.xml?appid=0ca6d2cf-7c3f-4a5c"
    )
    config = {**SHIB, "LMSBRIDGE_SHIB_URL": url, "LMSBRIDGE_SHIB_ENTITY_ID": "https://sts.x/"}
    provider = bridge(**config).apps[0].provider
    assert provider.idp.metadata_url == url
    assert provider.idp.entity_id == "https://sts.x/"  # trailing slash kept


def test_inline_metadata_instead_of_a_url() -> None:
    (app,) = bridge(**ADFS).apps
    idp = app.provider.idp
    assert idp.metadata_url == ""
    assert idp.metadata_xml == ADFS["LMSBRIDGE_ADFS_METADATA"]
    assert str(app.url) == "https://adfs.example.com/adfs/ls"  # its single sign-on page
    plan = build_plan(bridge(**ADFS))
    (row,) = plan.init_data()["saml_providers"]
    assert row["fields"]["automatic_refresh_enabled"] is False
    assert row["metadata_xml"] == ADFS["LMSBRIDGE_ADFS_METADATA"]


def test_plain_http_metadata_warns() -> None:
    config = {**SHIB, "LMSBRIDGE_SHIB_URL": "http://idp.example.edu/idp/shibboleth"}
    ((key, message),) = bridge(**config).warnings
    assert key == "LMSBRIDGE_SHIB_URL"
    assert "plain HTTP" in message
    assert "insecure" in message


def test_provider_flags_visibility_and_sso_only_work_as_for_oauth2() -> None:
    config = {
        **SHIB,
        "LMSBRIDGE_SHIB_VISIBLE": False,
        "LMSBRIDGE_SHIB_SKIP_REGISTRATION_FORM": False,
        "LMSBRIDGE_SHIB_PROVIDER_NAME": "Example University",
        "LMSBRIDGE_LOGIN_REDIRECT": "shib",
    }
    plan = build_plan(bridge(**config))
    (row,) = plan.init_data()["saml_providers"]
    assert row["fields"]["visible"] is False
    assert row["fields"]["skip_registration_form"] is False
    assert row["fields"]["name"] == "Example University"
    assert plan.lms.redirect.enabled
    assert plan.lms.redirect.login_url == "/auth/login/tpa-saml/?auth_entry=login&idp=shib"


def test_saml_next_to_oauth2_providers() -> None:
    plan = build_plan(bridge(**combine(OIDC, SHIB, ADFS)))
    assert [p.provider_id for p in plan.providers] == ["oa2-sso"]
    assert [p.provider_id for p in plan.saml_providers] == ["saml-shib", "saml-adfs"]
    assert plan.lms.backend_classes == [
        "lmsbridge_openedx.oidc.OIDC_sso",
        "common.djangoapps.third_party_auth.saml.SAMLAuthBackend",
    ]


def test_no_saml_app_reads_no_sp_key() -> None:
    """The SP key is generated for every root, but read (and checked) only for SAML apps."""
    result = read_bridge({**PLATFORM, **OIDC, "LMSBRIDGE_SP_PRIVATE_KEY": "not a key"})
    assert result.saml_sp is None


def ec_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    return (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def short_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    return (
        rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - refused
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


BROKEN_PEM = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
OTHER = saml_metadata("https://other.example.com/idp", "https://other.example.com/sso")
NO_REDIRECT = ADFS["LMSBRIDGE_ADFS_METADATA"].replace("HTTP-Redirect", "HTTP-POST")
NO_CERT = ADFS["LMSBRIDGE_ADFS_METADATA"].replace(
    "<ds:X509Certificate>MIIBdummy</ds:X509Certificate>", ""
)
AGGREGATE = (
    '<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">'
    + OTHER.split("?>", 1)[1]
    + "</EntitiesDescriptor>"
)
INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({"LMSBRIDGE_SHIB_ENTITY_ID": None}, "LMSBRIDGE_SHIB_ENTITY_ID", "has no ENTITY_ID"),
    ({"LMSBRIDGE_SHIB_ENTITY_ID": "a b"}, "LMSBRIDGE_SHIB_ENTITY_ID", "not allowed"),
    ({"LMSBRIDGE_SHIB_ENTITY_ID": "x" * 256}, "LMSBRIDGE_SHIB_ENTITY_ID", "at most 255"),
    ({"LMSBRIDGE_SHIB_URL": None}, "LMSBRIDGE_SHIB_URL", "has no URL"),
    ({"LMSBRIDGE_SHIB_URL": "idp.example.edu"}, "LMSBRIDGE_SHIB_URL", "http:// or https://"),
    ({"LMSBRIDGE_SHIB_URL": "https://idp.example.edu/md#x"}, "LMSBRIDGE_SHIB_URL", "fragment"),
    (
        {"LMSBRIDGE_SHIB_METADATA": ADFS["LMSBRIDGE_ADFS_METADATA"]},
        "LMSBRIDGE_SHIB_METADATA",
        "set together with LMSBRIDGE_SHIB_URL",
    ),
    (
        {"LMSBRIDGE_SHIB_URL": None, "LMSBRIDGE_SHIB_METADATA": "<md:EntityDescriptor"},
        "LMSBRIDGE_SHIB_METADATA",
        "not well-formed XML",
    ),
    (
        {
            "LMSBRIDGE_SHIB_URL": None,
            "LMSBRIDGE_SHIB_METADATA": '<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
        },
        "LMSBRIDGE_SHIB_METADATA",
        "DTD or entities; refused",
    ),
    (
        {"LMSBRIDGE_SHIB_URL": None, "LMSBRIDGE_SHIB_METADATA": OTHER},
        "LMSBRIDGE_SHIB_ENTITY_ID",
        "is not the entity LMSBRIDGE_SHIB_METADATA describes ('https://other.example.com/idp')",
    ),
    (
        {"LMSBRIDGE_SHIB_URL": None, "LMSBRIDGE_SHIB_METADATA": AGGREGATE},
        "LMSBRIDGE_SHIB_METADATA",
        "describes no entity",
    ),
    (
        {
            "LMSBRIDGE_SHIB_URL": None,
            "LMSBRIDGE_SHIB_ENTITY_ID": "http://adfs.example.com/adfs/services/trust",
            "LMSBRIDGE_SHIB_METADATA": NO_REDIRECT,
        },
        "LMSBRIDGE_SHIB_METADATA",
        "HTTP-Redirect",
    ),
    (
        {
            "LMSBRIDGE_SHIB_URL": None,
            "LMSBRIDGE_SHIB_ENTITY_ID": "http://adfs.example.com/adfs/services/trust",
            "LMSBRIDGE_SHIB_METADATA": NO_CERT,
        },
        "LMSBRIDGE_SHIB_METADATA",
        "no signing certificate",
    ),
    ({"LMSBRIDGE_SHIB_ATTR_EMAIL": "e mail"}, "LMSBRIDGE_SHIB_ATTR_EMAIL", "not allowed"),
    ({"LMSBRIDGE_SHIB_ATTR_EMAIL": "x" * 129}, "LMSBRIDGE_SHIB_ATTR_EMAIL", "at most 128"),
    ({"LMSBRIDGE_SHIB_SLUG": "Not A Slug"}, "LMSBRIDGE_SHIB_SLUG", "not allowed"),
    ({"LMSBRIDGE_SHIB_PROVIDER_NAME": "x" * 51}, "LMSBRIDGE_SHIB_PROVIDER_NAME", "at most 50"),
    (
        {"LMSBRIDGE_SHIB_OTHER_SETTINGS": {"not a name": 1}},
        "LMSBRIDGE_SHIB_OTHER_SETTINGS",
        "not a provider setting name",
    ),
    ({"LMSBRIDGE_SHIB_CLIENT_ID": "x"}, "LMSBRIDGE_SHIB_CLIENT_ID", "does not use CLIENT_ID"),
    ({"LMSBRIDGE_SHIB_BACKEND": "x"}, "LMSBRIDGE_SHIB_BACKEND", "does not use BACKEND"),
    (
        {"LMSBRIDGE_SHIB_INTERNAL_URL": "http://x"},
        "LMSBRIDGE_SHIB_INTERNAL_URL",
        "does not use INTERNAL_URL",
    ),
    ({"LMSBRIDGE_SP_ENTITY_ID": "a b"}, "LMSBRIDGE_SP_ENTITY_ID", "not allowed"),
    ({"LMSBRIDGE_SP_ORG_URL": "example.edu"}, "LMSBRIDGE_SP_ORG_URL", "http:// or https://"),
    ({"LMSBRIDGE_SP_PRIVATE_KEY": "secret-words"}, "LMSBRIDGE_SP_PRIVATE_KEY", "not a PEM"),
    ({"LMSBRIDGE_SP_PRIVATE_KEY": ec_key()}, "LMSBRIDGE_SP_PRIVATE_KEY", "not an RSA key"),
    ({"LMSBRIDGE_SP_PRIVATE_KEY": short_key()}, "LMSBRIDGE_SP_PRIVATE_KEY", "has 1024 bits"),
    (
        {"LMSBRIDGE_SP_PRIVATE_KEY": BROKEN_PEM},
        "LMSBRIDGE_SP_PRIVATE_KEY",
        "not a readable PEM",
    ),
]


@pytest.mark.parametrize(("overrides", "key", "words"), INVALID)
def test_bad_values_give_one_line_naming_the_key(
    overrides: dict[str, Any], key: str, words: str
) -> None:
    config = {**SHIB, **overrides}
    with pytest.raises(ConfigError) as caught:
        bridge(**{k: v for k, v in config.items() if v is not None})
    assert caught.value.key == key
    line = caught.value.line("lmsbridge-set")
    assert "\n" not in line
    assert words in line, line


def test_saml_links_by_email_never_by_default_and_verified_is_refused() -> None:
    """edx-platform core links no SAML login by email (associate_by_email_if_saml only for
    enterprise learners); an assertion says nothing of verification."""
    plan = build_plan(bridge(**SHIB))
    assert plan.lms.link_by_email == {"saml-shib": "never"}
    with pytest.raises(ConfigError) as caught:
        bridge(**SHIB, LMSBRIDGE_SHIB_LINK_BY_EMAIL="verified")
    assert caught.value.key == "LMSBRIDGE_SHIB_LINK_BY_EMAIL"
    assert caught.value.line("lmsbridge-set") == (
        "LMSBRIDGE_SHIB_LINK_BY_EMAIL: SAML assertions carry no email_verified, so 'verified' "
        "cannot be checked. Fix: use never, or trusted for an IdP whose mail attribute you "
        "trust: tutor lmsbridge set LMSBRIDGE_SHIB_LINK_BY_EMAIL=never"
    )
    trusted = bridge(**SHIB, LMSBRIDGE_SHIB_LINK_BY_EMAIL="trusted")
    assert build_plan(trusted).lms.link_by_email == {"saml-shib": "trusted"}
    assert [key for key, _ in trusted.warnings] == ["LMSBRIDGE_SHIB_LINK_BY_EMAIL"]


def test_a_bad_private_key_is_never_shown_and_the_fix_regenerates_it() -> None:
    key = short_key()
    with pytest.raises(ConfigError) as caught:
        bridge(**SHIB, LMSBRIDGE_SP_PRIVATE_KEY=key)
    line = caught.value.line("lmsbridge-set")
    for chunk in key.splitlines()[1:-1]:
        assert chunk not in line
    assert line.endswith("tutor lmsbridge set --unset LMSBRIDGE_SP_PRIVATE_KEY")
    assert caught.value.line("config-save").endswith(
        "tutor config save --unset LMSBRIDGE_SP_PRIVATE_KEY"
    )


def test_two_saml_apps_need_distinct_slugs_and_entity_ids() -> None:
    second = {
        "LMSBRIDGE_APPS": ["shib", "other"],
        "LMSBRIDGE_OTHER_PRESET": "saml",
        "LMSBRIDGE_OTHER_URL": "https://other.example.edu/md",
        "LMSBRIDGE_OTHER_ENTITY_ID": SHIB["LMSBRIDGE_SHIB_ENTITY_ID"],
    }
    with pytest.raises(ConfigError) as caught:
        bridge(**{**SHIB, **second})
    assert caught.value.key == "LMSBRIDGE_OTHER_ENTITY_ID"
    assert "already used by app 'shib'" in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        bridge(
            **{
                **SHIB,
                **second,
                "LMSBRIDGE_OTHER_ENTITY_ID": "https://other.example.edu/idp",
                "LMSBRIDGE_OTHER_SLUG": "shib",
            }
        )
    assert caught.value.key == "LMSBRIDGE_OTHER_SLUG"


def test_an_app_named_saml_is_the_preset() -> None:
    config = {
        "LMSBRIDGE_APPS": ["saml"],
        "LMSBRIDGE_SAML_URL": "https://idp.example.edu/idp/shibboleth",
        "LMSBRIDGE_SAML_ENTITY_ID": "https://idp.example.edu/idp/shibboleth",
    }
    assert bridge(**config).apps[0].preset.name == "saml"


def test_read_saml_provider_from_a_metadata_url() -> None:
    warnings: list[tuple[str, str]] = []
    provider, browser_url = read_saml_provider(app_values(SHIB, "shib"), warnings)
    assert warnings == []
    assert str(browser_url) == "https://idp.example.edu/idp/shibboleth"
    assert provider.idp.metadata_url == "https://idp.example.edu/idp/shibboleth"
    assert provider.idp.metadata_xml == ""
    # A SAML provider has no OAuth2 client to carry (issue #21: the provider model split).
    assert not hasattr(provider, "client_id")
    assert not hasattr(provider, "client_secret")
    assert provider.link_by_email == "never"
    plain = {**SHIB, "LMSBRIDGE_SHIB_URL": "http://idp.example.edu/idp/shibboleth"}
    read_saml_provider(app_values(plain, "shib"), warnings)
    assert [key for key, _ in warnings] == ["LMSBRIDGE_SHIB_URL"]


def test_read_saml_provider_from_inline_metadata() -> None:
    provider, browser_url = read_saml_provider(app_values(ADFS, "adfs"), [])
    assert str(browser_url) == "https://adfs.example.com/adfs/ls"
    assert provider.idp.metadata_url == ""
    with pytest.raises(ConfigError) as refused:
        read_saml_provider(
            app_values({**ADFS, "LMSBRIDGE_ADFS_URL": "https://x.example"}, "adfs"), []
        )
    assert refused.value.key == "LMSBRIDGE_ADFS_METADATA"


def test_two_apps_cannot_be_one_idp() -> None:
    twin = {k.replace("_SHIB_", "_TWIN_"): v for k, v in SHIB.items() if k != "LMSBRIDGE_APPS"}
    config = {
        **PLATFORM,
        **combine(SHIB, {"LMSBRIDGE_APPS": ["twin"], **twin}),
        "LMSBRIDGE_SP_PRIVATE_KEY": sp_private_key(),
    }
    with pytest.raises(ConfigError) as refused:
        read_bridge(config)
    assert refused.value.key == "LMSBRIDGE_TWIN_ENTITY_ID"
    shib_only = {**PLATFORM, **SHIB, "LMSBRIDGE_SP_PRIVATE_KEY": sp_private_key()}
    check_unique_saml(read_bridge(shib_only).apps)  # one IdP: nothing to say
