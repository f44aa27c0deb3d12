"""Single sign-on round trips on loopback, with the values the plugin produced.

Three listeners: the Open edX stand-in on 127.0.0.2:8000 (`tutor dev`'s LMS URL), and the
identity provider's browser side on 127.0.0.3 and server side on 127.0.0.4. Everything Open
edX knows comes from the plugin: settings rendered by the real Tutor and executed like
edx-platform loads them, database objects created by the rendered init script, and the
client registration on the provider's side taken from `tutor lmsbridge credentials`.
"""

import json
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from importlib import import_module
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
from .process import django_server, free_port

pytestmark = pytest.mark.e2e

LMS_HOST, BROWSER_HOST, INTERNAL_HOST = "127.0.0.2", "127.0.0.3", "127.0.0.4"
LMS_URL = f"http://{LMS_HOST}:8000"
LEARNER = {
    "username": "learner",
    "email": "learner@example.com",
    "password": "pw-learner",
    "name": "Ada",
}
CLIENT_FOR_OPENEDX = {
    "client_id": "openedx-at-mitxonline",
    "client_secret": "secret-from-mitxonline",
}
TIMEOUT = 20


@dataclass
class Deployment:
    """What the plugin produced, and the two servers' configurations built from it."""

    app_url: str
    credentials: dict[str, Any]
    openedx: dict[str, Any]
    idp: dict[str, Any]
    logs: list[Path] = field(default_factory=list)


def importable(dotted: str) -> bool:
    module, _, name = dotted.rpartition(".")
    try:
        return hasattr(import_module(module), name)
    except ImportError:
        return False


def deploy(tmp_path: Path, backend: str, generated: bool = False) -> Deployment:
    """``generated``: the login client is the one Open edX generates (nothing copied back);
    else the one the app created, pasted into Open edX (the two-way handshake)."""
    browser_port, internal_port = free_port(BROWSER_HOST), free_port(INTERNAL_HOST)
    app_url = f"http://{BROWSER_HOST}:{browser_port}"
    config = {
        "LMS_HOST": LMS_HOST,
        "LMSBRIDGE_APPS": ["mitxonline"],
        "LMSBRIDGE_MITXONLINE_URL": app_url,
        "LMSBRIDGE_MITXONLINE_INTERNAL_URL": f"http://{INTERNAL_HOST}:{internal_port}",
        "LMSBRIDGE_MITXONLINE_BACKEND": backend,
    }
    if not generated:
        config["LMSBRIDGE_MITXONLINE_CLIENT_ID"] = CLIENT_FOR_OPENEDX["client_id"]
        config["LMSBRIDGE_MITXONLINE_CLIENT_SECRET"] = CLIENT_FOR_OPENEDX["client_secret"]
    root = tmp_path / "tutor"
    enable_lmsbridge(root)
    run_tutor(root, "config", "save", *set_args(config))
    credentials = json.loads(
        run_tutor(
            root, "lmsbridge", "credentials", "mitxonline", "--dev", "--format", "json"
        ).stdout
    )
    rendered = load_lms_settings(root / "env", "development", tmp_path)
    plugin_settings = {key: rendered[key] for key in PLUGIN_SETTINGS}
    # edx-platform's own backends are not installed here: Django's stands in for them.
    plugin_settings["AUTHENTICATION_BACKENDS"] = [
        b for b in rendered["AUTHENTICATION_BACKENDS"] if importable(b)
    ] + ["django.contrib.auth.backends.ModelBackend"]
    init_code = init_python(render_init_task(tmp_path / "task", {**config}))
    if generated:
        registration: dict[str, Any] = {"mitxonline_env": credentials["settings"]}
    else:
        registration = {
            "client_for_openedx": {
                **CLIENT_FOR_OPENEDX,
                "redirect_uri": credentials["provider_redirect_uri"],
            }
        }
    return Deployment(
        app_url=app_url,
        credentials=credentials,
        openedx={
            "database": str(tmp_path / "openedx.sqlite3"),
            "listen": [[LMS_HOST, 8000]],
            "lms_host": f"{LMS_HOST}:8000",
            "plugin_settings": plugin_settings,
            "init_code": init_code,
        },
        idp={
            "database": str(tmp_path / "idp.sqlite3"),
            "listen": [[BROWSER_HOST, browser_port], [INTERNAL_HOST, internal_port]],
            "browser_host": BROWSER_HOST,
            "learner": LEARNER,
            **registration,
        },
    )


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Callable[[Deployment], Deployment]]:
    """Start both servers for a deployment; they stop when the test ends."""
    with ExitStack() as stack:

        def start(deployment: Deployment) -> Deployment:
            idp_log = stack.enter_context(
                django_server("tests.e2e.idp_settings", deployment.idp, tmp_path)
            )
            lms_log = stack.enter_context(
                django_server("tests.e2e.openedx_settings", deployment.openedx, tmp_path)
            )
            deployment.logs = [Path(idp_log), Path(lms_log)]
            return deployment

        yield start


