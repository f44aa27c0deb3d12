"""Where a `saml` app's metadata comes from (URL, MDQ or inline) and the pinned metadata signing
certificate: the plan the init job reads, and one line naming the key for each mistake."""

from __future__ import annotations

from typing import Any

import pytest

from tutor_lmsbridge.core.errors import ConfigError
from tutor_lmsbridge.core.plan import build_plan
from tutor_lmsbridge.core.read_bridge import read_bridge

from ..e2e.saml_idp.keys import key_pair
from ..support.samples import ADFS, PLATFORM, SHIB, sp_private_key

ENTITY = SHIB["LMSBRIDGE_SHIB_ENTITY_ID"]
MDQ_SHIB = {**{k: v for k, v in SHIB.items() if k != "LMSBRIDGE_SHIB_URL"}}
CERT_PEM = key_pair("federation")[1]
CERT_BODY = "".join(CERT_PEM.strip().splitlines()[1:-1])


def bridge(**overrides: Any) -> Any:
    return read_bridge({**PLATFORM, "LMSBRIDGE_SP_PRIVATE_KEY": sp_private_key(), **overrides})


def row(**config: Any) -> dict[str, Any]:
    (provider,) = build_plan(bridge(**config)).init_data()["saml_providers"]
    return dict(provider)


def test_mdq_builds_the_entity_url_and_needs_no_url() -> None:
    result = row(**MDQ_SHIB, LMSBRIDGE_SHIB_MDQ="https://mdq.incommon.org/")
    assert result["fields"]["metadata_source"] == (
        "https://mdq.incommon.org/entities/https%3A%2F%2Fidp.example.edu%2Fidp%2Fshibboleth"
    )
    assert result["fields"]["automatic_refresh_enabled"] is True
    assert result["metadata_signing_cert"] == ""


def test_a_pinned_certificate_turns_edx_refresh_off_and_reaches_the_plan() -> None:
    result = row(
        **MDQ_SHIB,
        LMSBRIDGE_SHIB_MDQ="https://mdq.incommon.org",
        LMSBRIDGE_SHIB_METADATA_SIGNING_CERT=CERT_PEM,
    )
    assert result["metadata_signing_cert"] == CERT_BODY
    # edx-platform's own pull verifies nothing: it must not write this provider's rows.
    assert result["fields"]["automatic_refresh_enabled"] is False
    # The bare body is accepted too (as federations sometimes print it).
    assert row(**SHIB, LMSBRIDGE_SHIB_METADATA_SIGNING_CERT=CERT_BODY)["metadata_signing_cert"] == (
        CERT_BODY
    )


def test_plain_http_is_a_warning_only_without_a_pinned_signature() -> None:
    plain = {**SHIB, "LMSBRIDGE_SHIB_URL": "http://idp.example.edu/metadata"}
    assert [key for key, _ in bridge(**plain).warnings] == ["LMSBRIDGE_SHIB_URL"]
    pinned = bridge(**plain, LMSBRIDGE_SHIB_METADATA_SIGNING_CERT=CERT_PEM)
    assert pinned.warnings == ()
    mdq = bridge(**MDQ_SHIB, LMSBRIDGE_SHIB_MDQ="http://mdq.example.org")
    assert [key for key, _ in mdq.warnings] == ["LMSBRIDGE_SHIB_MDQ"]


@pytest.mark.parametrize(
    ("config", "key", "line"),
    [
        (
            {**SHIB, "LMSBRIDGE_SHIB_MDQ": "https://mdq.incommon.org/"},
            "LMSBRIDGE_SHIB_MDQ",
            "LMSBRIDGE_SHIB_MDQ: is set together with LMSBRIDGE_SHIB_URL: Open edX reads the "
            "metadata from one place (with LMSBRIDGE_SHIB_MDQ, from <MDQ>/entities/<ENTITY_ID>)."
            " Fix: keep LMSBRIDGE_SHIB_MDQ and remove LMSBRIDGE_SHIB_URL: "
            "tutor lmsbridge set --unset LMSBRIDGE_SHIB_MDQ",
        ),
        (
            {**ADFS, "LMSBRIDGE_ADFS_MDQ": "https://mdq.incommon.org/"},
            "LMSBRIDGE_ADFS_MDQ",
            "",
        ),
        (
            {**ADFS, "LMSBRIDGE_ADFS_METADATA_SIGNING_CERT": CERT_PEM},
            "LMSBRIDGE_ADFS_METADATA_SIGNING_CERT",
            "",
        ),
        (
            {**SHIB, "LMSBRIDGE_SHIB_METADATA_SIGNING_CERT": "-----BEGIN CERTIFICATE-----\nx"},
            "LMSBRIDGE_SHIB_METADATA_SIGNING_CERT",
            "LMSBRIDGE_SHIB_METADATA_SIGNING_CERT: the value is not a PEM certificate "
            "(-----BEGIN CERTIFICATE-----). Fix: give the PEM file's text (-----BEGIN "
            "CERTIFICATE----- ...): tutor lmsbridge set ",
        ),
        (
            {**SHIB, "LMSBRIDGE_SHIB_METADATA_SIGNING_CERT": sp_private_key()},
            "LMSBRIDGE_SHIB_METADATA_SIGNING_CERT",
            "",
        ),
        (
            {**SHIB, "LMSBRIDGE_SHIB_METADATA_SIGNING_CERT": "TUlJQmR1bW15"},
            "LMSBRIDGE_SHIB_METADATA_SIGNING_CERT",
            "LMSBRIDGE_SHIB_METADATA_SIGNING_CERT: the value is not a readable X.509 certificate",
        ),
        ({**MDQ_SHIB, "LMSBRIDGE_SHIB_MDQ": "ftp://mdq.example.org"}, "LMSBRIDGE_SHIB_MDQ", ""),
    ],
    ids=[
        "mdq-and-url",
        "mdq-and-inline",
        "pinned-inline",
        "broken-pem",
        "private-key",
        "not-a-certificate",
        "mdq-not-http",
    ],
)
def test_one_line_naming_the_key(config: dict[str, Any], key: str, line: str) -> None:
    with pytest.raises(ConfigError) as caught:
        bridge(**config)
    assert caught.value.key == key
    said = caught.value.line("lmsbridge-set")
    assert "\n" not in said
    assert said.startswith(line or key)
    # Never a private key's text, even when one was pasted by mistake.
    assert "PRIVATE KEY" not in said
    assert caught.value.line("config-save").count("tutor config save") <= 1


def test_without_mdq_or_metadata_the_url_is_still_required() -> None:
    with pytest.raises(ConfigError) as caught:
        bridge(**MDQ_SHIB)
    assert caught.value.key == "LMSBRIDGE_SHIB_URL"
