"""Presets another plugin adds through our LMSBRIDGE_PRESETS filter, end to end: a tutor plugin
module in the root's plugins folder, loaded by the real `tutor`, then `config save`, `status`,
`credentials` and the init and verify jobs the real Tutor rendered, run on the test database.

- an API-client-only app (the issue's Moodle preset, as its plugin would write it), with the
  default handover and with the plugin's own handover profile (our LMSBRIDGE_HANDOVERS filter);
- a login-only app (a social-core class the plugin names), which hands nothing over.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from .support.lms_jobs import SEED, Lms, job_codes
from .support.tutor_helpers import run_tutor, set_args

# The example, exactly: an API client, every other field at its default.
MOODLE_PLUGIN = """
from tutor_lmsbridge.core.presets import Preset
from tutor_lmsbridge.hooks import Filters

Filters.LMSBRIDGE_PRESETS.add_item(
    Preset(name="moodle", title="Moodle", identity_provider=False, api_client=True,
           redirect_paths=("/admin/oauth2callback.php",))
)
"""

# The same app with the names Moodle's OAuth 2 services form reads, as a handover profile of
# the plugin's own.
MOODLE_PROFILE_PLUGIN = """
from tutor_lmsbridge.core.presets import Preset
from tutor_lmsbridge.hooks import Filters
from tutor_lmsbridge.output.handovers import Handover


def moodle_settings(ctx):
    client = ctx.app.client
    return {
        "moodle_issuer_base_url": ctx.lms_url,
        "moodle_issuer_client_id": client.client_id,
        "moodle_issuer_client_secret": client.client_secret,
        "moodle_webservice_token": client.token,
    }


Filters.LMSBRIDGE_PRESETS.add_item(
    Preset(name="moodle", title="Moodle", identity_provider=False, api_client=True,
           redirect_paths=("/admin/oauth2callback.php",), handover="moodle")
)
Filters.LMSBRIDGE_HANDOVERS.add_item(
    Handover(name="moodle", doc="Moodle's OAuth 2 issuer form", settings=moodle_settings)
)
"""

# Login only: GitHub accounts through social-core's own backend class (in the image).
GITHUB_PLUGIN = """
from tutor_lmsbridge.core.presets import Preset
from tutor_lmsbridge.hooks import Filters

