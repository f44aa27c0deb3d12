"""An IdP's key rotation and a tampered metadata document, end to end, with the real pysaml2 IdP
(tests/e2e/saml_idp) and the Open edX stand-in (edx-platform's SAML models, backend and
parser on python3-saml and xmlsec), configured by the plugin as in test_saml_sso.

The IdP publishes metadata signed by a federation key; the operator pins that key's
certificate (LMSBRIDGE_UNI_METADATA_SIGNING_CERT). Between two logins the IdP changes what it
publishes, and the plugin's init job runs again inside the running LMS (a refresh: no
restart). What a learner meets at each step of a rotation, and when the metadata is tampered
with, is the test.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from .process import django_server
from .saml_process import RunningIdp, idp_config, saml_idp
from .test_saml_sso import LMS_URL, TIMEOUT, Deployment, deploy_saml, login

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningIdp, Path]]:
    """One IdP for the module, with a second key to rotate to and signed metadata."""
    workdir = tmp_path_factory.mktemp("idp")
    config = idp_config(
        workdir,
        sp_metadata_url=f"{LMS_URL}/auth/saml/metadata.xml",
        rotation=True,
        sign_metadata=True,
    )
    with saml_idp(config, workdir) as running:
        yield running, Path(config["workdir"])  # where the IdP writes its key files


def control(idp: RunningIdp, **change: Any) -> None:
    answer = requests.post(f"{idp.url}/control", data=json.dumps(change), timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text


def refresh(deployment: Deployment) -> str:
    """The plugin's init job again, in the running LMS process: its report."""
    answer = requests.post(f"{LMS_URL}/lmsbridge-test/rerun-init", timeout=60)
    assert answer.status_code == 200, answer.text[-2000:]
    return answer.text


def certificates(deployment: Deployment) -> int:
    (count,) = deployment.rows("SELECT count(*) FROM third_party_auth_samlproviderdata")[0]
    return int(count)


def test_a_rotation_and_a_tampered_document_as_learners_meet_them(
    tmp_path: Path, idp: tuple[RunningIdp, Path]
) -> None:
    running, workdir = idp
    pinned = (workdir / "federation.crt").read_text()
    deployment = deploy_saml(
        tmp_path,
        LMSBRIDGE_UNI_URL=running.metadata_url,
        LMSBRIDGE_UNI_ENTITY_ID=running.entity_id,
        LMSBRIDGE_UNI_METADATA_SIGNING_CERT=pinned,
    )
    with django_server("tests.e2e.openedx_saml_settings", deployment.openedx, tmp_path) as lms_log:
        deployment.logs += [Path(lms_log), running.log]

        def logs_in(why: str) -> None:
            ok, detail = login(deployment, requests.Session())
            assert ok, f"{why}: {detail}\n{deployment.log_text()[-3000:]}"

        def refused(why: str) -> None:
            ok, detail = login(deployment, requests.Session())
            assert not ok, why
            assert "Signature validation failed. SAML Response rejected" in (
                detail + deployment.log_text()
            ), why

        assert "(pinned signature verified): new, 1 signing certificate(s)" in (
            deployment.log_text()
        )
        logs_in("the first login")

        # Tampered with after signing (its certificate swapped for an impostor's): refused by
        # the pinned check, in one line naming the app; the last good metadata stays.
        control(running, tamper=True)
        report = refresh(deployment)
        assert "lmsbridge: SAML metadata failed: saml-uni (app uni): metadata from" in report
        assert "its signature does not verify with the pinned certificate" in report
        assert certificates(deployment) == 1
        logs_in("the previous metadata stays in use")
        control(running, tamper=False)

        # The rotation begins: old and new published, the old key still signing.
        control(running, published=["old", "new"])
        assert "new, 2 signing certificate(s)" in refresh(deployment)
        logs_in("old key, both published")
        # The IdP switches to the new key: taken up without a restart.
        control(running, signing="new")
        logs_in("new key, both published")
        # The old certificate withdrawn: its row goes at the next refresh.
        control(running, published=["new"])
        assert "1 no longer published removed" in refresh(deployment)
        assert certificates(deployment) == 1
        logs_in("new key, only the new one published")
        # An assertion signed with the retired key (a forgotten IdP node, or a stolen key).
        control(running, signing="old")
        refused("the retired key must not sign a login any more")
    control(running, published=["old"], signing="old")
