"""SAML single sign-on into Open edX, SP-initiated, on loopback.

Two processes: the Open edX stand-in (edx-platform's SAML models, backend, metadata pull
and URLs, on the real social-core + python3-saml) on 127.0.0.2, and a real SAML IdP
(pysaml2) on 127.0.0.7. The deployment is built by hand in deploy_saml(), in the shape the
plugin's `saml` preset will render (settings and init plan), so that the rendered output
can replace it.
"""

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from ..support.saml_plan import DEFAULT_GATE, init_code, saml_plan
from .process import django_server, free_port
from .saml_idp.keys import key_pair, pem_body
from .saml_process import idp_config, saml_idp

pytestmark = pytest.mark.e2e

LMS_HOST = "127.0.0.2"
SP_SLUG, IDP_SLUG = "lmsbridge", "uni"
TIMEOUT = 20


@dataclass
class Deployment:
    lms_url: str
    openedx: dict[str, Any]
    idp: dict[str, Any]
    logs: list[Path] = field(default_factory=list)

    def login_url(self) -> str:
        return (
            f"{self.lms_url}/auth/login/tpa-saml/?auth_entry=login&idp={IDP_SLUG}&next=/dashboard"
        )

    def log_text(self) -> str:
        return "\n".join(path.read_text() for path in self.logs if path.exists())


def deploy_saml(tmp_path: Path) -> Deployment:
    """What the plugin renders for one SAML identity provider: LMS settings (the backend
    in AUTHENTICATION_BACKENDS, the SP key pair by configuration slug, third-party auth on,
    SITE_ID 2) and an init plan with saml_configurations and saml_providers."""
    lms_port = free_port(LMS_HOST)
    lms_url = f"http://{LMS_HOST}:{lms_port}"
    idp = idp_config(
        tmp_path, sp_metadata_url=f"{lms_url}/auth/saml/metadata.xml?tpa_hint={IDP_SLUG}"
    )
    sp_private, sp_public = key_pair(f"{LMS_HOST}-sp")
    idp_url = f"http://{idp['listen'][0]}:{idp['listen'][1]}"
    plan = saml_plan(lms_url, SP_SLUG, IDP_SLUG, idp["entity_id"], f"{idp_url}/metadata")
    plugin_settings = {
        "AUTHENTICATION_BACKENDS": [
            "tests.edx_standin.third_party_auth.saml.SAMLAuthBackend",
            "django.contrib.auth.backends.ModelBackend",
        ],
        "SOCIAL_AUTH_SAML_SP_PRIVATE_KEY_DICT": {SP_SLUG: pem_body(sp_private)},
        "SOCIAL_AUTH_SAML_SP_PUBLIC_CERT_DICT": {SP_SLUG: pem_body(sp_public)},
        "ENABLE_THIRD_PARTY_AUTH": True,
        "MITX_REDIRECT_ENABLED": False,
        "SITE_ID": 2,
        "LMSBRIDGE_INIT_PLAN": plan,
    }
    return Deployment(
        lms_url=lms_url,
        openedx={
            "database": str(tmp_path / "openedx.sqlite3"),
            "listen": [[LMS_HOST, lms_port]],
            "lms_host": f"{LMS_HOST}:{lms_port}",
            "plugin_settings": plugin_settings,
            "init_code": init_code(),
        },
        idp=idp,
    )


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Callable[[Deployment], Deployment]]:
    """The IdP first (the LMS's init job pulls its metadata), then the LMS."""
    with ExitStack() as stack:

        def start(deployment: Deployment) -> Deployment:
            idp = stack.enter_context(saml_idp(deployment.idp, tmp_path))
            deployment.logs.append(idp.log)
            lms_log = stack.enter_context(
                django_server("tests.e2e.openedx_saml_settings", deployment.openedx, tmp_path)
            )
            deployment.logs.append(Path(lms_log))
            return deployment

        yield start


def login(deployment: Deployment, session: requests.Session) -> tuple[bool, str]:
    """LMS login URL -> IdP (HTTP-Redirect AuthnRequest) -> auto-submitted form -> ACS."""
    start = session.get(deployment.login_url(), allow_redirects=False, timeout=TIMEOUT)
    if start.status_code != 302:
        return False, f"login start answered {start.status_code}: {start.text[:300]}"
    location = start.headers["Location"]
    query = parse_qs(urlsplit(location).query)
    if "SAMLRequest" not in query or "RelayState" not in query:
        return False, f"not an HTTP-Redirect AuthnRequest: {location}"
    page = session.get(location, timeout=TIMEOUT)
    action = re.search(r'<form[^>]+action="([^"]+)"', page.text)
    if page.status_code != 200 or action is None:
        return False, f"IdP answered {page.status_code}: {page.text[:500]}"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    acs = unescape(action.group(1))
    done = session.post(acs, data={k: unescape(v) for k, v in fields.items()}, timeout=TIMEOUT)
    if done.status_code == 200 and done.url == f"{deployment.lms_url}/dashboard":
        return True, done.text
    return False, f"ACS {acs} answered {done.status_code} at {done.url}: {done.text[:300]}"


