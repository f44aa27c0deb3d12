"""SAML single sign-on into Open edX, SP-initiated, on loopback, through what the plugin renders.

Two processes: the Open edX stand-in (edx-platform's SAML models, backend, metadata pull and
URLs, on the real social-auth-core SAML backend with python3-saml and xmlsec) on
127.0.0.2:8000, and a real SAML IdP (pysaml2's IdP server) on 127.0.0.7.

Everything Open edX knows comes from the plugin (deploy_saml): an operator's two keys for the
`saml` preset (URL, ENTITY_ID) saved with the real `tutor config save`, the LMS settings of
the rendered development.py (the SP private key among them), the database rows made by the
rendered init job (which also runs Open edX's own metadata pull), and the IdP's registration
of Open edX from `tutor lmsbridge credentials` (the SP metadata URL it imports).
"""

import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from ..support.edx_settings import PLUGIN_SETTINGS, load_lms_settings
from ..support.tutor_helpers import (
    enable_lmsbridge,
    init_python,
    render_init_task,
    run_tutor,
    set_args,
)
from .process import django_server
from .saml_process import idp_config, saml_idp

pytestmark = pytest.mark.e2e

LMS_HOST = "127.0.0.2"
LMS_URL = f"http://{LMS_HOST}:8000"  # tutor dev's LMS: what `credentials --dev` prints
APP = "uni"
TIMEOUT = 20
EDX_SAML_BACKEND = "common.djangoapps.third_party_auth.saml.SAMLAuthBackend"
STANDIN_SAML_BACKEND = "tests.edx_standin.third_party_auth.saml.SAMLAuthBackend"


@dataclass
class Deployment:
    openedx: dict[str, Any]
    idp: dict[str, Any]
    registration: dict[str, Any]
    logs: list[Path] = field(default_factory=list)

    def login_url(self) -> str:
        """The SP-initiated login `credentials` gives, back to the dashboard."""
        return f"{self.registration['login_url']}&next=/dashboard"

    def log_text(self) -> str:
        return "\n".join(path.read_text() for path in self.logs if path.exists())

    def rows(self, query: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.openedx["database"]) as db:
            return db.execute(query).fetchall()


def deploy_saml(tmp_path: Path, idp_faults: tuple[str, ...] = (), **keys: Any) -> Deployment:
    """Open edX with one `saml` app, as the plugin renders it for `tutor dev`; ``keys`` are
    more LMSBRIDGE_* keys (or replace the operator's two); ``idp_faults`` the IdP's faults
    (saml_idp.server: "sign-with-other-key", "metadata-expired", "metadata-503")."""
    idp = idp_config(tmp_path)
    idp["break"] = list(idp_faults)
    config: dict[str, Any] = {
        "LMS_HOST": LMS_HOST,
        "LMSBRIDGE_APPS": [APP],
        "LMSBRIDGE_UNI_PRESET": "saml",
        # The two keys an operator sets for an IdP that publishes its metadata.
        "LMSBRIDGE_UNI_URL": f"http://{idp['listen'][0]}:{idp['listen'][1]}/metadata",
        "LMSBRIDGE_UNI_ENTITY_ID": idp["entity_id"],
        **keys,
    }
    root = tmp_path / "tutor"
    enable_lmsbridge(root)
    run_tutor(root, "config", "save", *set_args(config))
    exported = json.loads(
        run_tutor(root, "lmsbridge", "credentials", APP, "--dev", "--format", "json").stdout
    )
    registration = exported["registration"]
    # The IdP's admin imports Open edX's SP metadata from the URL `credentials` gives.
    idp["sp_metadata_url"] = registration["sp_metadata_url"]
    rendered = load_lms_settings(root / "env", "development", tmp_path)
    plugin_settings = {key: rendered[key] for key in PLUGIN_SETTINGS}
    # edx-platform is not installed here: its SAML backend's stand-in takes its place.
    assert rendered["AUTHENTICATION_BACKENDS"][0] == EDX_SAML_BACKEND
    plugin_settings["AUTHENTICATION_BACKENDS"] = [
        STANDIN_SAML_BACKEND,
        "django.contrib.auth.backends.ModelBackend",
    ]
    return Deployment(
        openedx={
            "database": str(tmp_path / "openedx.sqlite3"),
            "listen": [[LMS_HOST, 8000]],
            "lms_host": f"{LMS_HOST}:8000",
            "plugin_settings": plugin_settings,
            "init_code": init_python(render_init_task(tmp_path / "task", config)),
        },
        idp=idp,
        registration=registration,
    )


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Callable[[Deployment], Deployment]]:
    """The IdP first (the LMS's init job pulls its metadata), then the LMS; both stop when
    the test ends."""
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