def login_round_trip(session: requests.Session) -> tuple[bool, str]:
    """A: anonymous page -> companion redirect -> provider login -> back, logged in."""
    page = session.get(f"{LMS_URL}/dashboard", timeout=TIMEOUT)
    if urlsplit(page.url).hostname != BROWSER_HOST or "csrfmiddlewaretoken" not in page.text:
        return False, f"no provider login form: {page.status_code} at {page.url}: {page.text}"
    token = re.search(r"name='csrfmiddlewaretoken' value='([^']+)'", page.text)
    next_url = re.search(r"name='next' value='([^']+)'", page.text)
    assert token is not None
    assert next_url is not None
    done = session.post(
        page.url,
        data={
            "csrfmiddlewaretoken": token.group(1),
            "next": next_url.group(1).replace("&amp;", "&"),
            "username": LEARNER["username"],
            "password": LEARNER["password"],
        },
        timeout=TIMEOUT,
    )
    welcome = f"Logged in as {LEARNER['username']} <{LEARNER['email']}>"
    if done.status_code == 200 and done.url == f"{LMS_URL}/dashboard" and welcome in done.text:
        return True, "logged in"
    return False, f"{done.status_code} at {done.url}: {done.text}"


@pytest.mark.parametrize("backend", ["ol-oauth2", "mitxpro-oauth2"])
def test_single_sign_on_both_directions(
    backend: str, tmp_path: Path, servers: Callable[[Deployment], Deployment]
) -> None:
    deployment = servers(deploy(tmp_path, backend))
    browser = requests.Session()

    # A: Open edX logs the learner in through the provider; the account is created.
    ok, detail = login_round_trip(browser)
    assert ok, detail + "\n" + deployment.logs[1].read_text()[-3000:]

    # The admin and the local (break-glass) login stay reachable without the provider.
    anonymous = requests.Session()
    for path in ("/admin/login/", "/login"):
        page = anonymous.get(f"{LMS_URL}{path}", timeout=TIMEOUT)
        assert page.status_code == 200
        assert urlsplit(page.url).hostname == LMS_HOST, path

    # B: the app obtains a token from Open edX's OAuth2 application for this learner...
    settings = deployment.credentials["settings"]
    redirect_uri = f"{deployment.app_url}/login/_private/complete"
    authorize = browser.get(
        f"{LMS_URL}/oauth2/authorize/",
        params={
            "client_id": settings["OPENEDX_API_CLIENT_ID"],
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "scope": "read",
        },
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert authorize.status_code == 302, authorize.text[:500]
    location = authorize.headers["Location"]
    assert location.startswith(redirect_uri + "?")
    code = parse_qs(urlsplit(location).query)["code"][0]
    token = requests.post(
        f"{LMS_URL}/oauth2/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": settings["OPENEDX_API_CLIENT_ID"],
            "client_secret": settings["OPENEDX_API_CLIENT_SECRET"],
        },
        timeout=TIMEOUT,
    )
    assert token.status_code == 200, token.text
    me = requests.get(
        f"{LMS_URL}/api/user/v1/me",
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        timeout=TIMEOUT,
    )
    assert me.json() == {"username": LEARNER["username"], "is_staff": False}
    # ...and the service token of the same export calls the API as the staff service user.
    service = requests.get(
        f"{LMS_URL}/api/user/v1/me",
        headers={"Authorization": f"Bearer {settings['OPENEDX_SERVICE_WORKER_API_TOKEN']}"},
        timeout=TIMEOUT,
    )
    assert service.json() == {"username": "mitxonline_serviceworker", "is_staff": True}

    # Logout: Open edX logs out of the app too.
    logout = requests.get(f"{LMS_URL}/logout", timeout=TIMEOUT).json()
    assert f"{deployment.app_url}/logout" in logout["logout_uris"]
    assert settings["LOGOUT_REDIRECT_URL"] == f"{LMS_URL}/logout"


FAKE_DOCKER = """#!{python}
# `docker` on the MITxOnline host: the compose network's gateway, and `compose run web
# ./manage.py configure_instance ...` run against the identity provider stand-in.
import os, sys
args = sys.argv[1:]
if args[:2] == ["network", "inspect"]:
    print("172.18.0.1")
elif args[:6] == ["compose", "run", "--rm", "web", "./manage.py", "configure_instance"]:
    command = [sys.executable, "-m", "tests.e2e.idp_configure_instance", {config!r}]
    os.execv(sys.executable, command + args[6:])
else:
    sys.exit("unexpected docker call: " + " ".join(args))
"""


