"""`tutor lmsbridge status|credentials|check|set`, run as the real `tutor` command."""

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tutor_lmsbridge.core.connected_apps import IdentityProvider
from tutor_lmsbridge.core.errors import ConfigError
from tutor_lmsbridge.core.pipeline import plan_for
from tutor_lmsbridge.output.masking import secret_values

from .core.test_read_bridge import INVALID, bridge
from .support.provider_server import closed_port_url, provider_server, silent_listener
from .support.samples import KEYCLOAK, MITXONLINE, PLATFORM, RICHIE, combine
from .support.tutor_helpers import enable_lmsbridge, run_tutor, saved_root, set_args

CONFIG = {
    **combine(MITXONLINE, KEYCLOAK, RICHIE),
    "LMSBRIDGE_SECRET_SEED": PLATFORM["LMSBRIDGE_SECRET_SEED"],
}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return saved_root(tmp_path_factory.mktemp("operator"), CONFIG)


def secrets() -> list[str]:
    plan = plan_for({**PLATFORM, **CONFIG})
    return secret_values(plan)


def output(root: Path, *args: str, check: bool = True) -> str:
    result = run_tutor(root, *args, check=check)
    return result.stdout


def test_status_shows_apps_and_objects_but_no_secret(root: Path) -> None:
    text = output(root, "lmsbridge", "status")
    lines = text.splitlines()
    assert lines[0] == "Open edX LMS: http://local.openedx.io"
    assert lines[2].split() == [
        "APP",
        "PRESET",
        "DIRECTIONS",
        "BROWSER",
        "URL",
        "INTERNAL",
        "URL",
        "BACKEND",
    ]
    assert lines[3].split() == [
        "mitxonline",
        "mitxonline",
        "login+api",
        "http://mitxonline.odl.local:8013",
        "http://172.22.0.1:8013",
        "ol-oauth2",
    ]
    assert lines[4].split() == [
        "keycloak",
        "oauth2",
        "login",
        "https://sso.example.com/realms/edu",
        "https://sso.example.com/realms/edu",
        "keycloak",
    ]
    assert lines[5].split() == [
        "richie",
        "richie",
        "catalog",
        "https://richie.local.openedx.io",
        "http://richie:8000",
        "-",
    ]
    assert (
        "  course runs sent on publish to http://richie:8000/api/v1.0/course-runs-sync/ "
        "(first full sync: tutor local do lmsbridge-sync-courses)"
    ) in lines
    to_do = lines.index("To do:")
    assert lines[to_do : to_do + 2] == [
        "To do:",
        "  ENABLE_HTTPS: is off: browsers drop the cross-domain CSRF cookie richie needs for "
        "enrollment (fine for a local look, not for learners)",
    ]
    # Nothing was handed over, and no init job ran, in this root.
    assert lines[to_do + 3 :] == [
        "Pending:",
        *(
            f"  {app} has not been given its current settings: run `tutor lmsbridge "
            f"credentials {app}` and apply them there"
            for app in ("mitxonline", "keycloak", "richie")
        ),
        "  the init job has not run since the Open edX objects changed: "
        "`tutor local|dev|k8s do lmsbridge-init` (or `launch`)",
    ]
    assert (
        "Anonymous learners go to mitxonline: "
        "http://local.openedx.io/auth/login/ol-oauth2/?auth_entry=login (authn MFE bypassed)"
    ) in lines
    assert (
        "  service user mitxonline_serviceworker <mitxonline_serviceworker@local.openedx.io>: "
        in (text.replace("active, staff, unusable password", ""))
    )
    assert "provider oa2-keycloak ('Single sign-on', slug keycloak)" in text
    for secret in secrets():
        assert secret not in text
    dev = output(root, "lmsbridge", "status", "--dev")
    assert dev.splitlines()[0] == "Open edX LMS: http://local.openedx.io:8000 (tutor dev)"


