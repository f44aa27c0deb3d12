"""Issue #20: mistakes refused (or warned about) when they are typed, through the real `tutor`.

Each value here used to be accepted and broke the deploy or the login later (or was stored
and silently ignored). Now `tutor lmsbridge set` and `tutor config save --set` refuse it with
one line naming the key and the fix, in the syntax of the command run, and write nothing.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import yaml

from .support.edx_settings import load_lms_settings
from .support.samples import KEYCLOAK, MITXONLINE, OIDC, PLATFORM, RICHIE, combine
from .support.tutor_helpers import enable_lmsbridge, run_tutor, saved_root, set_args

CONFIG = {
    **combine(MITXONLINE, KEYCLOAK, RICHIE, OIDC),
    "LMSBRIDGE_RICHIE_OAUTH2_CLIENT": True,
    "LMSBRIDGE_SECRET_SEED": PLATFORM["LMSBRIDGE_SECRET_SEED"],
}
PASSWORD = "hunter2"
YESTERDAY = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
SOON = (datetime.date.today() + datetime.timedelta(days=10)).isoformat()
ISSUER = OIDC["LMSBRIDGE_SSO_URL"]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return saved_root(tmp_path_factory.mktemp("refusals"), CONFIG)


def state(root: Path) -> tuple[bytes, bytes]:
    production = root / "env/apps/openedx/settings/lms/production.py"
    return (root / "config.yml").read_bytes(), production.read_bytes()


# (assignment as typed, the key the error names, words of the error)
REFUSED = [
    (
        "LMSBRIDGE_RICHIE_API_CLIENT_ID=lmsbridge-mitxonline",
        "LMSBRIDGE_RICHIE_API_CLIENT_ID",
        "'lmsbridge-mitxonline' is also the API_CLIENT_ID of app 'mitxonline': Open edX "
        "needs one OAuth2 application per app, and the init job would fail. Fix: unset it",
    ),
    ("LMSBRIDGE_SSO_SCOPES=[]", "LMSBRIDGE_SSO_SCOPES", "does not include openid"),
    (
        "LMSBRIDGE_SSO_SCOPES=[email, profile]",
        "LMSBRIDGE_SSO_SCOPES",
        "Fix: add openid: tutor lmsbridge set 'LMSBRIDGE_SSO_SCOPES=[openid, email, profile]'",
    ),
    (
        f"LMSBRIDGE_SSO_URL={ISSUER}/.well-known/openid-configuration",
        "LMSBRIDGE_SSO_URL",
        "is the discovery document's URL, not the issuer: Open edX appends "
        "/.well-known/openid-configuration itself. Fix: give the issuer, the same URL without "
        f"/.well-known/openid-configuration: tutor lmsbridge set LMSBRIDGE_SSO_URL={ISSUER}",
    ),
    (
        f"LMSBRIDGE_MITXONLINE_TOKEN_EXPIRES={YESTERDAY}",
        "LMSBRIDGE_MITXONLINE_TOKEN_EXPIRES",
        f"{YESTERDAY} is not in the future: the service token would be expired",
    ),
    (
        "LMSBRIDGE_RICHIE_SYNC_SECRETS=[]",
        "LMSBRIDGE_RICHIE_SYNC_SECRETS",
        "Fix: unset it to use a generated secret (to turn the sync off, set "
        "LMSBRIDGE_RICHIE_SYNC=false): tutor lmsbridge set --unset LMSBRIDGE_RICHIE_SYNC_SECRETS",
    ),
    (
        "LMSBRIDGE_MITXONLNE_URL=https://mitx.example.com",
        "LMSBRIDGE_MITXONLNE_URL",
        "(did you mean LMSBRIDGE_MITXONLINE_URL?)",
    ),
    (
        "lmsbridge_mitxonline_url=https://mitx.example.com",
        "lmsbridge_mitxonline_url",
        "reads only LMSBRIDGE_MITXONLINE_URL, so this one would be ignored. Fix: spell it "
        "LMSBRIDGE_MITXONLINE_URL",
    ),
    (
        "LMSBRIDGE_MitxOnline_URL=https://mitx.example.com",
        "LMSBRIDGE_MitxOnline_URL",
        "Fix: spell it LMSBRIDGE_MITXONLINE_URL",
    ),
    (
        f"LMSBRIDGE_MITXONLINE_INTERNAL_URL=http://admin:{PASSWORD}@example.com",
        "LMSBRIDGE_MITXONLINE_INTERNAL_URL",
        "must not carry a user name or password (user:password@host): credentials do not "
        "belong in a URL",
    ),
    (
        "LMSBRIDGE_KEYCLOAK_BACKEND_CLASS=os.system",
        "LMSBRIDGE_KEYCLOAK_BACKEND_CLASS",
        "os.system is not a python-social-auth backend class",
    ),
]


@pytest.mark.parametrize(("assignment", "key", "words"), REFUSED)
def test_lmsbridge_set_refuses_in_one_line_and_writes_nothing(
    root: Path, assignment: str, key: str, words: str
) -> None:
    before = state(root)
    result = run_tutor(root, "lmsbridge", "set", assignment, check=False)
    assert result.returncode != 0, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [errors[0]]
    assert errors[0].startswith(f"Error: lmsbridge: nothing written. {key}: ")
    assert words in errors[0]
    assert "Fix: " in errors[0]
    assert "--set" not in errors[0]  # the fix is in `tutor lmsbridge set` syntax
    assert PASSWORD not in result.stdout + result.stderr
    assert state(root) == before


@pytest.mark.parametrize(
    ("assignment", "key"),
    [
        (
            f"LMSBRIDGE_MITXONLINE_URL=http://admin:{PASSWORD}@example.com",
            "LMSBRIDGE_MITXONLINE_URL",
        ),
        (f"LMSBRIDGE_SSO_URL=https://{PASSWORD}@sso.example.edu", "LMSBRIDGE_SSO_URL"),
        (
            f"LMSBRIDGE_RICHIE_REDIRECT_URIS=[https://u:{PASSWORD}@richie.example.com/done/]",
            "LMSBRIDGE_RICHIE_REDIRECT_URIS",
        ),
        ("lmsbridge_mitxonline_url=https://mitx.example.com", "lmsbridge_mitxonline_url"),
        ("LMSBRIDGE_MitxOnline_URL=https://mitx.example.com", "LMSBRIDGE_MitxOnline_URL"),
    ],
)
def test_config_save_set_refuses_before_config_yml_is_written(
    root: Path, assignment: str, key: str
) -> None:
    """Tutor writes config.yml before the plugin judges the configuration: these values
    are refused as they are parsed, so neither they nor a password stay in config.yml."""
    before = state(root)
    result = run_tutor(root, "config", "save", "--set", assignment, check=False)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if key in line]
    assert len(lines) == 1, result.stderr
    assert "Fix: " in lines[0]
    assert PASSWORD not in result.stdout + result.stderr
    assert state(root) == before
    assert PASSWORD not in (root / "config.yml").read_text()


def test_config_save_set_gives_its_fix_in_its_own_syntax(root: Path) -> None:
    result = run_tutor(
        root, "config", "save", "--set", "LMSBRIDGE_RICHIE_SYNC_SECRETS=[]", check=False
    )
    assert result.returncode != 0
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("Error: lmsbridge")]
    assert line.endswith("tutor config save --unset LMSBRIDGE_RICHIE_SYNC_SECRETS")
    run_tutor(root, "config", "save", "--unset", "LMSBRIDGE_RICHIE_SYNC_SECRETS")


def test_a_token_that_expires_soon_is_saved_with_a_warning(root: Path) -> None:
    result = run_tutor(root, "lmsbridge", "set", f"LMSBRIDGE_MITXONLINE_TOKEN_EXPIRES={SOON}")
    assert (
        f"LMSBRIDGE_MITXONLINE_TOKEN_EXPIRES: the service token expires on {SOON}, in less "
        "than 30 days" in result.stderr
    )
    check = run_tutor(root, "lmsbridge", "check")
    assert f"WARNING LMSBRIDGE_MITXONLINE_TOKEN_EXPIRES: the service token expires on {SOON}" in (
        check.stdout
    )
    run_tutor(root, "lmsbridge", "set", "--unset", "LMSBRIDGE_MITXONLINE_TOKEN_EXPIRES")


def test_set_and_check_name_every_invalid_key_at_once(root: Path) -> None:
    """Issue #21, item 5: one run shows everything to fix, one line each; nothing written."""
    before = state(root)
    typed = [
        "LMSBRIDGE_MITXONLINE_SLUG=Not A Slug",
        "LMSBRIDGE_SSO_SCOPES=[email]",
        "lmsbridge_richie_sync=false",
        f"LMSBRIDGE_KEYCLOAK_URL=https://kc:{PASSWORD}@sso.example.com",
        "LMSBRIDGE_AUTHN_MFE_BYPASS=maybe",
    ]
    result = run_tutor(root, "lmsbridge", "set", *typed, check=False)
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    first = lines.index("Error: lmsbridge: nothing written: 5 values to fix")
    named = [line.split(":")[1].strip() for line in lines[first + 1 : first + 6]]
    assert sorted(named) == sorted(
        [
            "LMSBRIDGE_MITXONLINE_SLUG",
            "LMSBRIDGE_SSO_SCOPES",
            "lmsbridge_richie_sync",
            "LMSBRIDGE_KEYCLOAK_URL",
            "LMSBRIDGE_AUTHN_MFE_BYPASS",
        ]
    )
    assert all(". Fix: " in line for line in lines[first + 1 : first + 6])
    assert PASSWORD not in result.stderr
    assert state(root) == before

    # The same mistakes made by editing config.yml: `check` lists them all.
    edited = root / "checked"
    enable_lmsbridge(edited)
    run_tutor(edited, "config", "save", *set_args(CONFIG))
    config = yaml.safe_load((edited / "config.yml").read_text())
    config.update(
        {
            "LMSBRIDGE_MITXONLINE_SLUG": "Not A Slug",
            "LMSBRIDGE_SSO_SCOPES": ["email"],
            "lmsbridge_richie_sync": False,
            "LMSBRIDGE_AUTHN_MFE_BYPASS": "no",
        }
    )
    (edited / "config.yml").write_text(yaml.safe_dump(config))
    check = run_tutor(edited, "lmsbridge", "check", check=False)
    assert check.returncode == 1
    errors = [line for line in check.stdout.splitlines() if line.startswith("ERROR")]
    assert [line.split()[1].rstrip(":") for line in errors] == [
        "lmsbridge_richie_sync",
        "LMSBRIDGE_MITXONLINE_SLUG",
        "LMSBRIDGE_SSO_SCOPES",
        "LMSBRIDGE_AUTHN_MFE_BYPASS",
    ]
    assert check.stdout.splitlines()[-1].startswith("4 error(s)")


