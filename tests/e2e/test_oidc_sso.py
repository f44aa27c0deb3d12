"""OpenID Connect single sign-on round trips on loopback: the in-image backends
(lmsbridge_openedx.oidc) in the Open edX stand-in against a certified OpenID Provider (node
oidc-provider).

Listeners: the Open edX stand-in on 127.0.0.2:8000; the first provider's issuer on 127.0.0.5
and its internal address (what the LMS container reaches) on 127.0.0.6; a second provider on
127.0.0.7 / 127.0.0.8. The providers answer token, userinfo and JWKS on their internal address
only, so a login succeeds only if the backend sends those calls there.

Everything Open edX knows comes from the plugin (deploy_oidc): the oidc preset's settings as
the real Tutor renders them, the database objects from the rendered init job, and each
provider's client registration from `tutor lmsbridge credentials`.
"""

import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
from .process import django_server, free_port

pytestmark = pytest.mark.e2e

LMS_HOST = "127.0.0.2"
LMS_URL = f"http://{LMS_HOST}:8000"
TIMEOUT = 20


@dataclass
class Idp:
    """One OpenID Provider and the app that connects it to Open edX."""

    app: str  # the app name, also its backend name here
    public_host: str
    internal_host: str
    login: str  # the account that logs in there
    account: dict[str, Any]
    client_id: str
    client_secret: str
    path: str = "/realms/lms"
    port: int = 0
    internal_port: int = 0

    def __post_init__(self) -> None:
        self.port = free_port(self.public_host)
        self.internal_port = free_port(self.internal_host)

    @property
    def issuer(self) -> str:
        return f"http://{self.public_host}:{self.port}{self.path}"

    @property
    def internal(self) -> str:
        return f"http://{self.internal_host}:{self.internal_port}{self.path}"

    @property
    def redirect_uri(self) -> str:
        return f"{LMS_URL}/auth/complete/{self.app}/"


def staff_idp() -> Idp:
    """The first provider (fresh ports per test)."""
    return Idp(
        app="staffsso",
        public_host="127.0.0.5",
        internal_host="127.0.0.6",
        login="ada",
        account={
            "sub": "staff-0001",
            "preferred_username": "ada",
            "name": "Ada Lovelace",
            "email": "ada@staff.example.com",
            "email_verified": True,
        },
        client_id="openedx-at-staffsso",
        client_secret="secret-from-staffsso",
    )


def learners_idp() -> Idp:
    """A second provider, at the same time."""
    return Idp(
        app="learners",
        public_host="127.0.0.7",
        internal_host="127.0.0.8",
        login="grace",
        account={
            "sub": "learner-0042",
            "preferred_username": "grace",
            "name": "Grace Hopper",
            "email": "grace@learners.example.org",
            "email_verified": True,
        },
        client_id="openedx-at-learners",
        client_secret="secret-from-learners",
        path="",  # an issuer without a path, as most hosted providers have
    )


@dataclass
class Deployment:
    """The Open edX stand-in's configuration and each provider's, built from the same values."""

    openedx: dict[str, Any]
    providers: dict[str, dict[str, Any]]  # app -> server.js config
    logs: dict[str, Path] = field(default_factory=dict)  # "openedx" or app -> log

    def log_text(self) -> str:
        return "\n".join(path.read_text() for path in self.logs.values())


