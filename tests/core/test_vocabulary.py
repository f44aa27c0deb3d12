"""core/vocabulary.py: the shapes of values the catalog accepts, and the host helpers."""

from __future__ import annotations

import re

import pytest

from tutor_lmsbridge.core import vocabulary as v


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (v.APP_NAME_RE, ["mitxonline", "sso2", "ab"], ["a", "2fa", "MITx", "my-app", "a" * 31]),
        (v.BACKEND_NAME_RE, ["ol-oauth2", "tpa_saml", "0x"], ["-x", "Ol", "a b"]),
        (v.OIDC_BACKEND_NAME_RE, ["staff-sso", "sso1"], ["staff_sso", "-sso"]),
        (v.CLAIM_RE, ["preferred_username", "https://example.com/claims/x"], ["a b", ""]),
        (v.USERNAME_RE, ["mitx_worker", "a.b@c+d"], ["x", "with space", "a" * 31]),
        (v.EMAIL_RE, ["a@example.com", "svc@localhost"], ["a@", "@example.com", "a b@c.d"]),
        (v.CLASS_PATH_RE, ["social_core.backends.github.GithubOAuth2"], ["GithubOAuth2", "a..b"]),
        (v.CREDENTIAL_RE, ["openedx-1f2e", "~!x"], ["with space", "", "é"]),
        (v.REQUIREMENT_RE, ["ol-social-auth==0.3.0", "pkg[saml]>=1,<2"], ["git+https://x", "-e ."]),
        (v.SCOPE_RE, ["read", "openid", "api:write"], ["two words", "a" * 65]),
    ],
)
def test_patterns_accept_the_shapes_they_name_and_nothing_else(
    pattern: str, good: list[str], bad: list[str]
) -> None:
    for value in good:
        assert re.fullmatch(pattern, value), value
    for value in bad:
        assert not re.fullmatch(pattern, value), value


def test_the_local_login_and_the_admin_are_always_reachable() -> None:
    """The break-glass paths: a redirect to the provider must never hide them."""
    (first, heartbeat) = (re.compile(p) for p in v.ALWAYS_ALLOWED_PATHS)
    for path in ("/admin", "/login", "/logout", "/auth/complete/x/", "/api/user", "/oauth2/x"):
        assert first.match(path), path
    assert heartbeat.match("/heartbeat")
    assert not first.match("/dashboard")
    assert not first.match("/courses/admin")


@pytest.mark.parametrize(
    ("host", "email", "cookie", "parent"),
    [
        ("lms.example.com", "lms.example.com", ".example.com", "example.com"),
        ("example.com", "example.com", ".example.com", "example.com"),
        ("local.openedx.io", "local.openedx.io", ".openedx.io", "openedx.io"),
        ("localhost", "lmsbridge.invalid", ".localhost", "localhost"),
        ("10.0.0.5", "lmsbridge.invalid", "10.0.0.5", "10.0.0.5"),
        ("[fd00::1]", "lmsbridge.invalid", "[fd00::1]", "[fd00::1]"),
    ],
)
def test_host_helpers(host: str, email: str, cookie: str, parent: str) -> None:
    assert v.email_domain(host) == email
    assert v.cookie_domain(host) == cookie
    assert v.parent_domain(host) == parent


def test_ip_literals() -> None:
    assert v.is_ip_literal("127.0.0.1")
    assert v.is_ip_literal("fd00::1")
    assert v.is_ip_literal("[::1]")
    assert not v.is_ip_literal("lms.example.com")
    assert not v.is_ip_literal("cafe")  # hexadecimal letters without a colon: a host name


def test_registration_fields_and_states_are_open_edx_s() -> None:
    assert {"country", "honor_code", "terms_of_service"} <= v.REGISTRATION_FIELD_NAMES
    assert "password" not in v.REGISTRATION_FIELD_NAMES
    assert v.REGISTRATION_FIELD_VALUES == ("required", "optional", "optional-exposed", "hidden")
