"""LMSBRIDGE_<APP>_LOGOUT and _MAX_SESSION_LENGTH through the real `tutor`: careless values
refused in one line naming the key and the fix, in the syntax of the command the operator
ran; good values reach the rendered LMS settings (TPA_AUTOMATIC_LOGOUT_ENABLED) and the init
plan (the provider row's logout URL or how the init job finds it, max_session_length)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tutor_lmsbridge.core.pipeline import plan_for

from .support import tutor_helpers
from .support.edx_settings import load_lms_settings
from .support.samples import MITXONLINE, OIDC, PLATFORM
from .support.tutor_helpers import enable_lmsbridge, run_tutor, set_args


@pytest.fixture(scope="module")
def saved_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tutor_helpers.saved_root(tmp_path_factory.mktemp("logout"), OIDC)


@pytest.mark.parametrize(
    ("typed", "reason", "fix"),
    [
        ("LMSBRIDGE_SSO_LOGOUT=Provider", "'Provider' has characters or a form that is not "
         "allowed: use local or provider", "LMSBRIDGE_SSO_LOGOUT=provider"),
        ("LMSBRIDGE_SSO_LOGOUT=global", "'global' has characters or a form that is not "
         "allowed: use local or provider", "LMSBRIDGE_SSO_LOGOUT=provider"),
        ("LMSBRIDGE_SSO_MAX_SESSION_LENGTH=-1", "expected 0 to 2147483647, got -1",
         "LMSBRIDGE_SSO_MAX_SESSION_LENGTH=28800"),
        ("LMSBRIDGE_SSO_MAX_SESSION_LENGTH=8h", "expected 0 to 2147483647, got '8h'",
         "LMSBRIDGE_SSO_MAX_SESSION_LENGTH=28800"),
        ("LMSBRIDGE_SSO_MAX_SESSION_LENGTH=1.5", "expected 0 to 2147483647, got 1.5",
         "LMSBRIDGE_SSO_MAX_SESSION_LENGTH=28800"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", ["lmsbridge-set", "config-save"])
def test_careless_values_are_refused_in_one_line(
    saved_root: Path, tmp_path: Path, command: str, typed: str, reason: str, fix: str
) -> None:
    root = tutor_helpers.copy_root(saved_root, tmp_path)
    before = (root / "config.yml").read_bytes()
    if command == "lmsbridge-set":
        result = run_tutor(root, "lmsbridge", "set", typed, check=False)
    else:
        result = run_tutor(root, "config", "save", "--set", typed, check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    key = typed.split("=", 1)[0]
    # `lmsbridge set` says first that it wrote nothing.
    written = "nothing written. " if command == "lmsbridge-set" else ""
    assert errors[0].startswith(f"Error: lmsbridge: {written}{key}: {reason}"), errors[0]
    if fix:
        syntax = "tutor lmsbridge set" if command == "lmsbridge-set" else "tutor config save --set"
        assert f"Fix: {syntax} {fix}" in errors[0], errors[0]
    assert "Traceback" not in result.stderr
    if command == "lmsbridge-set":
        assert (root / "config.yml").read_bytes() == before  # nothing written


def rendered(tmp_path: Path, config: dict[str, Any]) -> dict[str, Any]:
    enable_lmsbridge(tmp_path)
    run_tutor(tmp_path, "config", "save", *set_args(config))
    return load_lms_settings(tmp_path / "env", "production", tmp_path)


def test_provider_logout_turns_on_automatic_logout(tmp_path: Path) -> None:
    settings = rendered(
        tmp_path,
        {
            **OIDC,
            "LMSBRIDGE_SSO_LOGOUT": "provider",
            "LMSBRIDGE_SSO_MAX_SESSION_LENGTH": 28800,
            "LMSBRIDGE_SSO_INTERNAL_URL": "http://keycloak:8080/realms/learn",
        },
    )
    assert settings["TPA_AUTOMATIC_LOGOUT_ENABLED"] is True
    (provider,) = settings["LMSBRIDGE_INIT_PLAN"]["providers"]
    # The end-session endpoint is read by the init job, where the LMS reads discovery.
    assert provider["logout"] == {
        "discovery": "http://keycloak:8080/realms/learn/.well-known/openid-configuration",
        "client_id": "openedx",
    }
    assert provider["fields"]["max_session_length"] == 28800
    # No guessed <issuer>/logout among the IDA logout pages.
    assert not any("sso.example.edu" in url for url in settings["IDA_LOGOUT_URI_LIST"])


def test_local_logout_is_the_default_and_changes_nothing(tmp_path: Path) -> None:
    settings = rendered(tmp_path, OIDC)
    assert settings["TPA_AUTOMATIC_LOGOUT_ENABLED"] is False  # edx-platform's default
    (provider,) = settings["LMSBRIDGE_INIT_PLAN"]["providers"]
    assert provider["logout"] is None
    assert "max_session_length" not in provider["fields"]  # an admin's value is kept


def test_an_app_with_a_logout_page_sends_the_learner_there() -> None:
    plan = plan_for({**PLATFORM, **MITXONLINE, "LMSBRIDGE_MITXONLINE_LOGOUT": "provider"})
    (provider,) = plan.providers
    assert provider.logout == {"url": "http://mitxonline.odl.local:8013/logout"}
    assert plan.lms.tpa_automatic_logout
    oidc = plan_for(
        {
            **PLATFORM,
            **OIDC,
            "LMSBRIDGE_SSO_LOGOUT": "provider",
            "LMSBRIDGE_SSO_LOGOUT_URL": "https://sso.example.edu/signout",
        }
    )
    assert oidc.providers[0].logout == {"url": "https://sso.example.edu/signout"}


def test_saved_values_stay_as_typed(saved_root: Path, tmp_path: Path) -> None:
    root = tutor_helpers.copy_root(saved_root, tmp_path)
    run_tutor(
        root,
        "lmsbridge",
        "set",
        "LMSBRIDGE_SSO_LOGOUT=provider",
        "LMSBRIDGE_SSO_MAX_SESSION_LENGTH=0",
    )
    config = yaml.safe_load((root / "config.yml").read_text())
    assert config["LMSBRIDGE_SSO_LOGOUT"] == "provider"
    assert config["LMSBRIDGE_SSO_MAX_SESSION_LENGTH"] == 0
