"""Issue #24 item 3, with the real pysaml2 IdP: what Open edX refuses, as the plugin sets it up.

An unsigned response and a response signed with SHA-1 are refused by default (python3-saml
refuses the first on its own, the second because the plugin's SECURITY_CONFIG sets
rejectDeprecatedAlgorithm); a response that signs only the Response, not the Assertion, is
accepted by default (many IdPs do that) and refused once the operator sets
wantAssertionsSigned through LMSBRIDGE_SAML_SECURITY.

One IdP for the module (it answers each login as the test asks: saml_idp.server's idp_sign
and idp_alg); one LMS per security profile (the second also rolls its SP key over),
module-scoped, so each starts once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from ..support.samples import sp_private_key
from .process import django_server
from .saml_process import idp_config, saml_idp
from .test_saml_sso import LMS_URL, TIMEOUT, Deployment, deploy_saml, login

pytestmark = pytest.mark.e2e

PROFILES: dict[str, dict[str, Any]] = {
    "default": {},
    # Also an SP key rollover under way (issue #24 item 6): one LMS boot less for the suite.
    "assertions-signed": {
        "LMSBRIDGE_SAML_SECURITY": {"wantAssertionsSigned": True},
        "LMSBRIDGE_SP_NEXT_PRIVATE_KEY": sp_private_key("next"),
    },
}


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("saml-security-idp")
    config = idp_config(workdir)
    # The SP's metadata, fetched at the first login: both profiles' LMS have the same SP
    # entity id and ACS URL (the IdP signs nothing with the SP's certificate).
    config["sp_metadata_url"] = f"{LMS_URL}/auth/saml/metadata.xml"
    with saml_idp(config, workdir) as running:
        config["log"] = running.log
        yield config


@pytest.fixture(scope="module")
def deployment(
    request: pytest.FixtureRequest,
    idp: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    """The LMS with the security profile the test names (indirect parametrization)."""
    profile: str = request.param
    workdir = tmp_path_factory.mktemp(f"saml-security-{profile}")
    host, port = idp["listen"]
    deployed = deploy_saml(
        workdir,
        LMSBRIDGE_UNI_URL=f"http://{host}:{port}/metadata",
        LMSBRIDGE_UNI_ENTITY_ID=idp["entity_id"],
        **PROFILES[profile],
    )
    deployed.logs.append(idp["log"])
    with django_server("tests.e2e.openedx_saml_settings", deployed.openedx, workdir) as lms_log:
        deployed.logs.append(Path(lms_log))
        yield deployed


def refused(deployment: Deployment, params: dict[str, str], evidence: str) -> None:
    before = deployment.rows("SELECT count(*) FROM auth_user")
    session = requests.Session()
    ok, detail = login(deployment, session, idp_params=params)
    assert not ok, detail
    text = detail + "\n" + deployment.log_text()
    assert evidence in text, text[-4000:]
    dashboard = session.get(f"{LMS_URL}/dashboard", allow_redirects=False, timeout=TIMEOUT)
    assert dashboard.status_code == 302  # nobody logged in
    assert deployment.rows("SELECT count(*) FROM auth_user") == before


def accepted(deployment: Deployment, params: dict[str, str]) -> None:
    ok, detail = login(deployment, requests.Session(), idp_params=params)
    assert ok, detail + "\n" + deployment.log_text()[-4000:]
    assert "Logged in as grace@example.edu" in detail


DEFAULT = pytest.mark.parametrize("deployment", ["default"], indirect=True)
ASSERTIONS_SIGNED = pytest.mark.parametrize("deployment", ["assertions-signed"], indirect=True)


@DEFAULT
def test_the_plugin_refuses_sha1_in_the_lms_row(deployment: Deployment) -> None:
    ((other_config,),) = deployment.rows(
        "SELECT other_config_str FROM third_party_auth_samlconfiguration"
    )
    assert '"rejectDeprecatedAlgorithm": true' in other_config


@DEFAULT
def test_an_unsigned_response_is_refused(deployment: Deployment) -> None:
    refused(deployment, {"idp_sign": "none"}, "No Signature found. SAML Response rejected")


@DEFAULT
def test_a_response_signed_with_sha1_is_refused(deployment: Deployment) -> None:
    refused(
        deployment,
        {"idp_sign": "assertion", "idp_alg": "sha1"},
        "Deprecated signature algorithm found: http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    )


@DEFAULT
@pytest.mark.parametrize("signed", ["assertion", "response"])
def test_sha256_signed_assertion_or_response_logs_in(deployment: Deployment, signed: str) -> None:
    accepted(deployment, {"idp_sign": signed, "idp_alg": "sha256"})


@ASSERTIONS_SIGNED
def test_want_assertions_signed_refuses_a_response_whose_assertion_is_unsigned(
    deployment: Deployment,
) -> None:
    refused(
        deployment,
        {"idp_sign": "response"},
        "The Assertion of the Response is not signed and the SP require it",
    )
    accepted(deployment, {"idp_sign": "assertion"})


@ASSERTIONS_SIGNED
def test_the_next_sp_certificate_is_published_before_the_switch(deployment: Deployment) -> None:
    """python3-saml's sp.x509certNew, reached through the SAMLConfiguration's SP_EXTRA: the
    SP metadata the IdPs import holds the current and the next certificate; logins go on."""
    registration = deployment.registration
    metadata = requests.get(registration["sp_metadata_url"], timeout=TIMEOUT)
    assert metadata.status_code == 200, metadata.text
    text = metadata.text.replace("\n", "")
    current = "".join(registration["sp_certificate"].splitlines()[1:-1])
    assert current in text
    assert registration["sp_next_certificate"]
    upcoming = "".join(registration["sp_next_certificate"].splitlines()[1:-1])
    assert upcoming != current
    assert upcoming in text
    assert text.count("<ds:X509Certificate>") >= 2
    accepted(deployment, {})
