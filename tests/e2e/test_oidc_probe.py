"""tutor_lmsbridge.output.oidc_probe against a certified OpenID Provider (node oidc-provider) on
loopback: healthy through the issuer URL and through an internal URL, then broken on purpose
(announced issuer, JWKS 503, nothing listening, wrong path, silent host)."""

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tutor_lmsbridge.output import oidc_probe
from tutor_lmsbridge.output.oidc_probe import probe_oidc

from ..support.provider_server import closed_port_url, silent_listener
from .oidc_process import oidc_provider
from .process import free_port

pytestmark = pytest.mark.e2e

PUBLIC_HOST, INTERNAL_HOST = "127.0.0.5", "127.0.0.6"
TIMEOUT = 5.0


def provider_config(**flags: Any) -> dict[str, Any]:
    port, internal_port = free_port(PUBLIC_HOST), free_port(INTERNAL_HOST)
    return {
        "issuer": f"http://{PUBLIC_HOST}:{port}/realms/lms",
        "listen": [[PUBLIC_HOST, port], [INTERNAL_HOST, internal_port]],
        "internal_base": f"http://{INTERNAL_HOST}:{internal_port}/realms/lms",
        "clients": [
            {
                "client_id": "openedx",
                "client_secret": "probe-secret",
                "redirect_uris": ["http://127.0.0.2:8000/auth/complete/staffsso/"],
            }
        ],
        "accounts": {},
        **flags,
    }


@pytest.fixture
def started(tmp_path: Path) -> Iterator[Any]:
    """Start a provider for a config (stopped when the test ends)."""

    with ExitStack() as stack:

        def start(config: dict[str, Any]) -> dict[str, Any]:
            stack.enter_context(oidc_provider(config, tmp_path))
            return config

        yield start


def levels(findings: list[tuple[str, str]]) -> list[str]:
    return [level for level, _ in findings]


def test_healthy_provider_through_the_issuer_url(started: Any) -> None:
    config = started(provider_config())
    issuer = config["issuer"]
    findings = probe_oidc(issuer, None, TIMEOUT)
    assert levels(findings) == ["ok"] * 5, findings
    messages = [message for _, message in findings]
    assert messages[0] == (
        f"OIDC discovery {issuer}/.well-known/openid-configuration announces issuer {issuer}, "
        "as configured"
    )
    # oidc-provider answers invalid_request (400) to all three requests without parameters.
    assert messages[1] == f"authorization endpoint (browser URL) {issuer}/auth answers 400"
    assert messages[2] == f"token endpoint {issuer}/token answers 400"
    assert messages[3] == f"userinfo endpoint without a token {issuer}/me answers 400"
    assert messages[4] == f"JWKS {issuer}/jwks holds 1 key(s) for RS256"


def test_healthy_provider_from_the_internal_url(started: Any) -> None:
    # The provider refuses server endpoints on its public listener: only a probe that goes
    # through the internal URL for them, as the LMS does, finds it healthy.
    config = started(provider_config(server_endpoints_internal_only=True))
    issuer, internal = config["issuer"], config["internal_base"]
    findings = probe_oidc(issuer, internal, TIMEOUT)
    assert levels(findings) == ["ok"] * 5, findings
    text = "\n".join(message for _, message in findings)
    assert f"OIDC discovery {internal}/.well-known/openid-configuration announces" in text
    assert f"authorization endpoint (browser URL) {issuer}/auth answers" in text
    assert f"token endpoint {internal}/token answers" in text
    assert f"JWKS {internal}/jwks holds 1 key(s) for RS256" in text

    # Without the internal URL the same provider's server endpoints refuse (421), and a key
    # type the provider does not have is not found.
    public_only = probe_oidc(issuer, None, TIMEOUT, algorithm="ES256")
    assert levels(public_only) == ["ok", "ok", "error", "error", "error"], public_only
    assert public_only[2][1] == (
        f"token endpoint {issuer}/token answers 421, expected 400/401 without a client"
    )
    assert public_only[4][1] == f"JWKS {issuer}/jwks answers 421, expected 200 and the " + (
        "provider's signing keys"
    )