def test_credentials_env_has_exactly_what_mitxonline_reads(root: Path) -> None:
    plan = plan_for({**PLATFORM, **CONFIG})
    client = plan.bridge.apps[0].client
    assert client is not None
    text = output(root, "lmsbridge", "credentials", "mitxonline")
    settings = dict(line.split("=", 1) for line in text.splitlines() if not line.startswith("#"))
    assert settings == {
        "OPENEDX_API_BASE_URL": "http://local.openedx.io",
        # main/settings.py reads both (Studio's API, course links): without them MITxOnline
        # points at its devstack defaults.
        "OPENEDX_STUDIO_API_BASE_URL": "http://studio.local.openedx.io",
        "OPENEDX_COURSE_BASE_URL": "http://apps.local.openedx.io/learning/course/",
        "OPENEDX_BASE_REDIRECT_URL": "http://local.openedx.io",
        "OPENEDX_SERVICE_WORKER_USERNAME": "mitxonline_serviceworker",
        "OPENEDX_SERVICE_WORKER_API_TOKEN": client.token,
        "OPENEDX_OAUTH_PROVIDER": "ol-oauth2",
        "OPENEDX_SOCIAL_LOGIN_PATH": "/auth/login/ol-oauth2/?auth_entry=login",
        "OPENEDX_API_CLIENT_ID": "lmsbridge-mitxonline",
        "OPENEDX_API_CLIENT_SECRET": client.client_secret,
        "LOGOUT_REDIRECT_URL": "http://local.openedx.io/logout",
    }
    assert text.splitlines()[-1] == "#   http://local.openedx.io/auth/complete/ol-oauth2/"


def test_credentials_json_python_and_dev(root: Path) -> None:
    data = json.loads(
        output(root, "lmsbridge", "credentials", "mitxonline", "--format", "json", "--dev")
    )
    assert data["settings"]["OPENEDX_API_BASE_URL"] == "http://local.openedx.io:8000"
    assert data["settings"]["OPENEDX_STUDIO_API_BASE_URL"] == "http://studio.local.openedx.io:8001"
    assert data["settings"]["OPENEDX_COURSE_BASE_URL"] == (
        "http://apps.local.openedx.io:2000/learning/course/"
    )
    assert data["settings"]["LOGOUT_REDIRECT_URL"] == "http://local.openedx.io:8000/logout"
    assert data["provider_redirect_uri"] == "http://local.openedx.io:8000/auth/complete/ol-oauth2/"
    python = output(root, "lmsbridge", "credentials", "mitxonline", "--format", "python")
    namespace: dict[str, Any] = {}
    exec(python, namespace)  # noqa: S102 (our own output, checked to be plain assignments)
    assert namespace["OPENEDX_SERVICE_WORKER_USERNAME"] == "mitxonline_serviceworker"
    # A login-only provider gets only the redirect URI to allow.
    keycloak = json.loads(output(root, "lmsbridge", "credentials", "keycloak", "--format", "json"))
    assert keycloak == {
        "app": "keycloak",
        "settings": {},
        "provider_redirect_uri": "http://local.openedx.io/auth/complete/keycloak/",
    }


def test_credentials_hand_over_a_generated_login_client_in_one_paste(tmp_path: Path) -> None:
    """MITx apps: no CLIENT_ID/SECRET set, so Open edX generated them; `credentials` says
    how the app registers exactly those (configure_instance, or its admin)."""
    import shlex

    config = {k: v for k, v in MITXONLINE.items() if "_CLIENT_" not in k}
    config["LMSBRIDGE_SECRET_SEED"] = PLATFORM["LMSBRIDGE_SECRET_SEED"]
    enable_lmsbridge(tmp_path)
    run_tutor(tmp_path, "config", "save", *set_args(config))
    provider = plan_for({**PLATFORM, **config}).bridge.apps[0].provider
    assert isinstance(provider, IdentityProvider)
    assert provider.generated
    text = output(tmp_path, "lmsbridge", "credentials", "mitxonline")
    lines = text.splitlines()
    command = next(line for line in lines if "configure_instance" in line)
    argv = shlex.split(command.lstrip("# "))
    assert argv[:8] == [
        "docker", "compose", "run", "--rm", "web", "./manage.py", "configure_instance", "linux"
    ]  # fmt: skip
    assert argv[argv.index("--edx-oauth-client") + 1] == provider.client_id
    assert argv[argv.index("--edx-oauth-secret") + 1] == provider.client_secret
    assert "--tutor" in argv
    # The gateway is computed where the command runs, from the app's compose network.
    assert argv[argv.index("--gateway") + 1].startswith("$(docker network inspect mitxonline_")
    assert f"#      Client id: {provider.client_id}" in lines
    assert "#      Redirect uris: http://local.openedx.io/auth/complete/ol-oauth2/" in lines
    # The whole block stays a valid .env: everything else is a comment.
    settings = [line for line in lines if not line.startswith("#")]
    assert len(settings) == 11
    assert all("=" in line for line in settings)
    python = output(tmp_path, "lmsbridge", "credentials", "mitxonline", "--format", "python")
    exec(python, {})  # noqa: S102 (comments and plain assignments)
    data = json.loads(
        output(tmp_path, "lmsbridge", "credentials", "mitxonline", "--format", "json", "--dev")
    )
    client = data["login_client"]
    assert client["client_id"] == provider.client_id
    assert client["client_secret"] == provider.client_secret
    assert client["application_name"] == "edx-oauth-app"
    assert client["redirect_uris"] == ["http://local.openedx.io:8000/auth/complete/ol-oauth2/"]
    assert "--tutor-dev" in shlex.split(client["configure_instance"])
    # status never shows the generated secret.
    assert provider.client_secret not in output(tmp_path, "lmsbridge", "status")