def login(
    deployment: Deployment,
    session: requests.Session,
    start: str | None = None,
    idp_params: dict[str, str] | None = None,
) -> tuple[bool, str]:
    """An LMS page -> (LMS redirects) -> the IdP (HTTP-Redirect AuthnRequest) -> the
    auto-submitted form -> the ACS -> the dashboard. ``idp_params``: the response the IdP
    should send this time (saml_idp.server: idp_sign, idp_alg)."""
    url = start or deployment.login_url()
    for _ in range(5):  # the LMS's own redirects (companion-auth, then the SAML login)
        answer = session.get(url, allow_redirects=False, timeout=TIMEOUT)
        if answer.status_code != 302:
            return False, f"{url} answered {answer.status_code}: {answer.text[:300]}"
        url = urljoin(url, answer.headers["Location"])
        if urlsplit(url).netloc != f"{LMS_HOST}:8000":
            break
    query = parse_qs(urlsplit(url).query)
    if "SAMLRequest" not in query or "RelayState" not in query:
        return False, f"not an HTTP-Redirect AuthnRequest: {url}"
    page = session.get(url, params=idp_params, timeout=TIMEOUT)
    action = re.search(r'<form[^>]+action="([^"]+)"', page.text)
    if page.status_code != 200 or action is None:
        return False, f"IdP answered {page.status_code}: {page.text[:500]}"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    acs = unescape(action.group(1))
    done = session.post(acs, data={k: unescape(v) for k, v in fields.items()}, timeout=TIMEOUT)
    if done.status_code == 200 and done.url == f"{LMS_URL}/dashboard":
        return True, done.text
    return False, f"ACS {acs} answered {done.status_code} at {done.url}: {done.text[:300]}"


# An account that exists before any SAML login, with the email the IdP releases for grace.
EXISTING_LEARNER = """
from django.contrib.auth import get_user_model
get_user_model().objects.create_user("grace", "grace@example.edu", "grace-password")
"""


@pytest.mark.parametrize(
    ("keys", "linked"),
    [({}, False), ({"LMSBRIDGE_UNI_LINK_BY_EMAIL": "trusted"}, True)],
    ids=["default-never", "trusted"],
)
def test_an_existing_account_with_the_idp_email_is_linked_only_when_trusted(
    tmp_path: Path,
    servers: Callable[[Deployment], Deployment],
    keys: dict[str, str],
    linked: bool,
) -> None:
    """SAML's default is never (edx-platform core links no SAML login by email): the login
    stops on the guard's page, with neither a link nor a second account with that email."""
    deployment = deploy_saml(tmp_path, (), **keys)
    policy = keys.get("LMSBRIDGE_UNI_LINK_BY_EMAIL", "never")
    assert deployment.openedx["plugin_settings"]["LMSBRIDGE_LINK_BY_EMAIL"] == {"saml-uni": policy}
    deployment.openedx["init_code"] += EXISTING_LEARNER
    servers(deployment)
    session = requests.Session()
    ok, detail = login(deployment, session)
    accounts = deployment.rows(
        "SELECT u.username, u.email, s.uid FROM auth_user u "
        "LEFT JOIN social_auth_usersocialauth s ON s.user_id = u.id ORDER BY u.id"
    )
    if linked:
        assert ok, detail + "\n" + deployment.log_text()[-4000:]
        assert "Logged in as grace <grace@example.edu>" in detail
        assert accounts == [("grace", "grace@example.edu", "uni:grace@example.edu")]
        return
    assert not ok
    assert f"answered 200 at {LMS_URL}/auth/complete/tpa-saml/" in detail, detail
    assert "Sign in with your password first" in detail, detail
    assert accounts == [("grace", "grace@example.edu", None)]
    dashboard = session.get(f"{LMS_URL}/dashboard", allow_redirects=False, timeout=TIMEOUT)
    assert "Logged in" not in dashboard.text


