"""What the real `tutor` says after a save: one notice per action needed (rebuild, init job,
restart, paste), each once, and nothing when nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor_lmsbridge.core.keys import SP_KEY

from .support import tutor_helpers
from .support.samples import MITXONLINE, OIDC, SHIB
from .support.tutor_helpers import copy_root, run_tutor

RESTART = (
    "lmsbridge: the LMS settings changed and the running services keep the old ones: restart "
    "them, `tutor local restart lms` (`tutor dev restart lms`; Kubernetes: `tutor k8s start`)"
)


def notices(stderr: str) -> list[str]:
    """The plugin's notices (Tutor's alerts start with an emoji; ours with "lmsbridge:")."""
    return [
        line[line.index("lmsbridge:") :]
        for line in stderr.splitlines()
        if "lmsbridge:" in line and not line.startswith("Error")
    ]


@pytest.fixture(scope="module")
def saved_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MITxOnline, an OIDC provider and a SAML IdP, saved once (every first notice given)."""
    config = {**MITXONLINE, **OIDC, **SHIB, "LMSBRIDGE_APPS": ["mitxonline", "sso", "shib"]}
    return tutor_helpers.saved_root(tmp_path_factory.mktemp("notices"), config)


@pytest.fixture
def root(saved_root: Path, tmp_path: Path) -> Path:
    return copy_root(saved_root, tmp_path)


def test_nothing_changed_nothing_said(root: Path) -> None:
    assert notices(run_tutor(root, "config", "save").stderr) == []


@pytest.mark.parametrize(
    "change",
    [
        ["LMSBRIDGE_SSO_CLIENT_SECRET=a-new-oidc-secret"],
        ["LMSBRIDGE_MITXONLINE_CLIENT_SECRET=a-new-mitxonline-secret"],
    ],
    ids=["oidc-client-secret", "mitx-client-secret"],
)
def test_a_new_client_secret_needs_a_restart_only(root: Path, change: list[str]) -> None:
    """The secret lives in SOCIAL_AUTH_OAUTH_SECRETS (settings), not in a provider row: the
    running LMS keeps the old one until restarted, and nothing else is to do."""
    result = run_tutor(root, "lmsbridge", "set", *change)
    assert notices(result.stderr) == [RESTART]
    # Said once: the next save has nothing new to say.
    assert notices(run_tutor(root, "config", "save").stderr) == []


def test_a_rotated_sp_key_needs_the_init_job_a_restart_and_the_idp(root: Path) -> None:
    """A new SAML SP key: the certificate in the SAMLConfiguration row (init job), the private
    key in the LMS settings (restart), the certificate at the IdP (credentials): one notice
    each, in the order to take them."""
    said = notices(run_tutor(root, "lmsbridge", "set", "--unset", SP_KEY).stderr)
    assert said == [
        "lmsbridge: the Open edX objects changed: run `tutor local|dev|k8s do lmsbridge-init` "
        "(or `tutor local|dev|k8s launch`)",
        RESTART,
        "lmsbridge: shib needs its settings: `tutor lmsbridge credentials shib`",
    ]


def test_a_new_app_needs_a_rebuild_the_init_job_and_a_paste(root: Path) -> None:
    run_tutor(root, "config", "save", "--set", "LMSBRIDGE_APPS=[sso, shib]")
    said = notices(
        run_tutor(root, "config", "save", "--set", "LMSBRIDGE_APPS=[mitxonline, sso, shib]").stderr
    )
    assert said == [
        "lmsbridge: the openedx image needs new packages: run `tutor images build openedx` "
        "(`tutor images build openedx-dev` under tutor dev; `launch` builds it)",
        "lmsbridge: the Open edX objects changed: run `tutor local|dev|k8s do lmsbridge-init` "
        "(or `tutor local|dev|k8s launch`)",
        # No restart: the containers of the new image read the new settings.
        "lmsbridge: mitxonline needs its settings: `tutor lmsbridge credentials mitxonline`",
    ]


def test_a_catalog_changes_studio_settings_too(root: Path) -> None:
    """Richie's course sync is Studio's setting: both services are named."""
    result = run_tutor(
        root,
        "config",
        "save",
        "--set",
        "LMSBRIDGE_APPS=[mitxonline, sso, shib, richie]",
        "--set",
        "LMSBRIDGE_RICHIE_URL=https://catalog.openedx.io",
    )
    restart = [line for line in notices(result.stderr) if "restart" in line]
    assert restart == [
        "lmsbridge: the LMS and Studio settings changed and the running services keep the old "
        "ones: restart them, `tutor local restart lms cms` (`tutor dev restart lms cms`; "
        "Kubernetes: `tutor k8s start`)"
    ]
