"""The plugin as an operator uses it: the real `tutor` command against a temporary root."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .edx_settings import load_lms_settings
from .samples import MITXONLINE
from .tutor_helpers import run_tutor, set_args


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture
def configured_root(tmp_path: Path) -> Path:
    run_tutor(tmp_path, "plugins", "enable", "lmsbridge")
    run_tutor(tmp_path, "config", "save", *set_args(MITXONLINE))
    return tmp_path


def test_config_save_twice_is_byte_identical(configured_root: Path) -> None:
    first = snapshot(configured_root)
    config = yaml.safe_load((configured_root / "config.yml").read_text())
    assert len(config["LMSBRIDGE_SECRET_SEED"]) == 48  # generated once, kept in config.yml
    run_tutor(configured_root, "config", "save")
    assert snapshot(configured_root) == first


def test_invalid_value_stops_before_rendering(configured_root: Path) -> None:
    env_before = {k: v for k, v in snapshot(configured_root).items() if k.startswith("env/")}
    result = run_tutor(
        configured_root,
        "config",
        "save",
        "--set",
        "LMSBRIDGE_MITXONLINE_URL=mitxonline.odl.local:8013",
        check=False,
    )
    assert result.returncode != 0
    # Tutor's hook runner adds its own "Error applying action" line; ours is the one with the
    # key, the problem and the fix.
    error_lines = [line for line in result.stderr.splitlines() if "LMSBRIDGE_" in line]
    assert error_lines == [
        "Error: lmsbridge: LMSBRIDGE_MITXONLINE_URL: 'mitxonline.odl.local:8013' must start "
        "with http:// or https://. Fix: give an absolute URL such as https://app.example.com "
        "(http or https, no query)"
    ]
    env_after = {k: v for k, v in snapshot(configured_root).items() if k.startswith("env/")}
    assert env_after == env_before
    # The operator can fix it with the next save.
    run_tutor(
        configured_root,
        "config",
        "save",
        "--set",
        "LMSBRIDGE_MITXONLINE_URL=http://mitxonline.odl.local:8013",
    )


def test_disable_removes_every_patch_and_prints_no_secret(configured_root: Path) -> None:
    config = yaml.safe_load((configured_root / "config.yml").read_text())
    secrets = [
        config["LMSBRIDGE_SECRET_SEED"],
        MITXONLINE["LMSBRIDGE_MITXONLINE_CLIENT_SECRET"],
    ]
    production = configured_root / "env/apps/openedx/settings/lms/production.py"
    assert "LMSBRIDGE_INIT_PLAN" in production.read_text()
    result = run_tutor(configured_root, "plugins", "disable", "lmsbridge")
    output = result.stdout + result.stderr
    for secret in secrets:
        assert secret not in output
    for path in (configured_root / "env").rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert "lmsbridge" not in text.lower(), path
            for secret in secrets:
                assert secret not in text, path
    assert not (configured_root / "env/build/openedx/lmsbridge").exists()


def test_runs_alongside_tutor_mfe(tmp_path: Path) -> None:
    run_tutor(tmp_path, "plugins", "enable", "mfe", "lmsbridge")
    run_tutor(tmp_path, "config", "save", *set_args(MITXONLINE))
    env = tmp_path / "env"
    for mode in ("production", "development"):
        source = (env / f"apps/openedx/settings/lms/{mode}.py").read_text()
        # tutor-mfe turns the authn MFE on; our mode-specific patch comes after it.
        assert "FEATURES['ENABLE_AUTHN_MICROFRONTEND'] = True" in source
        assert source.rindex("ENABLE_AUTHN_MICROFRONTEND = False") > source.rindex(
            "FEATURES['ENABLE_AUTHN_MICROFRONTEND'] = True"
        )
        settings = load_lms_settings(env, mode, tmp_path)
        assert "MFE_CONFIG" in settings
        assert settings["MITX_REDIRECT_ENABLED"] is True


def test_redirect_off_leaves_the_authn_mfe_alone(tmp_path: Path) -> None:
    run_tutor(tmp_path, "plugins", "enable", "mfe", "lmsbridge")
    run_tutor(
        tmp_path, "config", "save", *set_args({**MITXONLINE, "LMSBRIDGE_LOGIN_REDIRECT": "off"})
    )
    source = (tmp_path / "env/apps/openedx/settings/lms/production.py").read_text()
    assert "ENABLE_AUTHN_MICROFRONTEND = False" not in source


def test_do_command_and_init_task_are_registered(configured_root: Path) -> None:
    result = run_tutor(configured_root, "local", "do", "lmsbridge-init", "--help")
    assert "Create or update the Open edX objects" in result.stdout
    listed = run_tutor(configured_root, "local", "do", "--help").stdout
    assert "lmsbridge-init" in listed