def test_ipv6_literals_are_accepted_and_rendered(root: Path, tmp_path: Path) -> None:
    result = run_tutor(
        root,
        "lmsbridge",
        "set",
        "LMSBRIDGE_MITXONLINE_INTERNAL_URL=http://[fd00::1]:8013",
        "LMSBRIDGE_RICHIE_URL=http://[fd00::2]:8070",
        "LMSBRIDGE_RICHIE_INTERNAL_URL=http://[fd00::2]:8000/",
    )
    assert "Traceback" not in result.stderr
    settings = load_lms_settings(root / "env", "production", tmp_path)
    plan = settings["LMSBRIDGE_INIT_PLAN"]
    (mitxonline,) = [p for p in plan["providers"] if p["backend_name"] == "ol-oauth2"]
    assert mitxonline["other_settings"]["ACCESS_TOKEN_URL"] == "http://[fd00::1]:8013/oauth2/token/"
    assert mitxonline["other_settings"]["API_ROOT"] == "http://[fd00::1]:8013/"
    assert "http://[fd00::2]:8070" in settings["CORS_ORIGIN_WHITELIST"]
    assert "[fd00::2]:8070" in settings["LOGIN_REDIRECT_WHITELIST"]
    cms = load_lms_settings(root / "env", "production", tmp_path, "cms")
    (sync,) = cms["LMSBRIDGE_COURSE_SYNC"]
    assert sync["url"] == "http://[fd00::2]:8000/api/v1.0/course-runs-sync/"
    status = run_tutor(root, "lmsbridge", "status").stdout
    assert "http://[fd00::1]:8013" in status
    # A catalog on an address cannot share the LMS's cookie: said, not refused.
    assert "[fd00::2] (richie) is not under .openedx.io" in result.stderr
    run_tutor(
        root,
        "lmsbridge",
        "set",
        *(f"{k}={v}" for k, v in CONFIG.items() if k.endswith("_URL") and "RICHIE" in k),
        f"LMSBRIDGE_MITXONLINE_INTERNAL_URL={CONFIG['LMSBRIDGE_MITXONLINE_INTERNAL_URL']}",
    )


def test_keys_of_another_app_still_only_warn(root: Path) -> None:
    """Not a typo: an app not listed yet (or no longer), whose name is near no other."""
    result = run_tutor(root, "lmsbridge", "set", "LMSBRIDGE_SSO2_URL=https://sso2.example.edu")
    assert "LMSBRIDGE_SSO2_URL: not used by any connected app (LMSBRIDGE_APPS)" in result.stderr
    run_tutor(root, "lmsbridge", "set", "--unset", "LMSBRIDGE_SSO2_URL")


def test_set_says_configuration_saved_once(root: Path) -> None:
    result = run_tutor(root, "lmsbridge", "set", "LMSBRIDGE_MITXONLINE_PROVIDER_NAME=MITx")
    assert result.stdout.count("Configuration saved to") == 1
    run_tutor(root, "lmsbridge", "set", "--unset", "LMSBRIDGE_MITXONLINE_PROVIDER_NAME")
