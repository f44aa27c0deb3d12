"""Another plugin adds a preset through our LMSBRIDGE_PRESETS filter, without forking."""

from __future__ import annotations

from pathlib import Path

from .support.tutor_helpers import run_tutor, set_args

CAMPUS_PLUGIN = """
from tutor_lmsbridge.core.presets import Preset
from tutor_lmsbridge.hooks import Filters

Filters.LMSBRIDGE_PRESETS.add_item(
    Preset(name="campus", title="Campus login", identity_provider=True, api_client=False,
           protocol="oidc", login_button=True)
)
"""


def test_a_plugin_preset_is_used_like_ours(tmp_path: Path) -> None:
    (tmp_path / "yaml-plugins").mkdir(parents=True)
    (tmp_path / "yaml-plugins" / "campus.py").write_text(CAMPUS_PLUGIN)
    run_tutor(tmp_path, "plugins", "enable", "lmsbridge", "campus")
    config = {
        "LMSBRIDGE_APPS": ["uni"],
        "LMSBRIDGE_UNI_PRESET": "campus",
        "LMSBRIDGE_UNI_URL": "https://login.uni.example/realms/all",
        "LMSBRIDGE_UNI_CLIENT_ID": "openedx",
        "LMSBRIDGE_UNI_CLIENT_SECRET": "from-the-campus",
    }
    run_tutor(tmp_path, "config", "save", *set_args(config))
    settings = (tmp_path / "env/apps/openedx/settings/lms/production.py").read_text()
    assert "lmsbridge_openedx.oidc.OIDC_uni" in settings
    assert "'Campus login'" in settings
    assert run_tutor(tmp_path, "lmsbridge", "check").stdout.splitlines()[-1] == (
        "0 error(s), 0 warning(s)"
    )
    # Without the other plugin the preset is unknown: the env is not rendered, said in one line.
    disabled = run_tutor(tmp_path, "plugins", "disable", "campus", check=False)
    assert "Error: lmsbridge: LMSBRIDGE_UNI_PRESET: unknown preset 'campus'" in disabled.stderr
    assert (
        "lmsbridge_openedx.oidc.OIDC_uni"
        in (tmp_path / "env/apps/openedx/settings/lms/production.py").read_text()
    )
