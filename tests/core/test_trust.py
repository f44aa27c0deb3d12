"""Trust defaults and the findings on trust nobody chose (issue #19): each provider flag's
default follows what the provider vouches for, and a flag set beyond that is a warning of
`tutor lmsbridge check` (and `status`), naming the key and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from tutor_lmsbridge.core.plan import build_plan
from tutor_lmsbridge.core.presets import PRESETS
from tutor_lmsbridge.core.read_bridge import read_bridge
from tutor_lmsbridge.core.trust import flag_findings
from tutor_lmsbridge.protocols import provider_protocol

from ..support.samples import KEYCLOAK, MITXONLINE, OIDC, PLATFORM, SHIB, sp_private_key

SAML = {**SHIB, "LMSBRIDGE_SP_PRIVATE_KEY": sp_private_key()}


def flags_of(config: dict[str, Any]) -> dict[str, bool]:
    (app,) = read_bridge({**PLATFORM, **config}).apps
    assert app.provider is not None
    return app.provider.flags


def warned(config: dict[str, Any]) -> dict[str, str]:
    return dict(read_bridge({**PLATFORM, **config}).warnings)


@pytest.mark.parametrize(
    ("config", "skip_email"),
    [
        (MITXONLINE, True),  # MITx Online confirms the email at registration
        (SAML, True),  # the institution's directory
        (OIDC, True),  # LINK_BY_EMAIL verified: the operator relies on email_verified
        ({**OIDC, "LMSBRIDGE_SSO_LINK_BY_EMAIL": "never"}, False),
        ({**OIDC, "LMSBRIDGE_SSO_LINK_BY_EMAIL": "trusted"}, False),
        (KEYCLOAK, False),  # a generic OAuth2 backend says nothing about verification
        ({**KEYCLOAK, "LMSBRIDGE_KEYCLOAK_LINK_BY_EMAIL": "trusted"}, False),
    ],
)
def test_flag_defaults_follow_what_the_provider_vouches_for(
    config: dict[str, Any], skip_email: bool
) -> None:
    assert flags_of(config) == {
        "skip_hinted_login_dialog": True,
        "skip_registration_form": True,
        "skip_email_verification": skip_email,
        "sync_learner_profile_data": True,
        "enable_sso_id_verification": False,
    }
    assert not [key for key in warned(config) if "VERIFICATION" in key]


def test_a_set_flag_wins_over_its_default() -> None:
    assert flags_of({**KEYCLOAK, "LMSBRIDGE_KEYCLOAK_SKIP_EMAIL_VERIFICATION": True})[
        "skip_email_verification"
    ]
    assert not flags_of({**MITXONLINE, "LMSBRIDGE_MITXONLINE_SKIP_EMAIL_VERIFICATION": False})[
        "skip_email_verification"
    ]


@pytest.mark.parametrize(
    ("config", "key", "words"),
    [
        (
            {**OIDC, "LMSBRIDGE_SSO_ENABLE_SSO_ID_VERIFICATION": True},
            "LMSBRIDGE_SSO_ENABLE_SSO_ID_VERIFICATION",
            "true on an oidc provider: every learner who logs in through sso gets an approved "
            "identity verification; set it to false unless only your institution's directory",
        ),
        (
            {**KEYCLOAK, "LMSBRIDGE_KEYCLOAK_ENABLE_SSO_ID_VERIFICATION": True},
            "LMSBRIDGE_KEYCLOAK_ENABLE_SSO_ID_VERIFICATION",
            "true on an oauth2 provider",
        ),
        (
            {**KEYCLOAK, "LMSBRIDGE_KEYCLOAK_SKIP_EMAIL_VERIFICATION": True},
            "LMSBRIDGE_KEYCLOAK_SKIP_EMAIL_VERIFICATION",
            "true, but keycloak is not known to verify emails: a first login creates an active "
            "account with an email nobody confirmed; set it to false unless keycloak confirms "
            "every email it sends",
        ),
        (
            {
                **OIDC,
                "LMSBRIDGE_SSO_LINK_BY_EMAIL": "never",
                "LMSBRIDGE_SSO_SKIP_EMAIL_VERIFICATION": True,
            },
            "LMSBRIDGE_SSO_SKIP_EMAIL_VERIFICATION",
            "set it to false, or set LMSBRIDGE_SSO_LINK_BY_EMAIL=verified if the provider sends "
            "email_verified",
        ),
    ],
)
def test_trust_nobody_chose_is_a_warning_with_its_fix(
    config: dict[str, Any], key: str, words: str
) -> None:
    found = warned(config)
    assert words in found[key]
    assert "\n" not in found[key]
    # A warning, not an error: the operator may have chosen it; the plan is built as set.
    assert build_plan(read_bridge({**PLATFORM, **config})).active


@pytest.mark.parametrize(
    "config",
    [
        # The operator's own apps and an institution's IdP: no finding.
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_ENABLE_SSO_ID_VERIFICATION": True},
        {**SAML, "LMSBRIDGE_SHIB_ENABLE_SSO_ID_VERIFICATION": True},
        {**OIDC, "LMSBRIDGE_SSO_SKIP_EMAIL_VERIFICATION": True},  # verified: it vouches
    ],
)
def test_trust_a_provider_can_back_is_no_finding(config: dict[str, Any]) -> None:
    assert not [key for key in warned(config) if "VERIFICATION" in key]


def test_verify_plan_says_what_each_provider_vouches_for() -> None:
    plan = build_plan(
        read_bridge(
            {
                **PLATFORM,
                **MITXONLINE,
                **OIDC,
                **KEYCLOAK,
                **SAML,
                "LMSBRIDGE_APPS": ["mitxonline", "sso", "keycloak", "shib"],
                "LMSBRIDGE_SSO_LINK_BY_EMAIL": "never",
            }
        )
    )
    trust = {spec["app"]: spec["trust"] for spec in plan.verify_data()["providers"]}
    assert trust == {
        "mitxonline": {"consumer": False, "verifies_email": True},
        "sso": {"consumer": True, "verifies_email": False},
        "keycloak": {"consumer": True, "verifies_email": False},
        "shib": {"consumer": False, "verifies_email": True},
    }


@pytest.mark.parametrize(
    ("preset", "is_consumer", "verifies"),
    [
        ("mitxonline", False, {"never": True, "verified": True, "trusted": True}),
        ("saml", False, {"never": True, "verified": True, "trusted": True}),
        ("oidc", True, {"never": False, "verified": True, "trusted": False}),
        ("oauth2", True, {"never": False, "verified": False, "trusted": False}),
    ],
)
def test_what_each_protocol_vouches_for(
    preset: str, is_consumer: bool, verifies: dict[str, bool]
) -> None:
    protocol = provider_protocol(PRESETS[preset])
    assert protocol.consumer is is_consumer
    for policy, expected in verifies.items():
        assert protocol.verifies_email(policy) is expected, policy


SAFE = {"enable_sso_id_verification": False, "skip_email_verification": False}


def test_flag_findings_name_the_key_and_the_fix() -> None:
    assert (
        flag_findings(
            provider_protocol(PRESETS["oidc"]), "oidc", "never", SAFE, "LMSBRIDGE_SSO_", "sso"
        )
        == []
    )
    risky = {"enable_sso_id_verification": True, "skip_email_verification": True}
    found = dict(
        flag_findings(
            provider_protocol(PRESETS["oidc"]), "oidc", "never", risky, "LMSBRIDGE_SSO_", "sso"
        )
    )
    assert list(found) == [
        "LMSBRIDGE_SSO_ENABLE_SSO_ID_VERIFICATION",
        "LMSBRIDGE_SSO_SKIP_EMAIL_VERIFICATION",
    ]
    assert (
        "set LMSBRIDGE_SSO_LINK_BY_EMAIL=verified" in found["LMSBRIDGE_SSO_SKIP_EMAIL_VERIFICATION"]
    )
    # A provider that verifies emails, and is no consumer provider, gives no finding.
    assert (
        flag_findings(
            provider_protocol(PRESETS["mitxonline"]),
            "mitxonline",
            "trusted",
            risky,
            "LMSBRIDGE_M_",
            "m",
        )
        == []
    )
    oauth2 = dict(
        flag_findings(
            provider_protocol(PRESETS["oauth2"]), "oauth2", "never", risky, "LMSBRIDGE_K_", "k"
        )
    )
    assert "unless k confirms every email" in oauth2["LMSBRIDGE_K_SKIP_EMAIL_VERIFICATION"]