def test_credentials_for_richie(root: Path) -> None:
    plan = plan_for({**PLATFORM, **CONFIG})
    catalog = plan.bridge.apps[2].catalog
    assert catalog is not None
    assert catalog.api_token is None  # API_KEY is off by default
    python = output(root, "lmsbridge", "credentials", "richie", "--format", "python")
    namespace: dict[str, Any] = {}
    exec(python, namespace)  # noqa: S102 (our own output)
    (entry,) = namespace["RICHIE_LMS_BACKENDS"]
    assert "API_TOKEN" not in entry
    # The key API_KEY would turn on is printed nowhere, in any format.
    token = plan_for({**PLATFORM, **CONFIG, "LMSBRIDGE_RICHIE_API_KEY": True}).lms.edx_api_key
    assert token
    for form in ("python", "json", "env"):
        assert token not in output(root, "lmsbridge", "credentials", "richie", "--format", form)
    assert (
        entry["COURSE_REGEX"]
        == r"^http://local\.openedx\.io/courses/(?P<course_id>[^/]+)/course/?$"
    )
    assert namespace["RICHIE_COURSE_RUN_SYNC_SECRETS"] == list(catalog.sync_secrets)
    data = json.loads(output(root, "lmsbridge", "credentials", "richie", "--format", "json"))
    assert data["settings"]["RICHIE_LMS_BACKENDS"] == [entry]
    assert "provider_redirect_uri" not in data


def test_credentials_for_an_old_richie_print_its_api_token(tmp_path: Path) -> None:
    config = {**CONFIG, "LMSBRIDGE_RICHIE_API_KEY": True}
    enable_lmsbridge(tmp_path)
    run_tutor(tmp_path, "config", "save", *set_args(config))
    token = plan_for({**PLATFORM, **config}).lms.edx_api_key
    assert token
    python = output(tmp_path, "lmsbridge", "credentials", "richie", "--format", "python")
    namespace: dict[str, Any] = {}
    exec(python, namespace)  # noqa: S102 (our own output)
    (entry,) = namespace["RICHIE_LMS_BACKENDS"]
    assert entry["API_TOKEN"] == token


def test_credentials_of_an_unknown_app(root: Path) -> None:
    result = run_tutor(root, "lmsbridge", "credentials", "moodle", check=False)
    assert result.returncode != 0
    assert (
        "LMSBRIDGE_APPS: 'moodle' is not a connected app. "
        "Fix: use one of: mitxonline, keycloak, richie"
    ) in result.stderr


def test_check_valid_configuration(root: Path) -> None:
    text = output(root, "lmsbridge", "check")
    assert text.splitlines() == [
        "WARNING ENABLE_HTTPS: is off: browsers drop the cross-domain CSRF cookie richie needs "
        "for enrollment (fine for a local look, not for learners)",
        "OK      LMSBRIDGE_MITXONLINE: mitxonline: login+api",
        "OK      LMSBRIDGE_KEYCLOAK: oauth2: login",
        "OK      LMSBRIDGE_RICHIE: richie: catalog (Open edX API key, cross-domain CSRF "
        "cookie; course-run sync on)",
        "0 error(s), 1 warning(s)",
    ]


