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