Filters.LMSBRIDGE_PRESETS.add_item(
    Preset(name="github", title="GitHub", identity_provider=True, api_client=False,
           protocol="generic", login_button=True)
)
"""

MOODLE = {
    "LMSBRIDGE_APPS": ["moodle"],
    "LMSBRIDGE_MOODLE_PRESET": "moodle",
    "LMSBRIDGE_MOODLE_URL": "https://moodle.example.edu",
}
GITHUB = {
    "LMSBRIDGE_APPS": ["gh"],
    "LMSBRIDGE_GH_PRESET": "github",
    "LMSBRIDGE_GH_URL": "https://github.com",
    "LMSBRIDGE_GH_BACKEND": "github",
    "LMSBRIDGE_GH_BACKEND_CLASS": "social_core.backends.github.GithubOAuth2",
    "LMSBRIDGE_GH_CLIENT_ID": "github-client-id",
    "LMSBRIDGE_GH_CLIENT_SECRET": "github-client-secret-value",
}


@pytest.fixture(scope="module")
def codes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return job_codes(tmp_path_factory, ["init", "verify"])


def saved(root: Path, plugin: str, source: str, config: dict[str, Any]) -> str:
    """`tutor config save` with the plugin enabled; what it printed (its notices: stderr)."""
    (root / "yaml-plugins").mkdir(parents=True)
    (root / "yaml-plugins" / f"{plugin}.py").write_text(source)
    run_tutor(root, "plugins", "enable", "lmsbridge", plugin)
    result = run_tutor(root, "config", "save", *set_args({**config, **SEED}))
    return result.stdout + result.stderr


def credentials(root: Path, app: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        run_tutor(root, "lmsbridge", "credentials", app, "--format", "json").stdout
    )
    return data


def test_an_api_client_preset_from_a_plugin_saves_and_hands_over(tmp_path: Path) -> None:
    out = saved(tmp_path, "moodle", MOODLE_PLUGIN, MOODLE)
    assert "moodle needs its settings: `tutor lmsbridge credentials moodle`" in out
    status = run_tutor(tmp_path, "lmsbridge", "status").stdout
    assert re.search(r"^moodle +moodle +api +https://moodle.example.edu ", status, re.M)
    assert (
        "OAuth2 application lmsbridge-moodle (client id lmsbridge-moodle, owner "
        "moodle_serviceworker): confidential, authorization-code, skip authorization, redirect "
        "URIs https://moodle.example.edu/admin/oauth2callback.php"
    ) in status
    data = credentials(tmp_path, "moodle")
    # No profile declared: an API client gets the edx-oauth2 client settings.
    settings = data["settings"]
    assert settings["SOCIAL_AUTH_EDX_OAUTH2_KEY"] == "lmsbridge-moodle"
    assert settings["SOCIAL_AUTH_EDX_OAUTH2_URL_ROOT"] == "http://local.openedx.io"
    assert len(settings["SOCIAL_AUTH_EDX_OAUTH2_SECRET"]) > 20
    assert "provider_redirect_uri" not in data
    assert "login_client" not in data


def test_a_plugin_hands_over_through_its_own_profile(tmp_path: Path) -> None:
    saved(tmp_path, "moodle", MOODLE_PROFILE_PLUGIN, MOODLE)
    settings = credentials(tmp_path, "moodle")["settings"]
    assert set(settings) == {
        "moodle_issuer_base_url",
        "moodle_issuer_client_id",
        "moodle_issuer_client_secret",
        "moodle_webservice_token",
    }
    assert settings["moodle_issuer_client_id"] == "lmsbridge-moodle"
    text = run_tutor(tmp_path, "lmsbridge", "credentials", "moodle").stdout
    assert "moodle_issuer_base_url=http://local.openedx.io" in text.splitlines()
    # Its secrets are masked everywhere else.
    status = run_tutor(tmp_path, "lmsbridge", "status").stdout
    assert settings["moodle_webservice_token"] not in status
    assert settings["moodle_issuer_client_secret"] not in status


def test_a_preset_naming_an_unknown_profile_is_refused_in_one_line(tmp_path: Path) -> None:
    plugin = MOODLE_PROFILE_PLUGIN.split("Filters.LMSBRIDGE_HANDOVERS")[0]
    (tmp_path / "yaml-plugins").mkdir(parents=True)
    (tmp_path / "yaml-plugins" / "moodle.py").write_text(plugin)
    run_tutor(tmp_path, "plugins", "enable", "lmsbridge", "moodle")
    refused = run_tutor(tmp_path, "config", "save", *set_args({**MOODLE, **SEED}), check=False)
    assert refused.returncode != 0
    assert (
        "Error: lmsbridge: LMSBRIDGE_MOODLE_PRESET: the moodle preset hands over through "
        "'moodle', which no plugin provides. Fix: enable the plugin that adds it"
    ) in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_login_only_preset_from_a_plugin_saves_and_hands_over(tmp_path: Path) -> None:
    out = saved(tmp_path, "github", GITHUB_PLUGIN, GITHUB)
    assert "gh needs its settings: `tutor lmsbridge credentials gh`" in out
    status = run_tutor(tmp_path, "lmsbridge", "status").stdout
    assert re.search(
        r"^gh +github +login +https://github.com +https://github.com +github$", status, re.M
    )
    data = credentials(tmp_path, "gh")
    assert data["settings"] == {}
    assert data["provider_redirect_uri"] == "http://local.openedx.io/auth/complete/github/"
    text = run_tutor(tmp_path, "lmsbridge", "credentials", "gh").stdout
    assert "#   http://local.openedx.io/auth/complete/github/" in text.splitlines()


@pytest.mark.parametrize(
    ("plugin", "source", "config", "made"),
    [
        ("moodle", MOODLE_PLUGIN, MOODLE, "OK OAuth2 application lmsbridge-moodle"),
        ("github", GITHUB_PLUGIN, GITHUB, "OK provider oa2-github"),
    ],
)
def test_the_init_job_makes_a_plugin_presets_objects(
    lms: Lms, tmp_path: Path, plugin: str, source: str, config: dict[str, Any], made: str
) -> None:
    """The jobs the real `tutor config save` rendered with the plugin, run on the database."""
    root = tmp_path / "tutor-root"
    saved(root, plugin, source, config)
    lms.load(root / "env", root)
    assert lms.run("init").status == 0
    verified = lms.run("verify")
    assert verified.status == 0, verified.lines
    assert any(made in line for line in verified.lines), verified.lines
    assert lms.run("init").writes == []  # a second run changes nothing


def test_the_core_knows_our_handover_profiles_by_name() -> None:
    """The core checks presets against HANDOVER_NAMES without importing the output layer."""
    from tutor_lmsbridge.core.presets import BUILTIN_PRESETS, HANDOVER_NAMES
    from tutor_lmsbridge.output.handovers import HANDOVERS

    assert tuple(HANDOVERS) == HANDOVER_NAMES
    assert {preset.handover_profile for preset in BUILTIN_PRESETS} == set(HANDOVER_NAMES)
