"""The plugin as an operator uses it: the real `tutor` command against a temporary root."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .support import tutor_helpers
from .support.edx_settings import load_lms_settings
from .support.samples import MITXONLINE
from .support.tutor_helpers import copy_root, fake_tools, run_tutor, set_args


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def saved_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tutor_helpers.saved_root(tmp_path_factory.mktemp("cli"), MITXONLINE)


@pytest.fixture
def configured_root(saved_root: Path, tmp_path: Path) -> Path:
    return copy_root(saved_root, tmp_path)


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
    # One line names the key, the problem and the fix, in the syntax of the command run.
    error_lines = [line for line in result.stderr.splitlines() if "LMSBRIDGE_" in line]
    assert error_lines == [
        "Error: lmsbridge: LMSBRIDGE_MITXONLINE_URL: 'mitxonline.odl.local:8013' must start "
        "with http:// or https://. Fix: give an absolute http(s) URL without query: "
        "tutor config save --set LMSBRIDGE_MITXONLINE_URL=https://app.example.com"
    ]
    assert "Traceback" not in result.stderr
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


def env_files(root: Path) -> dict[str, bytes]:
    return {path: data for path, data in snapshot(root).items() if path.startswith("env/")}


def test_disable_leaves_the_env_as_it_was_before_the_plugin(tmp_path: Path) -> None:
    """Enable, save, disable: env/ is byte for byte what it was before (Tutor's own cleanup
    removes our template target, the plugin its state), and config.yml keeps the operator's
    values, as Tutor keeps a disabled plugin's settings for when it is enabled again."""
    run_tutor(tmp_path, "config", "save")
    before = env_files(tmp_path)
    run_tutor(tmp_path, "plugins", "enable", "lmsbridge")
    run_tutor(tmp_path, "config", "save", *set_args(MITXONLINE))
    rendered = tmp_path / "env/build/openedx/lmsbridge/image"
    assert (rendered / "requirements.txt").is_file()
    assert (rendered / "openedx_plugin/lmsbridge_openedx/apps.py").is_file()
    assert (tmp_path / "env/plugins/lmsbridge/last-save.json").is_file()
    ours = {
        key: value
        for key, value in yaml.safe_load((tmp_path / "config.yml").read_text()).items()
        if key.startswith("LMSBRIDGE_")
    }
    result = run_tutor(tmp_path, "plugins", "disable", "lmsbridge")
    assert f"env - removing folder: {rendered}" in result.stdout  # Tutor's message
    assert env_files(tmp_path) == before
    kept = yaml.safe_load((tmp_path / "config.yml").read_text())
    assert {key: kept[key] for key in ours} == ours


def test_disabling_another_plugin_leaves_its_files_as_tutor_does(tmp_path: Path) -> None:
    """Our cleanup is for our plugin only: Tutor 22 leaves tutor-mfe's rendered folder behind
    when mfe is disabled, and so it stays with lmsbridge enabled; our files stay too."""
    run_tutor(tmp_path, "plugins", "enable", "mfe", "lmsbridge")
    run_tutor(tmp_path, "config", "save", *set_args(MITXONLINE))
    mfe_files = {path: data for path, data in env_files(tmp_path).items() if "/mfe/" in path}
    ours = {path: data for path, data in env_files(tmp_path).items() if "lmsbridge/" in path}
    assert any(path.startswith("env/plugins/mfe/") for path in mfe_files)
    assert "env/build/openedx/lmsbridge/image/requirements.txt" in ours
    run_tutor(tmp_path, "plugins", "disable", "mfe")
    after = env_files(tmp_path)
    assert {path: after[path] for path in mfe_files if path.startswith("env/plugins/")} == {
        path: data for path, data in mfe_files.items() if path.startswith("env/plugins/")
    }
    assert {path: after.get(path) for path in ours} == ours


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
        assert settings["ENABLE_AUTHN_MICROFRONTEND"] is False


def test_redirect_off_leaves_the_authn_mfe_alone(tmp_path: Path) -> None:
    run_tutor(tmp_path, "plugins", "enable", "mfe", "lmsbridge")
    run_tutor(
        tmp_path, "config", "save", *set_args({**MITXONLINE, "LMSBRIDGE_LOGIN_REDIRECT": "off"})
    )
    for mode in ("production", "development"):
        settings = load_lms_settings(tmp_path / "env", mode, tmp_path)
        assert settings["ENABLE_AUTHN_MICROFRONTEND"] is True  # tutor-mfe's value stands
        assert settings["MITX_REDIRECT_ENABLED"] is False


def test_do_command_and_init_task_are_registered(configured_root: Path) -> None:
    result = run_tutor(configured_root, "local", "do", "lmsbridge-init", "--help")
    assert "Create or update the Open edX objects" in result.stdout
    listed = run_tutor(configured_root, "local", "do", "--help").stdout
    assert "lmsbridge-init" in listed
    assert "lmsbridge-sync-courses" in listed
    sync = run_tutor(configured_root, "k8s", "do", "lmsbridge-sync-courses", "--help").stdout
    assert "Send every course run to the connected catalogs" in sync