def test_sp_initiated_login_creates_the_account(
    tmp_path: Path, servers: Callable[[Deployment], Deployment]
) -> None:
    deployment = servers(deploy_saml(tmp_path))
    session = requests.Session()
    ok, detail = login(deployment, session)
    assert ok, detail + "\n" + deployment.log_text()[-4000:]
    # The account comes from the mapped attributes: uid, mail, displayName.
    assert "Logged in as grace <grace@example.edu> (Grace Hopper)" in detail
    logs = deployment.log_text()
    assert "lmsbridge: SAML metadata: 1 fetched, 1 new, 0 failed" in logs
    assert re.search(
        r"AuthnRequest \S+ from http://127\.0\.0\.2:\d+/saml for ACS "
        r"http://127\.0\.0\.2:\d+/auth/complete/tpa-saml/",
        logs,
    )
    # The SP metadata the IdP trusted is the LMS's own, with the key pair from the settings.
    metadata = requests.get(
        f"{deployment.lms_url}/auth/saml/metadata.xml?tpa_hint={IDP_SLUG}", timeout=TIMEOUT
    )
    assert metadata.status_code == 200
    assert f'entityID="{deployment.lms_url}/saml"' in metadata.text
    public = deployment.openedx["plugin_settings"]["SOCIAL_AUTH_SAML_SP_PUBLIC_CERT_DICT"][SP_SLUG]
    assert public[:60] in metadata.text.replace("\n", "")
    # A second login is the same account (uid "uni:grace"), not a new one.
    again = requests.Session()
    ok, detail = login(deployment, again)
    assert ok, detail
    assert "Logged in as grace <grace@example.edu>" in detail


def wrong_entity_id(deployment: Deployment) -> None:
    (provider,) = deployment.openedx["plugin_settings"]["LMSBRIDGE_INIT_PLAN"]["saml_providers"]
    provider["entity_id"] = "https://idp.example.edu/idp/shibboleth"


def wrong_certificate(deployment: Deployment) -> None:
    deployment.idp["break"].append("sign-with-other-key")


def expired_metadata(deployment: Deployment) -> None:
    deployment.idp["break"].append("metadata-expired")


def unreachable_metadata(deployment: Deployment) -> None:
    deployment.idp["break"].append("metadata-503")


def wrong_acs(deployment: Deployment) -> None:
    # The IdP's admin registered the SP with another ACS URL than Open edX's.
    deployment.idp["sp_metadata_replace"] = [["/auth/complete/tpa-saml/", "/auth/complete/saml/"]]


def no_default_configuration(deployment: Deployment) -> None:
    plan = deployment.openedx["plugin_settings"]["LMSBRIDGE_INIT_PLAN"]
    plan["saml_configurations"] = [
        spec for spec in plan["saml_configurations"] if spec["slug"] != DEFAULT_GATE
    ]


@pytest.mark.parametrize(
    ("breakage", "evidence"),
    [
        (wrong_entity_id, "Invalid issuer in the Assertion/Response"),
        (wrong_certificate, "Signature validation failed. SAML Response rejected"),
        (expired_metadata, "Authentication with Example University is currently unavailable."),
        (unreachable_metadata, "SAML metadata failed: HTTPError: 503 Server Error"),
        (wrong_acs, "is not registered for SP"),
        (no_default_configuration, "login start answered 404"),
    ],
    ids=[
        "idp-entity-id",
        "idp-certificate",
        "metadata-expired",
        "metadata-unreachable",
        "acs-url",
        "no-default-configuration",
    ],
)
def test_login_fails_for_the_right_reason(
    breakage: Callable[[Deployment], None],
    evidence: str,
    tmp_path: Path,
    servers: Callable[[Deployment], Deployment],
) -> None:
    deployment = deploy_saml(tmp_path)
    breakage(deployment)
    servers(deployment)
    session = requests.Session()
    ok, detail = login(deployment, session)
    assert not ok
    text = detail + "\n" + deployment.log_text()
    assert evidence in text, text[-4000:]
    # And nobody is logged in.
    dashboard = session.get(
        f"{deployment.lms_url}/dashboard", allow_redirects=False, timeout=TIMEOUT
    )
    assert dashboard.status_code == 302