def plugin_config(idps: list[Idp], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """What an operator sets: the oidc preset, the issuer, where the LMS reaches it, the
    client; the first provider gets the anonymous learners."""
    config: dict[str, Any] = {
        "LMS_HOST": LMS_HOST,
        "LMSBRIDGE_APPS": [idp.app for idp in idps],
        "LMSBRIDGE_LOGIN_REDIRECT": idps[0].app,
    }
    for idp in idps:
        prefix = f"LMSBRIDGE_{idp.app.upper()}_"
        config[prefix + "PRESET"] = "oidc"
        config[prefix + "URL"] = idp.issuer
        config[prefix + "INTERNAL_URL"] = idp.internal
        config[prefix + "CLIENT_ID"] = idp.client_id
        config[prefix + "CLIENT_SECRET"] = idp.client_secret
    return {**config, **(extra or {})}


def deploy_oidc(tmp_path: Path, idps: list[Idp], extra: dict[str, Any] | None = None) -> Deployment:
    """Open edX with one oidc app per identity provider, as the plugin renders it: settings
    from the real Tutor's development.py, objects from the rendered init job, and each
    provider's client registered with the redirect URI `tutor lmsbridge credentials` prints."""
    config = plugin_config(idps, extra)
    root = tmp_path / "tutor"
    enable_lmsbridge(root)
    run_tutor(root, "config", "save", *set_args(config))
    registered = {
        idp.app: json.loads(
            run_tutor(root, "lmsbridge", "credentials", idp.app, "--dev", "--format", "json").stdout
        )
        for idp in idps
    }
    rendered = load_lms_settings(root / "env", "development", tmp_path)
    plugin_settings = {key: rendered[key] for key in PLUGIN_SETTINGS}
    # edx-platform's own backends are not installed here: Django's stands in for them.
    plugin_settings["AUTHENTICATION_BACKENDS"] = [
        backend
        for backend in rendered["AUTHENTICATION_BACKENDS"]
        if backend.startswith("lmsbridge_openedx.")
    ] + ["django.contrib.auth.backends.ModelBackend"]
    return Deployment(
        openedx={
            "database": str(tmp_path / "openedx.sqlite3"),
            "listen": [[LMS_HOST, 8000]],
            "lms_host": f"{LMS_HOST}:8000",
            "plugin_settings": plugin_settings,
            "init_code": init_python(render_init_task(tmp_path / "task", config)),
        },
        providers={
            idp.app: {
                "issuer": idp.issuer,
                "listen": [[idp.public_host, idp.port], [idp.internal_host, idp.internal_port]],
                "clients": [
                    {
                        "client_id": idp.client_id,
                        "client_secret": idp.client_secret,
                        "redirect_uris": [registered[idp.app]["provider_redirect_uri"]],
                        # Where the provider may send the browser back after its own logout.
                        "post_logout_redirect_uris": [
                            registered[idp.app]["registration"]["logout_url"]
                        ],
                    }
                ],
                "accounts": {idp.login: idp.account},
                "server_endpoints_internal_only": True,
            }
            for idp in idps
        },
    )


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Callable[[Deployment], Deployment]]:
    """Start a deployment's providers, then Open edX; all stop when the test ends."""
    with ExitStack() as stack:

        def start(deployment: Deployment) -> Deployment:
            for app, config in deployment.providers.items():
                deployment.logs[app] = Path(stack.enter_context(oidc_provider(config, tmp_path)))
            deployment.logs["openedx"] = Path(
                stack.enter_context(
                    django_server("tests.e2e.openedx_settings", deployment.openedx, tmp_path)
                )
            )
            return deployment

        yield start


@dataclass
class Outcome:
    ok: bool
    detail: str
    authorize_url: str = ""


def login(session: requests.Session, idp: Idp, start: str) -> Outcome:
    """Browser: an LMS page -> the provider's login form -> sign in -> back, logged in."""
    page = session.get(f"{LMS_URL}{start}", timeout=TIMEOUT)
    authorize = [r.url for r in page.history if urlsplit(r.url).path == f"{idp.path}/auth"]
    form = re.search(r'<form method="post" action="([^"]+)">', page.text)
    if urlsplit(page.url).hostname != idp.public_host or form is None:
        return Outcome(
            False, f"no provider login form: {page.status_code} at {page.url}: {page.text}"
        )
    done = session.post(
        f"http://{idp.public_host}:{idp.port}{form.group(1)}",
        data={"login": idp.login},
        timeout=TIMEOUT,
    )
    welcome = f"Logged in as {idp.account['preferred_username']} <{idp.account['email']}>"
    outcome = (
        done.status_code == 200 and done.url == f"{LMS_URL}/dashboard" and welcome in done.text
    )
    detail = "logged in" if outcome else f"{done.status_code} at {done.url}: {done.text[:2000]}"
    return Outcome(outcome, detail, authorize[0] if authorize else "")