def test_another_issuer_announced(started: Any) -> None:
    config = provider_config()
    config["announce_issuer"] = config["issuer"].replace("/realms/lms", "/realms/other")
    started(config)
    findings = probe_oidc(config["issuer"], None, TIMEOUT)
    assert findings[0] == (
        "error",
        f"OIDC discovery {config['issuer']}/.well-known/openid-configuration announces issuer "
        f"{config['announce_issuer']!r}, expected {config['issuer']!r} exactly: the LMS pins "
        "the id_token's iss to the configured issuer, so every login would fail",
    )
    # The endpoints themselves are still checked (they are served where they are announced).
    assert levels(findings)[1:] == ["ok"] * 4, findings


def test_jwks_unavailable(started: Any) -> None:
    config = started(provider_config(jwks_unavailable=True))
    findings = probe_oidc(config["issuer"], config["internal_base"], TIMEOUT)
    assert levels(findings) == ["ok", "ok", "ok", "ok", "error"], findings
    assert findings[4][1] == (
        f"JWKS {config['internal_base']}/jwks answers 503, expected 200 and the provider's "
        "signing keys"
    )


def test_wrong_path(started: Any) -> None:
    config = started(provider_config())
    wrong = config["issuer"].replace("/realms/lms", "/realms/lsm")
    assert probe_oidc(wrong, None, TIMEOUT) == [
        (
            "error",
            f"OIDC discovery (issuer URL) {wrong}/.well-known/openid-configuration answers 404 "
            "(wrong path?), expected 200 and JSON",
        )
    ]


def test_nothing_listening() -> None:
    base = closed_port_url(INTERNAL_HOST)
    issuer = closed_port_url(PUBLIC_HOST) + "/realms/lms"
    assert probe_oidc(issuer, base + "/realms/lms", TIMEOUT) == [
        (
            "error",
            f"OIDC discovery (internal URL) {base}/realms/lms/.well-known/openid-configuration: "
            "connection refused (expected 200 and JSON)",
        )
    ]


def test_silent_host() -> None:
    with silent_listener(PUBLIC_HOST) as url:
        assert probe_oidc(url, None, 0.5) == [
            (
                "error",
                f"OIDC discovery (issuer URL) {url}/.well-known/openid-configuration: no answer "
                "within 0.5 s (expected 200 and JSON)",
            )
        ]


@pytest.mark.parametrize(
    ("key", "algorithm", "problem"),
    [
        ({"kty": "RSA", "alg": "RS256", "use": "sig"}, "RS256", None),
        ({"kty": "RSA"}, "RS256", None),
        ({"kty": "RSA", "alg": "RS512"}, "RS256", "alg RS512"),
        ({"kty": "RSA", "use": "enc"}, "RS256", "use enc"),
        ({"kty": "EC", "crv": "P-256"}, "RS256", "kty EC, not RSA"),
        ({"kty": "EC", "crv": "P-256", "alg": "ES256"}, "ES256", None),
        ({"kty": "EC", "crv": "P-384"}, "ES256", "crv P-384, not P-256"),
    ],
)
def test_key_usable_for_algorithm(key: dict[str, str], algorithm: str, problem: str | None) -> None:
    assert oidc_probe.key_problem(key, algorithm) == problem


def test_probe_rewrites_like_the_backend() -> None:
    """The probe and the in-image backend move the same URLs to the internal base."""
    from lmsbridge_openedx import oidc

    public, internal = "https://sso.example.com/realms/staff", "http://keycloak:8080/realms/staff"
    for url in (
        f"{public}/protocol/openid-connect/token",
        public,
        f"{public}?a=b",
        f"{public}-old/token",
        "https://sso.example.com/realms/other/certs",
        "https://elsewhere.example.com/token",
    ):
        for internal_base in (internal, internal + "/", None):
            assert oidc_probe.rewrite_endpoint(url, public, internal_base) == (
                oidc.rewrite_endpoint(url, public, internal_base)
            )


