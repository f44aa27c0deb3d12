"""tutor_lmsbridge.output.saml_probe against the real SAML IdP on loopback, healthy and broken."""

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tutor_lmsbridge.output.saml_probe import parse_safely, probe_saml

from .process import free_port
from .saml_process import IDP_HOST, RunningIdp, idp_config, saml_idp

pytestmark = pytest.mark.e2e

TIMEOUT = 5.0


def run(
    tmp_path: Path, *, entity_id: str | None = None, faults: tuple[str, ...] = (), **overrides: Any
) -> tuple[RunningIdp, list[tuple[str, str]]]:
    config = idp_config(tmp_path, sp_metadata_url="http://127.0.0.1:9/unused", **overrides)
    config["break"] = list(faults)
    with saml_idp(config, tmp_path) as idp:
        return idp, probe_saml(idp.metadata_url, entity_id or idp.entity_id, TIMEOUT)


def levels(findings: list[tuple[str, str]]) -> list[str]:
    return [level for level, _ in findings]


def test_healthy_idp(tmp_path: Path) -> None:
    idp, findings = run(tmp_path)
    assert "error" not in levels(findings), findings
    messages = [message for _, message in findings]
    # Plain HTTP is the configuration's warning (`check` says it once), not the probe's.
    assert not any("plain HTTP" in message for message in messages)
    assert f"metadata URL {idp.metadata_url} answers SAML metadata for {idp.entity_id}" in messages
    assert f"single sign-on (HTTP-Redirect) at {idp.url}/sso/redirect" in messages
    (certificate,) = [m for m in messages if m.startswith("signing certificate")]
    assert "days left)" in certificate
    assert ("ok", certificate) in findings
    assert any(m.startswith("metadata valid until ") for m in messages)


def test_wrong_entity_id(tmp_path: Path) -> None:
    _, findings = run(tmp_path, entity_id="https://idp.example.edu/idp/shibboleth")
    assert findings[-1][0] == "error"
    assert "not the configured 'https://idp.example.edu/idp/shibboleth'" in findings[-1][1]


def test_expired_certificate(tmp_path: Path) -> None:
    _, findings = run(tmp_path, cert_days=1, cert_start_days=-3)
    errors = [m for level, m in findings if level == "error"]
    assert len(errors) == 1
    assert errors[0].startswith("signing certificate CN=")
    assert " expired on " in errors[0]


def test_certificate_expiring_soon_is_a_warning(tmp_path: Path) -> None:
    _, findings = run(tmp_path, cert_days=11, cert_start_days=-1)
    (certificate,) = [f for f in findings if f[1].startswith("signing certificate")]
    assert certificate[0] == "warning"
    assert "(9 days left)" in certificate[1]


def test_expired_valid_until(tmp_path: Path) -> None:
    _, findings = run(tmp_path, faults=("metadata-expired",))
    errors = [m for level, m in findings if level == "error"]
    assert len(errors) == 1
    assert errors[0].startswith("metadata expired: validUntil ")


def test_valid_until_checked_against_the_given_time(tmp_path: Path) -> None:
    config = idp_config(tmp_path, sp_metadata_url="http://127.0.0.1:9/unused")
    with saml_idp(config, tmp_path) as idp:
        later = datetime.now(timezone.utc) + timedelta(days=3)
        findings = probe_saml(idp.metadata_url, idp.entity_id, TIMEOUT, now=later)
    assert any(m.startswith("metadata expired") for level, m in findings if level == "error")


def test_metadata_answers_503(tmp_path: Path) -> None:
    idp, findings = run(tmp_path, faults=("metadata-503",))
    assert findings[-1] == ("error", f"metadata URL {idp.metadata_url} answers 503")


def test_refused() -> None:
    url = f"http://{IDP_HOST}:{free_port(IDP_HOST)}/metadata"
    findings = probe_saml(url, "x", TIMEOUT)
    assert findings[-1] == ("error", f"metadata URL {url}: connection refused")


def test_dtds_and_entities_are_refused() -> None:
    bomb = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(ValueError, match="DTD or entities"):
        parse_safely(bomb)