def test_check_names_trust_nobody_chose_with_its_fix(tmp_path: Path) -> None:
    """Issue #19's findings, as the operator sees them: set through `tutor lmsbridge set`,
    each a WARNING naming the key and the fix; `check` still exits 0 (the operator may have
    chosen it) and no secret is shown."""
    enable_lmsbridge(tmp_path)
    run_tutor(tmp_path, "config", "save", *set_args(CONFIG))
    run_tutor(
        tmp_path,
        "lmsbridge",
        "set",
        "LMSBRIDGE_KEYCLOAK_SKIP_EMAIL_VERIFICATION=true",
        "LMSBRIDGE_KEYCLOAK_ENABLE_SSO_ID_VERIFICATION=true",
        "LMSBRIDGE_RICHIE_API_KEY=true",
    )
    result = run_tutor(tmp_path, "lmsbridge", "check")
    lines = result.stdout.splitlines()
    expected = [
        "WARNING LMSBRIDGE_KEYCLOAK_ENABLE_SSO_ID_VERIFICATION: true on an oauth2 provider: every "
        "learner who logs in through keycloak gets an approved identity verification; set it to "
        "false unless only your institution's directory, which checked each person's identity, "
        "signs in there",
        "WARNING LMSBRIDGE_KEYCLOAK_SKIP_EMAIL_VERIFICATION: true, but keycloak is not known to "
        "verify emails: a first login creates an active account with an email nobody "
        "confirmed; set it to false unless keycloak confirms every email it sends",
        "WARNING LMSBRIDGE_RICHIE_API_KEY: on: Open edX accepts EDX_API_KEY (X-Edx-Api-Key) from "
        "whoever holds it, and Richie 2.0.0-beta.17 and later never send it; set it to false "
        "unless your Richie is older",
    ]
    for line in expected:
        assert line in lines
    assert lines[-1] == "0 error(s), 4 warning(s)"  # and ENABLE_HTTPS
    token = plan_for({**PLATFORM, **CONFIG, "LMSBRIDGE_RICHIE_API_KEY": True}).lms.edx_api_key
    assert token
    assert token not in result.stdout


def cases_for_set() -> list[tuple[dict[str, Any], str, str]]:
    """The invalid configurations whose values survive a KEY=VALUE command line (YAML)."""
    usable = []
    for overrides, key, words in INVALID:
        arguments = set_args(overrides)[1::2]
        try:
            parsed = {a.split("=", 1)[0]: yaml.safe_load(a.split("=", 1)[1]) for a in arguments}
        except yaml.YAMLError:
            continue
        if all(parsed[k] == v for k, v in overrides.items() if v != ""):
            usable.append((overrides, key, words))
    return usable