@pytest.mark.parametrize("announce", [None, "http://127.0.0.5:1/realms/other"])
def test_check_probe_command_for_an_oidc_app(
    announce: str | None, started: Any, tmp_path: Path
) -> None:
    """`tutor lmsbridge check --probe` probes an oidc app from where the LMS stands (its
    INTERNAL_URL), even while its client is still pending; exit 1 on a wrong issuer."""
    from ..support.tutor_helpers import run_tutor, set_args

    config = started(provider_config(**({"announce_issuer": announce} if announce else {})))
    root = tmp_path / "tutor"
    run_tutor(root, "plugins", "enable", "lmsbridge")
    run_tutor(
        root,
        "config",
        "save",
        *set_args(
            {
                "LMSBRIDGE_APPS": ["staffsso"],
                "LMSBRIDGE_STAFFSSO_PRESET": "oidc",
                "LMSBRIDGE_STAFFSSO_URL": config["issuer"],
                "LMSBRIDGE_STAFFSSO_INTERNAL_URL": config["internal_base"],
            }
        ),
    )
    result = run_tutor(root, "lmsbridge", "check", "--probe", check=False)
    probed = [line for line in result.stdout.splitlines() if "OIDC discovery" in line]
    assert len(probed) == 1
    assert config["internal_base"] in probed[0]
    if announce is None:
        assert probed[0].startswith("OK")
        assert any(line.startswith("OK") and "JWKS" in line for line in result.stdout.splitlines())
        assert result.returncode == 0
    else:
        assert probed[0].startswith("ERROR")
        assert "announces issuer" in probed[0]
        assert result.returncode == 1


# The two ways a confidential client authenticates at the token endpoint. oidc-provider holds
# each client to its registered method, and the probe must pick the one social-core's login
# picks from discovery's token_endpoint_auth_methods_supported, or a right secret is refused.
AUTH_METHODS = {
    "client_secret_basic": {},
    "client_secret_post": {"client_auth_methods": ["client_secret_post"]},
}


def client_provider_config(method: str) -> dict[str, Any]:
    config = provider_config(**AUTH_METHODS[method])
    config["clients"][0]["token_endpoint_auth_method"] = method
    return config


def client_check(secret: str, method_setting: str = "") -> oidc_probe.ClientCheck:
    return oidc_probe.ClientCheck(
        client_id="openedx",
        client_secret=secret,
        redirect_uri="http://127.0.0.2:8000/auth/complete/staffsso/",
        auth_method=method_setting,
        fix="set LMSBRIDGE_STAFFSSO_CLIENT_ID and LMSBRIDGE_STAFFSSO_CLIENT_SECRET",
    )


@pytest.mark.parametrize("method", sorted(AUTH_METHODS))
def test_token_endpoint_knows_the_client(method: str, started: Any) -> None:
    """A dummy-code exchange authenticated as the login will: invalid_grant for the right
    secret, invalid_client for a wrong one (an error naming the keys, never the secret)."""
    config = started(client_provider_config(method))
    issuer, internal = config["issuer"], config["internal_base"]

    right = probe_oidc(issuer, internal, TIMEOUT, client=client_check("probe-secret"))
    assert levels(right) == ["ok"] * 5, right
    assert right[2][1] == (
        f"token endpoint {internal}/token accepts the login client openedx ({method})"
    )

    wrong = probe_oidc(issuer, internal, TIMEOUT, client=client_check("not-the-secret"))
    assert levels(wrong) == ["ok", "ok", "error", "ok", "ok"], wrong
    assert wrong[2][1] == (
        f"token endpoint {internal}/token refuses the login client openedx ({method}): "
        "401 invalid_client; the client id or secret is wrong, so every login fails. Fix: "
        "set LMSBRIDGE_STAFFSSO_CLIENT_ID and LMSBRIDGE_STAFFSSO_CLIENT_SECRET"
    )
    assert not any("not-the-secret" in message for _, message in wrong)


