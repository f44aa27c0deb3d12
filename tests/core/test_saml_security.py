"""Issue #24: SHA-1 refused by default, LMSBRIDGE_SAML_SECURITY merged over the defaults with
one-line errors and warnings, the refresh period's values, and what `credentials` tells the
IdP's admin."""

from __future__ import annotations

from typing import Any

import pytest

from tutor_lmsbridge.core.errors import ConfigError
from tutor_lmsbridge.core.plan import build_plan
from tutor_lmsbridge.core.read_bridge import read_bridge
from tutor_lmsbridge.core.saml_security import RSA_SHA1, expectations

from ..support.samples import PLATFORM, SHIB, sp_private_key

SECURITY = "LMSBRIDGE_SAML_SECURITY"


def bridge(**overrides: Any) -> Any:
    return read_bridge(
        {**PLATFORM, "LMSBRIDGE_SP_PRIVATE_KEY": sp_private_key(), **SHIB, **overrides}
    )


def security_config(**overrides: Any) -> dict[str, Any]:
    (configuration,) = build_plan(bridge(**overrides)).init_data()["saml_configurations"]
    config: dict[str, Any] = configuration["other_config"]["SECURITY_CONFIG"]
    return config


def test_sha1_is_refused_by_default_and_edx_defaults_are_kept() -> None:
    assert security_config() == {
        # edx-platform's SAMLConfiguration.other_config_str default
        "metadataCacheDuration": 604800,
        "signMetadata": False,
        "requestedAuthnContext": False,
        "rejectDeprecatedAlgorithm": True,
    }
    assert bridge().warnings == ()


def test_an_override_is_merged_over_the_defaults() -> None:
    config = security_config(
        **{SECURITY: {"wantAssertionsSigned": True, "metadataCacheDuration": "P1D"}}
    )
    assert config["wantAssertionsSigned"] is True
    assert config["metadataCacheDuration"] == "P1D"
    assert config["rejectDeprecatedAlgorithm"] is True


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({"wantAssertionSigned": True}, "'wantAssertionSigned' is not a python3-saml security"),
        ({"strict": False}, "'strict' is not a python3-saml security setting"),
        ({"wantAssertionsSigned": "yes"}, "wantAssertionsSigned must be true or false, got 'yes'"),
        ({"signatureAlgorithm": "sha256"}, "signatureAlgorithm 'sha256' is not an algorithm"),
        ({"requestedAuthnContextComparison": "any"}, "must be one of exact, minimum"),
        ({"requestedAuthnContext": [1]}, "requestedAuthnContext must be true, false or a list"),
        ({"metadataCacheDuration": -1}, "metadataCacheDuration must be seconds"),
        ({"metadataValidUntil": 3}, "metadataValidUntil must be an ISO 8601 time or null"),
        (["wantAssertionsSigned"], "expected a mapping"),
    ],
)
def test_a_wrong_name_or_type_is_one_line_naming_the_key(value: Any, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        bridge(**{SECURITY: value})
    assert caught.value.key == SECURITY
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_weakening_a_default_warns_naming_the_key() -> None:
    result = bridge(
        **{SECURITY: {"rejectDeprecatedAlgorithm": False, "signatureAlgorithm": RSA_SHA1}}
    )
    assert [key for key, _ in result.warnings] == [SECURITY, SECURITY]
    assert "responses signed with SHA-1 are accepted" in result.warnings[0][1]
    # Strengthening is no warning.
    assert bridge(**{SECURITY: {"wantAssertionsSigned": True}}).warnings == ()


@pytest.mark.parametrize("hours", [0, 1, 6, 12, 24])
def test_refresh_hours_that_divide_a_day(hours: int) -> None:
    assert bridge(LMSBRIDGE_SAML_REFRESH_HOURS=hours).saml_sp.refresh_hours == hours


@pytest.mark.parametrize(
    ("hours", "words"),
    [(5, "5 hours does not divide a day"), (25, "expected 0 to 24"), ("6", "expected 0 to 24")],
)
def test_refresh_hours_refused_in_one_line(hours: Any, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        bridge(LMSBRIDGE_SAML_REFRESH_HOURS=hours)
    assert caught.value.key == "LMSBRIDGE_SAML_REFRESH_HOURS"
    assert words in str(caught.value)


def test_an_app_named_saml_keeps_working_next_to_the_saml_keys() -> None:
    config = {
        **PLATFORM,
        "LMSBRIDGE_SP_PRIVATE_KEY": sp_private_key(),
        "LMSBRIDGE_APPS": ["saml"],
        "LMSBRIDGE_SAML_URL": "https://idp.example.edu/idp/shibboleth",
        "LMSBRIDGE_SAML_ENTITY_ID": "https://idp.example.edu/idp/shibboleth",
        "LMSBRIDGE_SAML_REFRESH_HOURS": 12,
        SECURITY: {"wantMessagesSigned": True},
    }
    result = read_bridge(config)
    assert result.apps[0].name == "saml"
    assert result.saml_sp is not None
    assert result.saml_sp.refresh_hours == 12
    assert result.saml_sp.security["wantMessagesSigned"] is True


def test_credentials_say_what_the_sp_requires() -> None:
    assert expectations(security_config()) == [
        "sign the Response or the Assertion (an unsigned response is refused)",
        "SHA-256 (or stronger) signatures and digests; SHA-1 is refused",
    ]
    strict = security_config(
        **{SECURITY: {"wantAssertionsSigned": True, "wantAssertionsEncrypted": True}}
    )
    assert expectations(strict) == [
        "sign the Assertion (a signed Response alone is refused)",
        "SHA-256 (or stronger) signatures and digests; SHA-1 is refused",
        "encrypt the Assertion with the SP certificate (plain ones are refused)",
    ]


def test_the_next_sp_key_publishes_its_certificate_and_stays_secret() -> None:
    """Issue #24 item 6: python3-saml's sp.x509certNew through the SAMLConfiguration's
    SP_EXTRA (edx merges it into "sp"); the next private key itself is rendered nowhere."""
    nothing = build_plan(bridge()).init_data()["saml_configurations"][0]["other_config"]
    assert "SP_EXTRA" not in nothing
    next_pem = sp_private_key("next")
    result = bridge(LMSBRIDGE_SP_NEXT_PRIVATE_KEY=next_pem)
    plan = build_plan(result)
    (configuration,) = plan.init_data()["saml_configurations"]
    assert result.saml_sp is not None
    upcoming = result.saml_sp.next_certificate
    assert configuration["other_config"]["SP_EXTRA"] == {"x509certNew": upcoming}
    assert upcoming not in (configuration["public_key"], "")
    assert next_pem in result.secrets  # masked wherever the plugin prints
    body = "".join(next_pem.splitlines()[1:-1])
    # Past the modulus (which the certificate holds too): the private part.
    assert body[-80:-40] not in repr(plan.settings_data())
    assert body[800:840] not in repr(plan.settings_data())


def test_the_current_key_as_the_next_one_is_refused() -> None:
    current = sp_private_key()
    with pytest.raises(ConfigError) as caught:
        bridge(LMSBRIDGE_SP_PRIVATE_KEY=current, LMSBRIDGE_SP_NEXT_PRIVATE_KEY=current)
    assert caught.value.key == "LMSBRIDGE_SP_NEXT_PRIVATE_KEY"
    assert "nothing to roll over to" in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        bridge(LMSBRIDGE_SP_NEXT_PRIVATE_KEY="not a key")
    assert caught.value.key == "LMSBRIDGE_SP_NEXT_PRIVATE_KEY"
    assert "not a key" not in str(caught.value)  # a secret is never shown