def test_sp_initiated_login_creates_the_account(
    tmp_path: Path, servers: Callable[[Deployment], Deployment]
) -> None:
    deployment = servers(deploy_saml(tmp_path))
    session = requests.Session()
    ok, detail = login(deployment, session)
    assert ok, detail + "\n" + deployment.log_text()[-4000:]
    # The account comes from the default (eduPerson) mapping: eppn, mail, displayName.
    assert "Logged in as grace@example.edu <grace@example.edu> (Grace Hopper)" in detail
    assert deployment.rows(
        "SELECT u.username, u.email, p.name, s.provider, s.uid FROM auth_user u "
        "JOIN auth_userprofile p ON p.user_id = u.id "
        "JOIN social_auth_usersocialauth s ON s.user_id = u.id"
    ) == [
        (
            "grace@example.edu",
            "grace@example.edu",
            "Grace Hopper",
            "tpa-saml",
            "uni:grace@example.edu",
        )
    ]
    logs = deployment.log_text()
    assert "lmsbridge: SAML configuration default: created" in logs
    assert "lmsbridge: SAML provider saml-uni: created" in logs
    assert "lmsbridge: SAML metadata: 1 fetched, 1 new, 0 failed" in logs
    registration = deployment.registration
    assert re.search(
        rf"AuthnRequest \S+ from {re.escape(registration['sp_entity_id'])} for ACS "
        rf"{re.escape(registration['assertion_consumer_service_url'])}",
        logs,
    ), logs[-3000:]
    # The SP metadata the IdP trusted is the LMS's own, with the certificate `credentials`
    # prints, and the private key nowhere but the settings.
    metadata = requests.get(registration["sp_metadata_url"], timeout=TIMEOUT)
    assert metadata.status_code == 200
    assert f'entityID="{registration["sp_entity_id"]}"' in metadata.text
    certificate = "".join(registration["sp_certificate"].splitlines()[1:-1])
    assert certificate in metadata.text.replace("\n", "")
    private = deployment.openedx["plugin_settings"]["SOCIAL_AUTH_SAML_SP_PRIVATE_KEY"]
    assert private[40:100] not in deployment.openedx["init_code"]
    assert private[40:100] not in json.dumps(
        deployment.openedx["plugin_settings"]["LMSBRIDGE_INIT_PLAN"]
    )
    assert private[40:100] not in logs
    # A second login is the same account (uid "uni:grace@example.edu"), not a new one.
    ok, detail = login(deployment, requests.Session())
    assert ok, detail
    assert deployment.rows("SELECT count(*) FROM auth_user") == [(1,)]


def test_sso_only_sends_anonymous_learners_to_the_idp(
    tmp_path: Path, servers: Callable[[Deployment], Deployment]
) -> None:
    """LMSBRIDGE_LOGIN_REDIRECT=<app>: an anonymous page goes to the IdP and back; the local
    login and the admin stay reachable."""
    deployment = servers(deploy_saml(tmp_path, LMSBRIDGE_LOGIN_REDIRECT=APP))
    session = requests.Session()
    ok, detail = login(deployment, session, start=f"{LMS_URL}/dashboard")
    assert ok, detail + "\n" + deployment.log_text()[-4000:]
    assert "Logged in as grace@example.edu" in detail
    anonymous = requests.Session()
    for path in ("/login", "/admin/login/"):
        assert anonymous.get(f"{LMS_URL}{path}", timeout=TIMEOUT).status_code == 200, path


# Each breakage: the LMSBRIDGE_* keys the operator got wrong, the IdP's faults, and what the
# IdP's admin registered wrongly (replacements in Open edX's SP metadata).
BREAKAGES: dict[str, tuple[dict[str, Any], tuple[str, ...], list[list[str]], str]] = {
    # Another IdP's entity id: Open edX's pull stores the metadata under it (edx does not
    # compare a lone EntityDescriptor's entityID); the assertion's issuer is not it.
    "idp-entity-id": (
        {"LMSBRIDGE_UNI_ENTITY_ID": "https://idp.example.edu/idp/shibboleth"},
        (),
        [],
        "Invalid issuer in the Assertion/Response",
    ),
    # The published certificate is not the one that signs.
    "idp-certificate": (
        {},
        ("sign-with-other-key",),
        [],
        "Signature validation failed. SAML Response rejected",
    ),
    "metadata-expired": (
        {},
        ("metadata-expired",),
        [],
        "Authentication with University login is currently unavailable.",
    ),
    "metadata-unreachable": (
        {},
        ("metadata-503",),
        [],
        "SAML metadata failed: HTTPError: 503 Server Error",
    ),
    # The IdP's admin registered another ACS URL than the one `credentials` gives.
    "acs-url": (
        {},
        (),
        [["/auth/complete/tpa-saml/", "/auth/complete/saml/"]],
        "is not registered for SP",
    ),
}


@pytest.mark.parametrize("name", list(BREAKAGES))
def test_login_fails_for_the_right_reason(
    name: str, tmp_path: Path, servers: Callable[[Deployment], Deployment]
) -> None:
    keys, faults, registered_wrongly, evidence = BREAKAGES[name]
    deployment = deploy_saml(tmp_path, faults, **keys)
    deployment.idp["sp_metadata_replace"] = registered_wrongly
    servers(deployment)
    session = requests.Session()
    ok, detail = login(deployment, session)
    assert not ok
    text = detail + "\n" + deployment.log_text()
    assert evidence in text, text[-4000:]
    # And nobody is logged in, nor has an account.
    dashboard = session.get(f"{LMS_URL}/dashboard", allow_redirects=False, timeout=TIMEOUT)
    assert dashboard.status_code == 302
    assert deployment.rows("SELECT count(*) FROM auth_user") == [(0,)]
