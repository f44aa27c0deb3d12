"""Input as operators type it, through the real `tutor` command: each failure issue #9 found
by trying ~70 careless inputs, reproduced, and what happens now. No input gives a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tutor_lmsbridge.core.pipeline import plan_for
from tutor_lmsbridge.output import save_notices

from .support.samples import MITXONLINE, PLATFORM
from .support.tutor_helpers import copy_root, enable_lmsbridge, run_tutor, set_args

APP = "LMSBRIDGE_MITXONLINE_"


@pytest.fixture(scope="module")
def saved_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root with MITxOnline connected (client pending) and the seed saved."""
    path = tmp_path_factory.mktemp("input")
    enable_lmsbridge(path)
    run_tutor(path, "config", "save")
    base = {k: v for k, v in MITXONLINE.items() if "CLIENT_" not in k}
    run_tutor(path, "config", "save", *set_args(base))
    return path


@pytest.fixture
def root(saved_root: Path, tmp_path: Path) -> Path:
    """Each test changes its own copy of the saved root."""
    return copy_root(saved_root, tmp_path)


def saved(root: Path) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((root / "config.yml").read_text())
    return config


def env_bytes(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in (root / "env").rglob("*") if p.is_file()
    }


def no_traceback(*outputs: str) -> None:
    for output in outputs:
        assert "Traceback" not in output


@pytest.mark.parametrize("command", ["lmsbridge-set", "config-save"])
@pytest.mark.parametrize(
    ("setting", "typed"),
    [
        ("CLIENT_ID", "0123"),
        ("CLIENT_SECRET", "0777"),
        ("CLIENT_SECRET", "0x1F"),
        ("CLIENT_SECRET", "*abc"),
        ("CLIENT_ID", "abc#def"),
        ("TOKEN_EXPIRES", "2030-06-30"),
    ],
)
def test_text_values_are_kept_exactly_as_typed(
    root: Path, command: str, setting: str, typed: str
) -> None:
    other = "CLIENT_SECRET" if setting == "CLIENT_ID" else "CLIENT_ID"
    pair = [f"{APP}{setting}={typed}"]
    if setting.startswith("CLIENT_"):
        pair.append(f"{APP}{other}=the-other-half")
    if command == "lmsbridge-set":
        result = run_tutor(root, "lmsbridge", "set", *pair)
    else:
        result = run_tutor(root, "config", "save", *[a for p in pair for a in ("--set", p)])
    no_traceback(result.stdout, result.stderr)
    assert saved(root)[f"{APP}{setting}"] == typed
    plan = plan_for({**saved(root), "LMS_HOST": "local.openedx.io"})
    values = {
        "CLIENT_ID": plan.providers[0].key if plan.providers else None,
        "CLIENT_SECRET": plan.lms.oauth_secrets.get("ol-oauth2"),
        "TOKEN_EXPIRES": plan.tokens[0].expires[:10],
    }
    assert values[setting] == typed


def test_a_space_before_hash_is_text_too(root: Path) -> None:
    run_tutor(root, "lmsbridge", "set", f"{APP}PROVIDER_NAME=abc #def")
    assert saved(root)[f"{APP}PROVIDER_NAME"] == "abc #def"


@pytest.mark.parametrize("command", ["lmsbridge-set", "config-save"])
def test_an_impossible_date_is_one_line_not_a_traceback(root: Path, command: str) -> None:
    assignment = f"{APP}TOKEN_EXPIRES=2099-13-45"
    if command == "lmsbridge-set":
        result = run_tutor(root, "lmsbridge", "set", assignment, check=False)
        fix = f"tutor lmsbridge set {APP}TOKEN_EXPIRES=2030-06-30"
    else:
        result = run_tutor(root, "config", "save", "--set", assignment, check=False)
        fix = f"tutor config save --set {APP}TOKEN_EXPIRES=2030-06-30"
    assert result.returncode != 0
    no_traceback(result.stderr)
    lines = [line for line in result.stderr.splitlines() if "TOKEN_EXPIRES" in line]
    assert len(lines) == 1
    assert "'2099-13-45' is not a date (month must be in 1..12)" in lines[0]
    assert lines[0].endswith(fix)