def database_rows(deployment: Deployment, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(deployment.openedx["database"]) as db:
        return db.execute(query).fetchall()


def test_two_openid_providers_log_learners_in(
    tmp_path: Path, servers: Callable[[Deployment], Deployment]
) -> None:
    staff_sso, learners_sso = staff_idp(), learners_idp()
    deployment = servers(deploy_oidc(tmp_path, [staff_sso, learners_sso]))

    # The companion redirect sends an anonymous learner to the first provider.
    staff = login(requests.Session(), staff_sso, "/dashboard")
    assert staff.ok, staff.detail + "\n" + deployment.log_text()[-4000:]
    query = parse_qs(urlsplit(staff.authorize_url).query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [staff_sso.client_id]
    assert query["redirect_uri"] == [staff_sso.redirect_uri]
    assert set(query["scope"][0].split()) == {"openid", "profile", "email"}
    assert query["state"][0]
    assert len(query["nonce"][0]) == 64

    # The second provider, at the same time, through its own backend.
    learner = login(requests.Session(), learners_sso, "/auth/login/learners/?auth_entry=login")
    assert learner.ok, learner.detail + "\n" + deployment.log_text()[-4000:]

    # Accounts made from the claims (username, email, full name), one per provider.
    accounts = database_rows(
        deployment,
        "SELECT u.username, u.email, p.name, s.provider, s.uid FROM auth_user u "
        "JOIN auth_userprofile p ON p.user_id = u.id "
        "JOIN social_auth_usersocialauth s ON s.user_id = u.id ORDER BY u.username",
    )
    assert accounts == [
        ("ada", "ada@staff.example.com", "Ada Lovelace", "staffsso", "staff-0001"),
        ("grace", "grace@learners.example.org", "Grace Hopper", "learners", "learner-0042"),
    ]
    # Two provider rows on the LMS Site, made by the init job: oa2-staffsso and oa2-learners.
    log = deployment.logs["openedx"].read_text()
    assert "lmsbridge: provider oa2-staffsso: created" in log
    assert "lmsbridge: provider oa2-learners: created" in log
    rows = database_rows(
        deployment,
        "SELECT backend_name, site_id, key, secret, enabled "
        "FROM third_party_auth_oauth2providerconfig ORDER BY backend_name",
    )
    assert rows == [
        ("learners", 2, learners_sso.client_id, "", 1),
        ("staffsso", 2, staff_sso.client_id, "", 1),
    ]

    # Each provider was asked by the browser for the authorization only, and by the LMS, on
    # its internal address, for discovery, token, userinfo and JWKS.
    for idp in (staff_sso, learners_sso):
        provider_log = deployment.logs[idp.app].read_text()
        for line in (
            f"internal GET {idp.path}/.well-known/openid-configuration -> 200",
            f"internal POST {idp.path}/token -> 200",
            f"internal GET {idp.path}/me -> 200",
            f"internal GET {idp.path}/jwks -> 200",
        ):
            assert line in provider_log, provider_log
        assert f"public GET {idp.path}/auth?" in provider_log
        for server_side in ("GET /.well-known/", "POST /token", "GET /me", "GET /jwks"):
            method, path = server_side.split()
            assert f"public {method} {idp.path}{path}" not in provider_log, provider_log


def announce_other_issuer(deployment: Deployment) -> None:
    config = deployment.providers["staffsso"]
    config["announce_issuer"] = config["issuer"] + "-old"


def wrong_client_secret(deployment: Deployment) -> None:
    deployment.openedx["plugin_settings"]["SOCIAL_AUTH_OAUTH_SECRETS"]["staffsso"] = "wrong"


def unregistered_redirect_uri(deployment: Deployment) -> None:
    (client,) = deployment.providers["staffsso"]["clients"]
    client["redirect_uris"] = [f"{LMS_URL}/auth/complete/oidc/"]


def jwks_unreachable(deployment: Deployment) -> None:
    deployment.providers["staffsso"]["jwks_unavailable"] = True


@pytest.mark.parametrize(
    ("breakage", "evidence"),
    [
        # The id_token carries the announced issuer; the pinned ID_TOKEN_ISSUER refuses it.
        (announce_other_issuer, ["AuthTokenError: Token error: Invalid issuer"]),
        (
            wrong_client_secret,
            [
                "grant.error invalid_client",
                "401 Client Error: Unauthorized for url: http://127.0.0.6",
            ],
        ),
        (
            unregistered_redirect_uri,
            [
                "authorization.error invalid_redirect_uri",
                "redirect_uri did not match any of the client&#39;s registered redirect_uris",
            ],
        ),
        (jwks_unreachable, ["503 Server Error", "internal GET /realms/lms/jwks -> 503"]),
    ],
    ids=["issuer", "client-secret", "redirect-uri", "jwks"],
)
def test_login_fails_for_the_right_reason(
    breakage: Callable[[Deployment], None],
    evidence: list[str],
    tmp_path: Path,
    servers: Callable[[Deployment], Deployment],
) -> None:
    staff_sso = staff_idp()
    deployment = deploy_oidc(tmp_path, [staff_sso])
    breakage(deployment)
    servers(deployment)
    outcome = login(requests.Session(), staff_sso, "/dashboard")
    assert not outcome.ok
    found = outcome.detail + deployment.log_text()
    for text in evidence:
        assert text in found, outcome.detail + "\n" + deployment.log_text()[-4000:]
    assert database_rows(deployment, "SELECT username FROM auth_user") == []
    # The failure is the breakage's, not a setup error: the LMS reached the provider.
    assert "public GET /realms/lms/auth?" in deployment.logs["staffsso"].read_text()


def provider_session_alive(session: requests.Session, idp: Idp) -> bool:
    """A new login through the provider: straight back to the LMS while the learner's
    session at the provider lives, its login form once that session ended."""
    page = session.get(f"{LMS_URL}/auth/login/{idp.app}/?auth_entry=login", timeout=TIMEOUT)
    if page.url == f"{LMS_URL}/dashboard":
        return True
    assert urlsplit(page.url).hostname == idp.public_host, (page.url, page.text[:500])
    assert '<form method="post" action="' in page.text
    return False


def logged_out(session: requests.Session) -> bool:
    """Open edX sends the browser elsewhere (a login) instead of showing the dashboard."""
    page = session.get(f"{LMS_URL}/dashboard", timeout=TIMEOUT, allow_redirects=False)
    return page.status_code == 302


@pytest.mark.parametrize("mode", ["local", "provider"])
def test_logout_at_the_provider(
    mode: str, tmp_path: Path, servers: Callable[[Deployment], Deployment]
) -> None:
    """LOGOUT=provider: logging out of Open edX sends the learner to the provider's
    end_session_endpoint (read from discovery by the init job), whose session ends, and back
    to Open edX's /logout. LOGOUT=local: the provider's session outlives Open edX's."""
    staff_sso = staff_idp()
    deployment = servers(deploy_oidc(tmp_path, [staff_sso], {"LMSBRIDGE_STAFFSSO_LOGOUT": mode}))
    browser = requests.Session()
    logged_in = login(browser, staff_sso, "/auth/login/staffsso/?auth_entry=login")
    assert logged_in.ok, logged_in.detail + "\n" + deployment.log_text()[-4000:]
    assert provider_session_alive(browser, staff_sso)

    (other_settings,) = database_rows(
        deployment,
        "SELECT other_settings FROM third_party_auth_oauth2providerconfig "
        "WHERE backend_name = 'staffsso' ORDER BY id DESC LIMIT 1",
    )[0:1]
    logout_url = json.loads(other_settings[0]).get("logout_url")
    page = browser.get(f"{LMS_URL}/logout", timeout=TIMEOUT)
    if mode == "local":
        assert logout_url is None
        assert page.url == f"{LMS_URL}/logout"
        assert "logout_uris" in page.json()
        # Open edX's session ended; the provider's did not: the next login needs no password.
        assert logged_out(browser)
        assert provider_session_alive(browser, staff_sso)
        return

    assert logout_url == (
        f"{staff_sso.issuer}/session/end?client_id={staff_sso.client_id}"
        "&post_logout_redirect_uri=http%3A%2F%2F127.0.0.2%3A8000%2Flogout"
    )
    # Open edX sent the browser to the provider's end-session page, which asks the learner
    # to confirm (oidc-provider's logout form); confirming ends the provider's session.
    assert page.url.startswith(f"{staff_sso.issuer}/session/end?"), page.url
    action = re.search(r'<form id="op.logoutForm" method="post" action="([^"]+)">', page.text)
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', page.text)
    assert action is not None, page.text[:2000]
    assert xsrf is not None, page.text[:2000]
    done = browser.post(
        action.group(1), data={"xsrf": xsrf.group(1), "logout": "yes"}, timeout=TIMEOUT
    )
    # Back at Open edX's /logout, which now logs out of the other services.
    assert done.url == f"{LMS_URL}/logout", (done.url, done.text[:500])
    assert "logout_uris" in done.json()
    assert logged_out(browser)
    assert not provider_session_alive(browser, staff_sso)
