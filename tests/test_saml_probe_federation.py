"""`check --probe` on federation metadata: an aggregate larger than the former 8 MiB limit, a
pinned metadata signature checked as the init job checks it, and an MDQ service, served from
loopback by tests/support/federation.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tutor_lmsbridge.output.saml_probe import probe_saml

from .e2e.saml_idp.keys import key_pair
from .support.federation import (
    MetadataServer,
    idp_entity,
    metadata_server,
    pem_body,
    sign,
    write_aggregate,
)
from .support.tutor_helpers import run_tutor, set_args

ENTITY = "https://idp.example.edu/idp/shibboleth"
SSO = "https://idp.example.edu/idp/profile/SAML2/Redirect/SSO"
TIMEOUT = 10.0


@pytest.fixture(scope="module")
def keys() -> dict[str, tuple[str, str]]:
    return {name: key_pair(name) for name in ("idp", "federation", "impostor")}


@pytest.fixture(scope="module")
def server() -> Iterator[MetadataServer]:
    with metadata_server() as running:
        yield running


def test_an_aggregate_over_8_mib_is_probed(
    server: MetadataServer, keys: dict[str, tuple[str, str]], tmp_path: Path
) -> None:
    path = tmp_path / "federation.xml"
    count = write_aggregate(path, 9 << 20, ENTITY, keys["idp"][1])
    url = server.serve("/federation.xml", path.read_bytes())
    findings = probe_saml(url, ENTITY, TIMEOUT)
    assert [level for level, _ in findings] == ["ok"] * len(findings), findings
    assert ("ok", f"metadata URL {url} answers SAML metadata for {ENTITY}") in findings
    assert count > 1500
    missing = probe_saml(url, "https://nowhere.example.org/idp", TIMEOUT)
    assert missing[-1][0] == "error"
    assert f"(among {count} entities)" in missing[-1][1]


def test_a_pinned_signature_is_checked(
    server: MetadataServer, keys: dict[str, tuple[str, str]]
) -> None:
    good = sign(idp_entity(ENTITY, SSO, [keys["idp"][1]]), *keys["federation"])
    url = server.serve("/pinned.xml", good)
    pinned = keys["federation"][1]
    findings = probe_saml(url, ENTITY, TIMEOUT, pinned=pinned)
    assert findings[0] == ("ok", "metadata signature verifies with the pinned certificate")
    assert "error" not in [level for level, _ in findings]
    tampered = good.replace(
        pem_body(keys["idp"][1]).encode(), pem_body(keys["impostor"][1]).encode()
    )
    server.serve("/pinned.xml", tampered)
    (finding,) = probe_saml(url, ENTITY, TIMEOUT, pinned=pinned)
    assert finding[0] == "error"
    assert finding[1].startswith(
        f"metadata URL {url}: refused, its signature does not verify with the pinned certificate"
    )


def test_check_probe_with_mdq_and_a_pinned_certificate(
    server: MetadataServer, keys: dict[str, tuple[str, str]], tmp_path: Path
) -> None:
    """The InCommon recipe's keys against a loopback MDQ service: no warning (the signature
    protects plain HTTP), the signature and the entity checked."""
    document = sign(idp_entity(ENTITY, SSO, [keys["idp"][1]]), *keys["federation"])
    server.serve(f"/mdq/entities/{quote(ENTITY, safe='')}", document)
    root = tmp_path / "tutor"
    run_tutor(root, "plugins", "enable", "lmsbridge")
    config = {
        "LMSBRIDGE_APPS": ["shib"],
        "LMSBRIDGE_SHIB_PRESET": "saml",
        "LMSBRIDGE_SHIB_MDQ": f"{server.url}/mdq/",
        "LMSBRIDGE_SHIB_ENTITY_ID": ENTITY,
        "LMSBRIDGE_SHIB_METADATA_SIGNING_CERT": keys["federation"][1],
    }
    run_tutor(root, "config", "save", *set_args(config))
    result = run_tutor(root, "lmsbridge", "check", "--probe", check=False)
    lines = result.stdout.splitlines()
    assert (
        "OK      LMSBRIDGE_SHIB: metadata signature verifies with the pinned certificate" in lines
    )
    assert any("answers SAML metadata for " + ENTITY in line for line in lines), lines
    assert lines[-1] == "0 error(s), 0 warning(s)", result.stdout
    # The impostor's signature: one ERROR line naming the app, exit 1.
    server.serve(
        f"/mdq/entities/{quote(ENTITY, safe='')}",
        sign(idp_entity(ENTITY, SSO, [keys["impostor"][1]]), *keys["impostor"]),
    )
    result = run_tutor(root, "lmsbridge", "check", "--probe", check=False)
    errors = [line for line in result.stdout.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1, result.stdout
    assert errors[0].startswith("ERROR   LMSBRIDGE_SHIB: metadata URL ")
    assert "refused, its signature does not verify" in errors[0]
    assert result.returncode == 1