@pytest.mark.parametrize("command", ["lmsbridge-set", "config-save"])
@pytest.mark.parametrize("typed", ["Verified", "verify", " never", "yes", "true", "0"])
def test_a_link_policy_other_than_the_three_is_one_line(
    root: Path, command: str, typed: str
) -> None:
    """LINK_BY_EMAIL guards accounts: a near miss is refused, never read as some policy."""
    key = f"{APP}LINK_BY_EMAIL"
    if command == "lmsbridge-set":
        result = run_tutor(root, "lmsbridge", "set", f"{key}={typed}", check=False)
    else:
        result = run_tutor(root, "config", "save", "--set", f"{key}={typed}", check=False)
    assert result.returncode != 0
    no_traceback(result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if key in line]
    assert len(lines) == 1, result.stderr
    syntax = "tutor lmsbridge set" if command == "lmsbridge-set" else "tutor config save --set"
    assert lines[0].endswith(f"{syntax} {key}=verified"), lines[0]
    if command == "lmsbridge-set":
        assert key not in saved(root)  # `tutor config save` keeps it, as for any bad value


def test_a_link_policy_is_saved_and_rendered_per_provider_id(root: Path) -> None:
    run_tutor(root, "lmsbridge", "set", f"{APP}LINK_BY_EMAIL=never")
    assert saved(root)[f"{APP}LINK_BY_EMAIL"] == "never"
    plan = plan_for({**saved(root), "LMS_HOST": "local.openedx.io"})
    assert plan.lms.link_by_email == {"oa2-ol-oauth2": "never"}


def test_a_number_in_a_hand_edited_config_is_refused_with_quote_it(root: Path) -> None:
    (root / "config.yml").write_text(
        (root / "config.yml").read_text() + f"{APP}CLIENT_ID: 0123\n{APP}CLIENT_SECRET: abc\n"
    )
    result = run_tutor(root, "lmsbridge", "check", check=False)
    assert result.returncode == 1
    assert "YAML read the value as the number 83, not text" in result.stdout
    assert "quote it" in result.stdout


@pytest.mark.parametrize("seed", ["", "abc", "x" * 31])
def test_a_weak_seed_is_refused(root: Path, seed: str) -> None:
    before = (root / "config.yml").read_text()
    result = run_tutor(root, "lmsbridge", "set", f"LMSBRIDGE_SECRET_SEED={seed}", check=False)
    assert result.returncode != 0
    no_traceback(result.stderr)
    if seed:
        assert "at least 32 are needed" in result.stderr
    assert (root / "config.yml").read_text() == before


def test_unset_regenerates_the_seed(root: Path) -> None:
    old = saved(root)["LMSBRIDGE_SECRET_SEED"]
    run_tutor(root, "lmsbridge", "set", "--unset", "LMSBRIDGE_SECRET_SEED")
    new = saved(root)["LMSBRIDGE_SECRET_SEED"]
    assert new != old
    assert len(new) >= 32
    run_tutor(root, "lmsbridge", "set", "--unset", f"{APP}INTERNAL_URL")
    assert f"{APP}INTERNAL_URL" not in saved(root)


def test_credentials_refuse_while_the_seed_is_not_saved(tmp_path: Path) -> None:
    run_tutor(tmp_path, "plugins", "enable", "lmsbridge")
    (tmp_path / "config.yml").write_text(
        yaml.safe_dump({**yaml.safe_load((tmp_path / "config.yml").read_text()), **MITXONLINE})
    )
    result = run_tutor(tmp_path, "lmsbridge", "credentials", "mitxonline", check=False)
    assert result.returncode != 0
    assert "LMSBRIDGE_SECRET_SEED: not saved in config.yml yet" in result.stderr
    assert "OPENEDX_SERVICE_WORKER_API_TOKEN" not in result.stdout


