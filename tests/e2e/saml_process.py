"""Start and stop the SAML identity provider (a subprocess), bounded in time."""

import json
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .process import ROOT, free_port, python_path, serve_until_ready

IDP_HOST = "127.0.0.7"
# eduPerson / inetOrgPerson attribute names, as SAML IdPs in education send them.
OID = {
    "uid": "urn:oid:0.9.2342.19200300.100.1.1",
    "mail": "urn:oid:0.9.2342.19200300.100.1.3",
    "displayName": "urn:oid:2.16.840.1.113730.3.1.241",
    "givenName": "urn:oid:2.5.4.42",
    "sn": "urn:oid:2.5.4.4",
    "eduPersonPrincipalName": "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",
}


@dataclass
class RunningIdp:
    url: str
    entity_id: str
    metadata_url: str
    log: Path


def idp_config(workdir: Path, **overrides: Any) -> dict[str, Any]:
    """A healthy IdP on a free port of 127.0.0.7, with one learner; overrides win."""
    port = free_port(IDP_HOST)
    config: dict[str, Any] = {
        "listen": [IDP_HOST, port],
        "entity_id": f"http://{IDP_HOST}:{port}/metadata",
        "workdir": str(workdir / "idp-keys"),
        "users": {
            "grace": {
                "password": "pw-grace",
                "attributes": {
                    OID["uid"]: ["grace"],
                    OID["mail"]: ["grace@example.edu"],
                    OID["displayName"]: ["Grace Hopper"],
                    OID["givenName"]: ["Grace"],
                    OID["sn"]: ["Hopper"],
                    OID["eduPersonPrincipalName"]: ["grace@example.edu"],
                },
            }
        },
        "auto_login": "grace",
        "break": [],
    }
    config.update(overrides)
    return config


@contextmanager
def saml_idp(config: dict[str, Any], workdir: Path) -> Iterator[RunningIdp]:
    """Serve the IdP; yield where it is once it printed READY; stop it, always."""
    if (
        shutil.which(config.get("xmlsec_binary", "xmlsec1")) is None
        and not Path(config.get("xmlsec_binary", "/usr/bin/xmlsec1")).exists()
    ):
        raise RuntimeError("pysaml2 needs the xmlsec1 program: apt-get install xmlsec1")
    config_path = workdir / "saml_idp.json"
    config_path.write_text(json.dumps(config))
    log_path = workdir / "saml_idp.log"
    command = [sys.executable, "-m", "tests.e2e.saml_idp.server", str(config_path)]
    with serve_until_ready("the SAML IdP", command, log_path, ROOT, python_path()):
        host, port = config["listen"]
        url = f"http://{host}:{port}"
        yield RunningIdp(url, config["entity_id"], f"{url}/metadata", log_path)
