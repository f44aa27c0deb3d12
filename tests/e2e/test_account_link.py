"""Account takeover by email, tried on loopback against the account-linking guard (issue #19).

A certified OpenID Provider (node oidc-provider) per link policy, each with provider accounts
whose email claim is an existing Open edX account's, verified or not; the Open edX stand-in runs
edx-platform's pipeline (tests/edx_standin/third_party_auth: associate_by_email_if_oauth links by
email) with the plugin's Open edX app, which inserts the guard at start-up, and the link
policies the real Tutor rendered. Before any login the database holds a staff superuser and a
learner. Every refusal must end on the guard's page (200), never in the victim's session.

Listeners: Open edX on 127.0.0.2:8000; the providers on 127.0.0.5-127.0.0.10 (public and
internal address each). One deployment for the module.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

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
from .oidc_process import oidc_provider
from .process import django_server
from .test_oidc_sso import LMS_HOST, LMS_URL, TIMEOUT, Idp, plugin_config

pytestmark = pytest.mark.e2e

ADMIN_EMAIL = "admin@example.edu"
LEARNER_EMAIL = "lin@example.edu"
TWIN_EMAIL = "twin@example.edu"
REFUSAL = "Sign in with your password first"
# Each provider's accounts: login -> claims (sub is the provider's immutable id).
ACCOUNTS = {
    "admin-unverified": (ADMIN_EMAIL, False),
    "admin-verified": (ADMIN_EMAIL, True),
    "lin-unverified": (LEARNER_EMAIL, False),
    "lin-verified": (LEARNER_EMAIL, True),
    "lin-again-verified": (LEARNER_EMAIL, True),  # another identity with the learner's email
    "twin-verified": (TWIN_EMAIL, True),  # the email of two existing accounts
}
# Existing accounts, made before any login (the init job's database, then these).
EXISTING_USERS = f"""
from django.contrib.auth import get_user_model
User = get_user_model()
User.objects.create_superuser("admin", {ADMIN_EMAIL!r}, "admin-password")
User.objects.create_user("lin", {LEARNER_EMAIL!r}, "lin-password")
User.objects.create_user("twin1", {TWIN_EMAIL!r}, "twin-password")
User.objects.create_user("twin2", {TWIN_EMAIL!r}, "twin-password")
"""


def provider(app: str, public: str, internal: str) -> Idp:
    idp = Idp(
        app=app,
        public_host=public,
        internal_host=internal,
        login="",
        account={},
        client_id=f"openedx-at-{app}",
        client_secret=f"secret-from-{app}",
    )
    return idp


def claims(app: str, login: str) -> dict[str, Any]:
    if login.startswith("new-"):
        email, verified = f"{login}@{app}.example.org", True
    else:
        email, verified = ACCOUNTS[login]
    return {
        "sub": f"{app}-{login}",
        "preferred_username": f"{app}_{login}".replace("-", "_"),
        "name": login,
        "email": email,
        "email_verified": verified,
    }


class Deployment:
    def __init__(self, workdir: Path, idps: dict[str, Idp]) -> None:
        self.workdir = workdir
        self.idps = idps
        self.logs: dict[str, Path] = {}

    @property
    def database(self) -> str:
        return str(self.workdir / "openedx.sqlite3")

    def rows(self, query: str, *parameters: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.database) as db:
            return db.execute(query, parameters).fetchall()

    def log_text(self) -> str:
        return "\n".join(path.read_text()[-3000:] for path in self.logs.values())


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """Three oidc apps, one per policy: ``verifiedsso`` (the oidc default), ``neversso`` and
    ``trustedsso`` (set by the operator), rendered by the real Tutor."""
    workdir = tmp_path_factory.mktemp("account-link")
    idps = {
        "verified": provider("verifiedsso", "127.0.0.5", "127.0.0.6"),
        "never": provider("neversso", "127.0.0.7", "127.0.0.8"),
        "trusted": provider("trustedsso", "127.0.0.9", "127.0.0.10"),
    }
    config = plugin_config(
        list(idps.values()),
        {
            "LMSBRIDGE_LOGIN_REDIRECT": False,
            "LMSBRIDGE_NEVERSSO_LINK_BY_EMAIL": "never",
            "LMSBRIDGE_TRUSTEDSSO_LINK_BY_EMAIL": "trusted",
        },
    )
    root = workdir / "tutor"
    enable_lmsbridge(root)
    run_tutor(root, "config", "save", *set_args(config))
    rendered = load_lms_settings(root / "env", "development", workdir)
    plugin_settings = {key: rendered[key] for key in PLUGIN_SETTINGS}
    assert plugin_settings["LMSBRIDGE_LINK_BY_EMAIL"] == {
        "oa2-verifiedsso": "verified",
        "oa2-neversso": "never",
        "oa2-trustedsso": "trusted",
    }
    plugin_settings["AUTHENTICATION_BACKENDS"] = [
        backend
        for backend in rendered["AUTHENTICATION_BACKENDS"]
        if backend.startswith("lmsbridge_openedx.")
    ] + ["django.contrib.auth.backends.ModelBackend"]
    openedx = {
        "database": str(workdir / "openedx.sqlite3"),
        "listen": [[LMS_HOST, 8000]],
        "lms_host": f"{LMS_HOST}:8000",
        "plugin_settings": plugin_settings,
        "init_code": init_python(render_init_task(workdir / "task", config)) + EXISTING_USERS,
    }
    deployed = Deployment(workdir, idps)
    with ExitStack() as stack:
        for idp in idps.values():
            logins = [*ACCOUNTS, f"new-{idp.app}"]
            provider_config = {
                "issuer": idp.issuer,
                "listen": [[idp.public_host, idp.port], [idp.internal_host, idp.internal_port]],
                "clients": [
                    {
                        "client_id": idp.client_id,
                        "client_secret": idp.client_secret,
                        "redirect_uris": [idp.redirect_uri],
                    }
                ],
                "accounts": {login: claims(idp.app, login) for login in logins},
                "server_endpoints_internal_only": True,
            }
            deployed.logs[idp.app] = Path(
                stack.enter_context(oidc_provider(provider_config, workdir))
            )
        deployed.logs["openedx"] = Path(
            stack.enter_context(django_server("tests.e2e.openedx_settings", openedx, workdir))
        )
        yield deployed


class Login:
    """Where one browser login ended, and whom the LMS then takes the browser for."""

    def __init__(self, deployment: Deployment, policy: str, login: str) -> None:
        import re

        idp = deployment.idps[policy]
        session = requests.Session()
        page = session.get(f"{LMS_URL}/auth/login/{idp.app}/?auth_entry=login", timeout=TIMEOUT)
        form = re.search(r'<form method="post" action="([^"]+)">', page.text)
        assert form is not None, f"{page.status_code} {page.url}: {page.text[:500]}"
        done = session.post(
            f"http://{idp.public_host}:{idp.port}{form.group(1)}",
            data={"login": login},
            timeout=TIMEOUT,
        )
        self.status = done.status_code
        self.history = [r.status_code for r in done.history]
        self.url = done.url
        self.text = done.text
        dashboard = session.get(f"{LMS_URL}/dashboard", allow_redirects=False, timeout=TIMEOUT)
        self.session_user = ""
        if dashboard.status_code == 200 and dashboard.text.startswith("Dashboard. Logged in as "):
            self.session_user = dashboard.text.split(" ")[4]
        self.detail = f"{self.status} at {self.url}: {self.text[:600]}\n{deployment.log_text()}"

    @property
    def refused(self) -> bool:
        """The guard's page, answered 200 (every redirect on the way a 30x), and no session."""
        return (
            self.status == 200
            and self.url.startswith(f"{LMS_URL}/auth/complete/")
            and REFUSAL in self.text
            and all(300 <= code < 400 for code in self.history)
            and self.session_user == ""
        )