@pytest.mark.parametrize(
    ("assignment", "words"),
    [
        ("LMSBRIDGE_LOGIN_REDIRCT=false", "did you mean LMSBRIDGE_LOGIN_REDIRECT?"),
        (f"{APP}BACKEND_CLASS=a.B", "the mitxonline preset does not use BACKEND_CLASS"),
        (f"{APP}SLUG={'s' * 31}", "31 characters long, at most 30 are accepted"),
        (f"{APP}SLUG=Not_A_Slug", "has characters or a form that is not allowed"),
    ],
)
def test_typos_and_keys_the_preset_does_not_use_are_errors(
    root: Path, assignment: str, words: str
) -> None:
    result = run_tutor(root, "lmsbridge", "set", assignment, check=False)
    assert result.returncode != 0
    assert words in result.stderr
    assert "--set" not in result.stderr  # the fix is in `lmsbridge set` syntax
    no_traceback(result.stderr)


def test_keys_of_an_unlisted_app_only_warn(root: Path) -> None:
    result = run_tutor(root, "lmsbridge", "set", "LMSBRIDGE_OLDAPP_URL=https://old.example.com")
    assert "LMSBRIDGE_OLDAPP_URL: not used by any connected app" in result.stderr


def test_other_settings_keep_json_types(root: Path) -> None:
    run_tutor(
        root,
        "lmsbridge",
        "set",
        f"{APP}CLIENT_ID=c",
        f"{APP}CLIENT_SECRET=s",
        f"{APP}OTHER_SETTINGS={{JWT_LEEWAY: 30, X_LIST: [a, 1], X_ON: true, X_NONE: null}}",
    )
    plan = plan_for({**saved(root), "LMS_HOST": "local.openedx.io"})
    other = plan.providers[0].other_settings
    assert (other["JWT_LEEWAY"], other["X_LIST"], other["X_ON"], other["X_NONE"]) == (
        30,
        ["a", 1],
        True,
        None,
    )


def test_a_bad_save_leaves_other_commands_working(root: Path) -> None:
    bad = run_tutor(root, "config", "save", "--set", f"{APP}URL=nohost", check=False)
    assert bad.returncode != 0
    printed = run_tutor(root, "config", "printvalue", "LMS_HOST")
    assert printed.stdout.strip() == "local.openedx.io"
    assert f"{APP}URL: 'nohost' must start with http" in printed.stderr
    # Jobs are refused before anything starts (no Docker is reached here).
    job = run_tutor(root, "local", "do", "lmsbridge-init", check=False)
    assert job.returncode != 0
    assert "docker compose" not in job.stdout + job.stderr
    assert [line for line in job.stderr.splitlines() if f"{APP}URL" in line][-1].startswith(
        "Error: lmsbridge:"
    )
    run_tutor(root, "plugins", "disable", "lmsbridge")


def test_after_save_says_the_init_job_must_run_again(root: Path) -> None:
    result = run_tutor(root, "lmsbridge", "set", f"{APP}CLIENT_ID=c", f"{APP}CLIENT_SECRET=s")
    assert "run `tutor local|dev|k8s do lmsbridge-init`" in result.stderr
    again = run_tutor(root, "config", "save")
    assert "lmsbridge-init" not in again.stderr  # said once
    plan = plan_for({**PLATFORM, **MITXONLINE})
    messages = save_notices.messages(plan, {}, save_notices.fingerprints(plan, "s"), "dev")
    assert any("tutor images build openedx-dev" in line for line in messages)
    assert any("`tutor dev do lmsbridge-init`" in line for line in messages)


def test_same_config_same_bytes_whichever_command_rendered_it(root: Path) -> None:
    run_tutor(root, "lmsbridge", "set", f"{APP}OTHER_SETTINGS={{ZZZ: 1, AAA: 2}}")
    by_set = env_bytes(root)
    run_tutor(root, "config", "save")
    assert env_bytes(root) == by_set


def test_jinja_markers_are_refused_without_showing_the_value(root: Path) -> None:
    result = run_tutor(
        root, "config", "save", "--set", f"{APP}CLIENT_SECRET=s3cr{{%et", check=False
    )
    assert result.returncode != 0
    assert "cannot contain" in result.stderr
    assert "s3cr" not in result.stderr
    no_traceback(result.stderr)