def secrets_of(root: Path) -> list[str]:
    from tutor_lmsbridge.core.pipeline import plan_for
    from tutor_lmsbridge.output.masking import secret_values

    config = yaml.safe_load((root / "config.yml").read_text())
    plan = plan_for({"LMS_HOST": "local.openedx.io", **config})
    return secret_values(plan)


def test_local_do_runs_one_lms_job_with_no_secret_on_its_command_line(
    configured_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import os

    bin_dir, log, _ = fake_tools(tmp_path)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    run_tutor(configured_root, "local", "do", "lmsbridge-init")
    runs = [call for call in map(json.loads, log.read_text().splitlines()) if "run" in call]
    assert len(runs) == 1
    (call,) = runs
    assert call[call.index("run") :][:6] == ["run", "--rm", "-T", "lms-job", "sh", "-e"]
    script = call[-1]
    assert script.count("./manage.py lms shell") == 1
    secrets = secrets_of(configured_root)
    assert len(secrets) == 4
    for secret in secrets:
        assert secret not in " ".join(call)


def test_k8s_do_applies_one_job_with_no_secret(
    configured_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tutor k8s do lmsbridge-init`, in this process: a fake kubectl and a fake Kubernetes
    API client stand in for the cluster; the Job spec Tutor applies is captured."""

    from click.testing import CliRunner
    from tutor.commands.cli import cli

    from .support.tutor_helpers import load_plugin_in_process

    load_plugin_in_process()
    bin_dir, _, applied = fake_tools(tmp_path)
    tutor_helpers.fake_cluster(monkeypatch, bin_dir)

    result = CliRunner().invoke(
        cli, ["--root", str(configured_root), "k8s", "do", "lmsbridge-init"]
    )
    assert result.exit_code == 0, result.output
    job = yaml.safe_load(applied.read_text())
    container = job["spec"]["template"]["spec"]["containers"][0]
    script = container["args"][-1]
    assert job["metadata"]["name"].startswith("lms-job-")
    assert script.count("./manage.py lms shell") == 1
    spec_text = applied.read_text()
    for secret in secrets_of(configured_root):
        assert secret not in spec_text


def pending(root: Path) -> list[str]:
    lines = run_tutor(root, "lmsbridge", "status").stdout.splitlines()
    if "Pending:" not in lines:
        assert lines[-1].startswith("Nothing pending: every app was given its current settings")
        return []
    return [line.strip() for line in lines[lines.index("Pending:") + 1 :]]


def test_status_lists_what_is_pending_until_it_is_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hand-over (credentials printed) and the init job (succeeded) each clear their line;
    a change brings them back. A failed job clears nothing."""
    import os

    bin_dir, _, _ = fake_tools(tmp_path)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    root = tmp_path / "root"
    run_tutor(root, "plugins", "enable", "lmsbridge")
    config = {k: v for k, v in MITXONLINE.items() if "_CLIENT_" not in k}
    run_tutor(root, "config", "save", *set_args(config))
    init_line = (
        "the init job has not run since the Open edX objects changed: "
        "`tutor local|dev|k8s do lmsbridge-init` (or `launch`)"
    )
    hand_over = pending(root)
    assert hand_over[0].startswith(
        "mitxonline has not been given its current settings: run `tutor lmsbridge "
        "credentials mitxonline` and apply them there (that registers the login client"
    )
    assert hand_over[1:] == [init_line]

    run_tutor(root, "lmsbridge", "credentials", "mitxonline")
    assert pending(root) == [init_line]
    monkeypatch.setenv("FAKE_JOB_FAILS", "1")
    assert run_tutor(root, "local", "do", "lmsbridge-init", check=False).returncode != 0
    assert pending(root) == [init_line]
    monkeypatch.delenv("FAKE_JOB_FAILS")
    run_tutor(root, "local", "do", "lmsbridge-init")
    assert pending(root) == []

    # Another backend changes both what mitxonline needs and the objects.
    run_tutor(root, "lmsbridge", "set", "LMSBRIDGE_MITXONLINE_BACKEND=mitxpro-oauth2")
    assert pending(root) == [hand_over[0], init_line]
    # An app URL changes only the objects (the service user's OAuth2 redirect URIs).
    run_tutor(root, "lmsbridge", "credentials", "mitxonline")
    run_tutor(root, "local", "do", "lmsbridge-init")
    run_tutor(root, "lmsbridge", "set", "LMSBRIDGE_MITXONLINE_URL=https://mitx.example.org")
    assert pending(root) == [init_line]
    run_tutor(root, "lmsbridge", "credentials", "mitxonline", "--format", "json")
    # `do init` (and `launch`, which runs it) count too, when the whole command succeeded.
    monkeypatch.setenv("FAKE_JOB_FAILS", "1")
    assert run_tutor(root, "local", "do", "init", check=False).returncode != 0
    assert pending(root) == [init_line]
    monkeypatch.delenv("FAKE_JOB_FAILS")
    run_tutor(root, "local", "do", "init")
    assert pending(root) == []