def links(deployment: Deployment, username: str) -> list[tuple[str, str]]:
    return deployment.rows(
        "SELECT s.provider, s.uid FROM social_auth_usersocialauth s JOIN auth_user u "
        "ON u.id = s.user_id WHERE u.username = ? ORDER BY s.provider, s.uid",
        username,
    )


@pytest.mark.parametrize("policy", ["verified", "never", "trusted"])
@pytest.mark.parametrize("login", ["admin-unverified", "admin-verified"])
def test_a_provider_account_with_the_staff_email_never_logs_in_as_staff(
    deployment: Deployment, policy: str, login: str
) -> None:
    outcome = Login(deployment, policy, login)
    assert outcome.refused, outcome.detail
    assert outcome.session_user != "admin"
    assert links(deployment, "admin") == []
    # No account was made with the staff email either.
    same_email = deployment.rows("SELECT username FROM auth_user WHERE email = ?", ADMIN_EMAIL)
    assert same_email == [("admin",)]


@pytest.mark.parametrize("policy", ["verified", "never"])
def test_an_unverified_learner_email_is_not_linked(deployment: Deployment, policy: str) -> None:
    outcome = Login(deployment, policy, "lin-unverified")
    assert outcome.refused, outcome.detail
    app = deployment.idps[policy].app
    assert (app, f"{app}-lin-unverified") not in links(deployment, "lin")


def test_a_verified_learner_email_is_linked_under_verified_refused_under_never(
    deployment: Deployment,
) -> None:
    refused = Login(deployment, "never", "lin-verified")
    assert refused.refused, refused.detail
    assert ("neversso", "neversso-lin-verified") not in links(deployment, "lin")

    linked = Login(deployment, "verified", "lin-verified")
    assert linked.session_user == "lin", linked.detail
    assert ("verifiedsso", "verifiedsso-lin-verified") in links(deployment, "lin")
    # Keyed on the provider's id from now on: the next login finds the link, not the email.
    again = Login(deployment, "verified", "lin-verified")
    assert again.session_user == "lin", again.detail
    # Another identity at the same provider, with the same verified email: not a second link.
    other = Login(deployment, "verified", "lin-again-verified")
    assert other.refused, other.detail
    assert links(deployment, "lin") == [("verifiedsso", "verifiedsso-lin-verified")]


@pytest.mark.parametrize("policy", ["verified", "trusted"])
def test_an_email_of_several_accounts_is_linked_to_none(
    deployment: Deployment, policy: str
) -> None:
    outcome = Login(deployment, policy, "twin-verified")
    assert outcome.refused, outcome.detail
    assert links(deployment, "twin1") == links(deployment, "twin2") == []


@pytest.mark.parametrize("policy", ["verified", "never", "trusted"])
def test_a_new_email_gets_a_new_account(deployment: Deployment, policy: str) -> None:
    app = deployment.idps[policy].app
    outcome = Login(deployment, policy, f"new-{app}")
    username = f"{app}_new_{app}"
    assert outcome.session_user == username, outcome.detail
    assert links(deployment, username) == [(app, f"{app}-new-{app}")]


def test_each_refusal_is_logged_with_its_reason(deployment: Deployment) -> None:
    Login(deployment, "trusted", "admin-verified")
    log = deployment.logs["openedx"].read_text()
    assert (
        "lmsbridge: login through oa2-trustedsso not linked by email (policy trusted): staff or "
        "superuser" in log
    ), log[-3000:]
    assert "Traceback" not in log, log[-3000:]