@pytest.mark.parametrize("fault", [None, "metadata-expired", "wrong-entity-id"])
def test_check_probe_command_for_a_saml_app(fault: str | None, tmp_path: Path) -> None:
    """`tutor lmsbridge check --probe` through the real Tutor for a `saml` app configured with
    its two keys: OK lines on a healthy IdP, one ERROR line and exit 1 on a broken one."""
    from ..support.tutor_helpers import run_tutor, set_args

    config = idp_config(tmp_path, sp_metadata_url="http://127.0.0.1:9/unused")
    config["break"] = ["metadata-expired"] if fault == "metadata-expired" else []
    root = tmp_path / "tutor"
    with saml_idp(config, tmp_path) as idp:
        run_tutor(root, "plugins", "enable", "lmsbridge")
        entity_id = "https://idp.example.edu/idp/shibboleth" if fault else idp.entity_id
        keys = {
            "LMSBRIDGE_APPS": ["uni"],
            "LMSBRIDGE_UNI_PRESET": "saml",
            "LMSBRIDGE_UNI_URL": idp.metadata_url,
            "LMSBRIDGE_UNI_ENTITY_ID": entity_id if fault == "wrong-entity-id" else idp.entity_id,
        }
        run_tutor(root, "config", "save", *set_args(keys))
        result = run_tutor(root, "lmsbridge", "check", "--probe", check=False)
    lines = result.stdout.splitlines()
    print(result.stdout)  # the README quotes these lines
    url = idp.metadata_url
    assert f"WARNING LMSBRIDGE_UNI_URL: {url} is plain HTTP: Open edX fetches it" in lines[0]
    assert len([line for line in lines if "plain HTTP" in line]) == 1  # said once
    if fault is None:
        assert f"OK      LMSBRIDGE_UNI: metadata URL {url} answers SAML metadata" in result.stdout
        assert (
            f"OK      LMSBRIDGE_UNI: single sign-on (HTTP-Redirect) at {idp.url}/sso/redirect"
            in (result.stdout)
        )
        assert re.search(
            r"OK      LMSBRIDGE_UNI: signing certificate CN=.* \(\d+ days left\)", result.stdout
        )
        assert lines[-1] == "0 error(s), 1 warning(s)"
        assert result.returncode == 0
    else:
        errors = [line for line in lines if line.startswith("ERROR")]
        assert len(errors) == 1, result.stdout
        expected = (
            "metadata expired: validUntil"
            if fault == "metadata-expired"
            else ("not the configured 'https://idp.example.edu/idp/shibboleth'")
        )
        assert expected in errors[0]
        if fault == "wrong-entity-id":  # the fix names the key and the value to give it
            assert errors[0].endswith(
                ". Fix: use the entityID the metadata announces: tutor lmsbridge set "
                f"LMSBRIDGE_UNI_ENTITY_ID={idp.entity_id}"
            )
        assert lines[-1] == "1 error(s), 1 warning(s)"
        assert result.returncode == 1


def test_inline_metadata_is_checked_as_given(tmp_path: Path) -> None:
    """METADATA instead of URL: `check --probe` checks the document the operator pasted."""
    import urllib.request

    from tutor_lmsbridge.output.saml_probe import check_metadata

    config = idp_config(tmp_path, sp_metadata_url="http://127.0.0.1:9/unused")
    with (
        saml_idp(config, tmp_path) as idp,
        urllib.request.urlopen(idp.metadata_url, timeout=TIMEOUT) as answer,  # noqa: S310 - loopback
    ):
        xml = answer.read().decode()
    findings = check_metadata(xml, "inline metadata", idp.entity_id)
    assert findings[0] == ("ok", f"inline metadata is SAML metadata for {idp.entity_id}")
    assert "error" not in levels(findings)
    later = datetime.now(timezone.utc) + timedelta(days=3)
    assert any(
        m.startswith("metadata expired")
        for level, m in check_metadata(xml, "inline metadata", idp.entity_id, later)
        if level == "error"
    )