def test_generated_login_client_one_paste_no_copy_back(
    tmp_path: Path, servers: Callable[[Deployment], Deployment]
) -> None:
    """MITxOnline registers exactly the client `credentials` printed, by running the printed
    configure_instance line as is; Open edX's configuration never receives a value back."""
    import subprocess
    import sys

    from .process import ROOT, python_path

    deployment = servers(deploy(tmp_path, "ol-oauth2", generated=True))
    root = tmp_path / "tutor"
    config_yml = (root / "config.yml").read_text()
    assert "CLIENT_ID" not in config_yml
    assert "CLIENT_SECRET" not in config_yml

    # Before MITxOnline registered it, the login fails, and the probe says why.
    ok, detail = login_round_trip(requests.Session())
    assert not ok
    assert "Invalid client_id parameter value" in detail  # MITxOnline does not know it yet
    probe = run_tutor(root, "lmsbridge", "check", "--probe", check=False)
    assert probe.returncode == 1
    assert "does not know the login client openedx-" in probe.stdout

    # The operator runs the printed line in MITxOnline's checkout.
    printed = run_tutor(root, "lmsbridge", "credentials", "mitxonline", "--dev").stdout
    (line,) = [line for line in printed.splitlines() if "configure_instance" in line]
    bin_dir = tmp_path / "mitxonline-host"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    config_path = tmp_path / "idp_settings.json"  # the stand-in's config (process.py)
    docker.write_text(FAKE_DOCKER.format(python=sys.executable, config=str(config_path)))
    docker.chmod(0o755)
    env = python_path()
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    done = subprocess.run(
        ["sh", "-c", line.lstrip("# ")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    client_id = deployment.credentials["login_client"]["client_id"]
    assert client_id in done.stdout

    probe = run_tutor(root, "lmsbridge", "check", "--probe")
    assert f"knows the login client {client_id}" in probe.stdout
    ok, detail = login_round_trip(requests.Session())
    assert ok, detail + "\n" + deployment.logs[1].read_text()[-3000:]


def swap_hosts(deployment: Deployment) -> None:
    """The browser URL and the internal URL mixed up in the provider's other_settings."""
    (provider,) = deployment.openedx["plugin_settings"]["LMSBRIDGE_INIT_PLAN"]["providers"]
    other = provider["other_settings"]
    browser, internal = other["AUTHORIZATION_URL"], other["ACCESS_TOKEN_URL"]
    other["AUTHORIZATION_URL"] = internal.replace("/oauth2/token/", "/oauth2/authorize/")
    other["ACCESS_TOKEN_URL"] = browser.replace("/oauth2/authorize/", "/oauth2/token/")
    other["API_ROOT"] = browser.rsplit("/oauth2/", 1)[0] + "/"


def break_redirect_uri(deployment: Deployment) -> None:
    client = deployment.idp["client_for_openedx"]
    client["redirect_uri"] = client["redirect_uri"].replace("/auth/complete/", "/complete/")


def break_secret(deployment: Deployment) -> None:
    deployment.openedx["plugin_settings"]["SOCIAL_AUTH_OAUTH_SECRETS"]["ol-oauth2"] = "wrong-secret"


def break_backend_name(deployment: Deployment) -> None:
    (provider,) = deployment.openedx["plugin_settings"]["LMSBRIDGE_INIT_PLAN"]["providers"]
    provider["backend_name"] = "mitxpro-oauth2"


def break_companion_login_url(deployment: Deployment) -> None:
    deployment.openedx["plugin_settings"]["MITX_REDIRECT_LOGIN_URL"] = (
        "/auth/login/mitxpro-oauth2/?auth_entry=login"
    )


def break_site_binding(deployment: Deployment) -> None:
    deployment.openedx["init_site_id"] = 1  # the provider lands on example.com's Site


@pytest.mark.parametrize(
    ("breakage", "evidence"),
    [
        (break_redirect_uri, "Mismatching redirect URI"),
        (swap_hosts, "is not served on"),
        (break_secret, "401 Client Error: Unauthorized"),
        (break_backend_name, "Can't fetch setting of a disabled backend/provider"),
        (break_companion_login_url, "404 at http://127.0.0.2:8000/auth/login/mitxpro-oauth2/"),
        (break_site_binding, "Can't fetch setting of a disabled backend/provider"),
    ],
    ids=[
        "redirect-uri",
        "browser-vs-internal-url",
        "secret",
        "backend-name",
        "companion-login-url",
        "site",
    ],
)
def test_round_trip_fails_when_one_value_is_wrong(
    breakage: Callable[[Deployment], None],
    evidence: str,
    tmp_path: Path,
    servers: Callable[[Deployment], Deployment],
) -> None:
    deployment = deploy(tmp_path, "ol-oauth2")
    breakage(deployment)
    servers(deployment)
    ok, detail = login_round_trip(requests.Session())
    assert not ok
    logs = "\n".join(path.read_text() for path in deployment.logs)
    assert evidence in detail + logs