@pytest.mark.parametrize("method", sorted(AUTH_METHODS))
def test_dummy_exchange_is_sent_as_social_core_sends_it(method: str) -> None:
    """The probe's code exchange carries the credentials where social-core's login puts them:
    ``BaseOAuth2.request_access_token`` posts the form with requests, the (key, secret) pair
    as HTTP Basic when ``use_basic_auth()``, else in the form (social_core/backends/oauth.py).
    oidc-provider accepts either for a confidential client, so this compares the requests."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs

    import requests

    seen: list[tuple[str | None, dict[str, list[str]]]] = []

    class Capture(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            seen.append((self.headers.get("Authorization"), parse_qs(body)))
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": "invalid_grant"}')

    server = ThreadingHTTPServer((PUBLIC_HOST, 0), Capture)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://{PUBLIC_HOST}:{server.server_address[1]}/token"
        client = client_check("s3cr:et+/=")
        answer = oidc_probe.exchange_dummy_code(url, client, method, TIMEOUT)
        form = {
            "grant_type": "authorization_code",
            "code": oidc_probe.DUMMY_CODE,
            "redirect_uri": client.redirect_uri,
        }
        basic = method == "client_secret_basic"
        if not basic:
            form.update(client_id=client.client_id, client_secret=client.client_secret)
        auth = (client.client_id, client.client_secret) if basic else None
        requests.post(url, data=form, auth=auth, timeout=TIMEOUT)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert answer.status == 400
    probe_request, social_core_request = seen
    assert probe_request == social_core_request
    assert (probe_request[0] is not None) == basic


@pytest.mark.parametrize(
    ("document", "setting", "expected"),
    [
        ({}, "", "client_secret_basic"),
        ({"token_endpoint_auth_methods_supported": []}, "", "client_secret_basic"),
        (
            {
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "client_secret_basic",
                ]
            },
            "",
            "client_secret_basic",
        ),
        (
            {"token_endpoint_auth_methods_supported": ["client_secret_post"]},
            "",
            "client_secret_post",
        ),
        ({"token_endpoint_auth_methods_supported": ["private_key_jwt"]}, "", "client_secret_post"),
        ({}, "client_secret_post", "client_secret_post"),
        (
            {"token_endpoint_auth_methods_supported": ["client_secret_post"]},
            "client_secret_basic",
            "client_secret_basic",
        ),
    ],
)
def test_auth_method_as_social_core_chooses(
    document: dict[str, Any], setting: str, expected: str
) -> None:
    """The probe's choice equals social-core's own OpenIdConnectAuth.use_basic_auth."""
    from social_core.backends.open_id_connect import OpenIdConnectAuth
    from social_core.tests.models import TestStorage
    from social_core.tests.strategy import TestStrategy

    class Backend(OpenIdConnectAuth):
        def oidc_config(self) -> dict[str, Any]:
            return document

    strategy = TestStrategy(TestStorage)
    if setting:
        strategy.set_settings({"SOCIAL_AUTH_OIDC_TOKEN_ENDPOINT_AUTH_METHOD": setting})
    basic = Backend(strategy).use_basic_auth()
    assert oidc_probe.token_auth_method(setting, document) == expected
    assert basic == (expected == "client_secret_basic")


@pytest.mark.parametrize("method", sorted(AUTH_METHODS))
def test_check_probe_refuses_a_wrong_client_secret(
    method: str, started: Any, tmp_path: Path
) -> None:
    """`tutor lmsbridge check --probe` with the oidc app's client set: a wrong CLIENT_SECRET
    is an ERROR naming the keys (exit 1), the right one passes; the secret is never shown."""
    from ..support.tutor_helpers import run_tutor, set_args

    config = started(client_provider_config(method))
    root = tmp_path / "tutor"
    run_tutor(root, "plugins", "enable", "lmsbridge")
    base = {
        "LMS_HOST": "127.0.0.2:8000",
        "LMSBRIDGE_APPS": ["staffsso"],
        "LMSBRIDGE_STAFFSSO_PRESET": "oidc",
        "LMSBRIDGE_STAFFSSO_URL": config["issuer"],
        "LMSBRIDGE_STAFFSSO_INTERNAL_URL": config["internal_base"],
        "LMSBRIDGE_STAFFSSO_CLIENT_ID": "openedx",
    }
    for secret, returncode in (("wrong-secret-42", 1), ("probe-secret", 0)):
        run_tutor(
            root,
            "config",
            "save",
            *set_args({**base, "LMSBRIDGE_STAFFSSO_CLIENT_SECRET": secret}),
        )
        result = run_tutor(root, "lmsbridge", "check", "--probe", check=False)
        token = [line for line in result.stdout.splitlines() if "token endpoint" in line]
        assert len(token) == 1, result.stdout
        assert secret not in result.stdout + result.stderr
        assert result.returncode == returncode, result.stdout
        if returncode:
            assert token[0].startswith("ERROR   LMSBRIDGE_STAFFSSO: token endpoint"), token
            assert f"refuses the login client openedx ({method}): 401 invalid_client" in token[0]
            assert (
                "set LMSBRIDGE_STAFFSSO_CLIENT_ID and LMSBRIDGE_STAFFSSO_CLIENT_SECRET"
                in (token[0])
            )
        else:
            assert token[0].startswith("OK"), token
            assert f"accepts the login client openedx ({method})" in token[0]