@pytest.fixture(scope="module")
def empty_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cases are complete configurations: a root with no LMSBRIDGE_* value (the seed
    saved). Each refused `set` must leave it as it is, so the cases share it."""
    return saved_root(tmp_path_factory.mktemp("empty"))


def test_at_least_twenty_invalid_configurations_each_with_its_own_message() -> None:
    cases = cases_for_set()
    assert len(cases) >= 20
    # Each its own message (the one `set` prints, read here by the same reader).
    messages = set()
    for overrides, _, _ in cases:
        with pytest.raises(ConfigError) as caught:
            bridge(**overrides)
        messages.add(str(caught.value))
    assert len(messages) == len(cases)


@pytest.mark.parametrize(
    ("overrides", "key", "words"), cases_for_set(), ids=[case[1] for case in cases_for_set()]
)
def test_set_refuses_an_invalid_configuration_writing_nothing(
    empty_root: Path, overrides: dict[str, Any], key: str, words: str
) -> None:
    config_before = (empty_root / "config.yml").read_bytes()
    production = empty_root / "env/apps/openedx/settings/lms/production.py"
    env_before = production.read_bytes()
    result = run_tutor(empty_root, "lmsbridge", "set", *set_args(overrides)[1::2], check=False)
    assert result.returncode != 0, (key, result.stdout)
    error = [line for line in result.stderr.splitlines() if line.startswith("Error: lmsbridge:")]
    assert len(error) == 1, result.stderr
    assert key in error[0]
    assert words in error[0]
    assert "Fix: " in error[0]
    assert (empty_root / "config.yml").read_bytes() == config_before, key
    assert production.read_bytes() == env_before, key


def test_set_writes_a_valid_value_and_renders(root: Path) -> None:
    run_tutor(root, "lmsbridge", "set", "LMSBRIDGE_MITXONLINE_PROVIDER_NAME=MITx Online (test)")
    config = yaml.safe_load((root / "config.yml").read_text())
    assert config["LMSBRIDGE_MITXONLINE_PROVIDER_NAME"] == "MITx Online (test)"
    production = (root / "env/apps/openedx/settings/lms/production.py").read_text()
    assert "'MITx Online (test)'" in production
    run_tutor(root, "lmsbridge", "set", "LMSBRIDGE_MITXONLINE_PROVIDER_NAME=MITx Online")


def test_check_reports_an_invalid_value_without_stopping(tmp_path: Path) -> None:
    enable_lmsbridge(tmp_path)
    run_tutor(tmp_path, "config", "save", *set_args(MITXONLINE))
    # An operator edits config.yml by hand: `tutor config save` would stop; check explains.
    config = yaml.safe_load((tmp_path / "config.yml").read_text())
    config["LMSBRIDGE_MITXONLINE_SLUG"] = "Not A Slug"
    (tmp_path / "config.yml").write_text(yaml.safe_dump(config))
    result = run_tutor(tmp_path, "lmsbridge", "check", check=False)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith(
        "ERROR   LMSBRIDGE_MITXONLINE_SLUG: 'Not A Slug' has characters or a form that is not "
        "allowed: use lowercase letters, digits, - and _. Fix: tutor lmsbridge set "
        "LMSBRIDGE_MITXONLINE_SLUG=sso"
    )


def probe_config(base: str, api_base: str | None = None) -> dict[str, Any]:
    return {
        **MITXONLINE,
        "LMSBRIDGE_MITXONLINE_URL": base,
        "LMSBRIDGE_MITXONLINE_INTERNAL_URL": api_base or base,
    }


def probe(tmp_path: Path, config: dict[str, Any], timeout: str = "2") -> tuple[int, list[str]]:
    enable_lmsbridge(tmp_path)
    run_tutor(tmp_path, "config", "save", *set_args(config))
    result = run_tutor(tmp_path, "lmsbridge", "check", "--probe", "--timeout", timeout, check=False)
    return result.returncode, result.stdout.splitlines()


def test_probe_healthy_provider(tmp_path: Path) -> None:
    client_id = MITXONLINE["LMSBRIDGE_MITXONLINE_CLIENT_ID"]
    registered = {client_id: MITXONLINE["LMSBRIDGE_MITXONLINE_CLIENT_SECRET"]}
    with provider_server(clients=registered) as base:
        code, lines = probe(tmp_path, probe_config(base))
    assert code == 0
    prefix = "OK      LMSBRIDGE_MITXONLINE:"
    assert lines[1:4] == [
        f"{prefix} authorization page (browser URL) {base}/oauth2/authorize/ answers 302",
        f"{prefix} token endpoint (internal URL) {base}/oauth2/token/ knows the login client "
        f"{client_id}",
        f"{prefix} user info without a token {base}/api/users/me answers 401",
    ]


@pytest.mark.parametrize("secret", ["the-right-secret", "a-wrong-secret"])
def test_probe_tests_the_oauth2_presets_client_as_its_class_sends_it(
    secret: str, tmp_path: Path
) -> None:
    """The oauth2 preset with a token endpoint set: the probe exchanges a dummy code with the
    client's credentials, sent as the backend class sends them (TwitterOAuth2:
    USE_BASIC_AUTH), to a provider that takes HTTP Basic only."""
    with provider_server(clients={"openedx": "the-right-secret"}, basic_only=True) as base:
        config = {
            "LMSBRIDGE_APPS": ["xsso"],
            "LMSBRIDGE_XSSO_PRESET": "oauth2",
            "LMSBRIDGE_XSSO_URL": base,
            "LMSBRIDGE_XSSO_BACKEND": "twitter-oauth2",
            "LMSBRIDGE_XSSO_BACKEND_CLASS": "social_core.backends.twitter_oauth2.TwitterOAuth2",
            "LMSBRIDGE_XSSO_ACCESS_TOKEN_URL": f"{base}/oauth2/token/",
            "LMSBRIDGE_XSSO_CLIENT_ID": "openedx",
            "LMSBRIDGE_XSSO_CLIENT_SECRET": secret,
        }
        code, lines = probe(tmp_path, config)
    token = [line for line in lines if "token endpoint" in line]
    what = f"LMSBRIDGE_XSSO: token endpoint (internal URL) {base}/oauth2/token/"
    if secret == "the-right-secret":
        assert code == 0, lines
        assert token == [f"OK      {what} knows the login client openedx"]
    else:
        assert code == 1, lines
        assert token[0].startswith(f"ERROR   {what} does not know the login client openedx")
    assert secret not in "\n".join(lines)


def test_probe_says_when_the_app_does_not_know_the_login_client(tmp_path: Path) -> None:
    client_id = MITXONLINE["LMSBRIDGE_MITXONLINE_CLIENT_ID"]
    with provider_server(clients={client_id: "another-secret"}) as base:
        code, lines = probe(tmp_path / "set", probe_config(base))
        assert code == 1
        assert lines[2] == (
            f"ERROR   LMSBRIDGE_MITXONLINE: token endpoint (internal URL) {base}/oauth2/token/ "
            f"does not know the login client {client_id} (or its secret differs): login "
            "through mitxonline fails. Fix: check LMSBRIDGE_MITXONLINE_CLIENT_ID and "
            "_CLIENT_SECRET against mitxonline's OAuth2 application"
        )
        generated = {k: v for k, v in probe_config(base).items() if "_CLIENT_" not in k}
        code, lines = probe(tmp_path / "generated", generated)
    assert code == 1
    assert lines[2].endswith(
        "login through mitxonline fails. Fix: register it: step 2 of "
        "`tutor lmsbridge credentials mitxonline`"
    )
    assert "login client openedx-" in lines[2]


def test_probe_oidc_discovery(tmp_path: Path) -> None:
    with provider_server() as base:
        good = {
            **probe_config(base),
            "LMSBRIDGE_MITXONLINE_DISCOVERY_URL": f"{base}/.well-known/openid-configuration",
        }
        code, lines = probe(tmp_path / "good", good)
        assert code == 0
        assert lines[1] == (
            "OK      LMSBRIDGE_MITXONLINE: OIDC discovery document "
            f"{base}/.well-known/openid-configuration names its endpoints"
        )
        broken = {
            **good,
            "LMSBRIDGE_MITXONLINE_DISCOVERY_URL": f"{base}/.well-known/broken-configuration",
        }
        code, lines = probe(tmp_path / "broken", broken)
    assert code == 1
    assert "lacks authorization_endpoint, token_endpoint" in lines[1]


def test_probe_wrong_path(tmp_path: Path) -> None:
    with provider_server() as base:
        code, lines = probe(tmp_path, probe_config(base, api_base=f"{base}/wrong"))
    assert code == 1
    assert lines[2] == (
        f"ERROR   LMSBRIDGE_MITXONLINE: token endpoint (internal URL) {base}/wrong/oauth2/token/ "
        "answers 404 (wrong path?), expected 400"
    )
    assert lines[-1] == "2 error(s), 0 warning(s)"


def test_probe_timeout_and_refused(tmp_path: Path) -> None:
    refused = closed_port_url()
    with silent_listener() as silent:
        code, lines = probe(tmp_path, probe_config(silent, api_base=refused), timeout="0.5")
    assert code == 1
    assert lines[1] == (
        "ERROR   LMSBRIDGE_MITXONLINE: authorization page (browser URL) "
        f"{silent}/oauth2/authorize/: no answer within 0.5 s"
    )
    assert lines[2] == (
        "ERROR   LMSBRIDGE_MITXONLINE: token endpoint (internal URL) "
        f"{refused}/oauth2/token/: connection refused"
    )
