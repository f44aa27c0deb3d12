"""`do lmsbridge-init --dry-run` against a real database: it writes nothing (query capture)
and reports what the real run then does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tutor_lmsbridge.core.pipeline import plan_for
from tutor_lmsbridge.output.masking import secret_values

from .support.lms_jobs import (
    SEED,
    TASKS,
    WRITES,
    Lms,
    assert_local_do,
    job_codes,
    local_do,
    name_task,
)
from .support.samples import (
    ADFS,
    KEYCLOAK,
    MITXONLINE,
    OIDC,
    PLATFORM,
    combine,
    several_apps,
    sp_private_key,
)
from .support.tutor_helpers import init_python, render_init_task, run_tutor


@pytest.fixture(scope="module")
def codes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return job_codes(tmp_path_factory, ["init", "dry"])


def database_state() -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables the init job writes."""
    from django.apps import apps

    models = [
        apps.get_model("auth", "User"),
        apps.get_model("student", "UserProfile"),
        apps.get_model("oauth2_provider", "Application"),
        apps.get_model("oauth2_provider", "AccessToken"),
        apps.get_model("third_party_auth", "OAuth2ProviderConfig"),
        apps.get_model("third_party_auth", "SAMLConfiguration"),
        apps.get_model("third_party_auth", "SAMLProviderConfig"),
        apps.get_model("third_party_auth", "SAMLProviderData"),
    ]
    return {m._meta.label: list(m.objects.order_by("pk").values()) for m in models}


def assert_all_writes_rolled_back(queries: list[str]) -> None:
    """Every write sits inside a SAVEPOINT that is then rolled back (ROLLBACK TO it): the
    test's own transaction makes the job's atomic blocks savepoints."""
    open_savepoints: list[str] = []
    rolled_back: set[str] = set()
    writes: list[tuple[str, tuple[str, ...]]] = []  # each write with its enclosing savepoints
    for sql in queries:
        words = sql.split()
        if words[0] == "SAVEPOINT":
            open_savepoints.append(words[1])
        elif words[:3] == ["ROLLBACK", "TO", "SAVEPOINT"]:
            rolled_back.add(words[3])
        elif words[:2] == ["RELEASE", "SAVEPOINT"]:
            open_savepoints.remove(words[2])
        elif words[0] in WRITES:
            assert open_savepoints, f"write outside the job's transaction: {sql}"
            writes.append((sql, tuple(open_savepoints)))
    for sql, enclosing in writes:
        assert rolled_back.intersection(enclosing), f"write not rolled back: {sql}"


def strip_dry(lines: list[str]) -> list[str]:
    prefix = "lmsbridge: dry run: "
    assert all(line.startswith(prefix) for line in lines)
    return ["lmsbridge: " + line[len(prefix) :] for line in lines]


def keycloak_removed_and_renamed(lms: Lms) -> None:
    lms.configure(combine(MITXONLINE, KEYCLOAK))
    lms.run("init")
    lms.configure({**MITXONLINE, "LMSBRIDGE_MITXONLINE_PROVIDER_NAME": "MITx Online (staging)"})


def ten_apps_from_scratch(lms: Lms) -> None:
    lms.configure(several_apps(10))


@pytest.mark.parametrize("arrange", [ten_apps_from_scratch, keycloak_removed_and_renamed])
def test_dry_run_writes_nothing_and_reports_what_the_real_run_does(
    lms: Lms, arrange: Callable[[Lms], None]
) -> None:
    arrange(lms)
    before = database_state()
    dry = lms.run("dry")
    assert dry.status == 3
    assert dry.writes  # the job did its work, inside the transaction...
    assert_all_writes_rolled_back(dry.queries)  # ...and undid it
    assert database_state() == before
    assert dry.lines[-1].startswith("lmsbridge: dry run: rolled back, nothing written; ")

    real = lms.run("init")
    assert real.status == 0
    assert strip_dry(dry.lines[:-1]) == real.lines
    assert any(not line.endswith("unchanged") for line in real.lines[:-1])

    again = lms.run("dry")
    assert again.status == 0
    assert again.queries
    assert not again.writes
    assert again.lines[-1] == (
        "lmsbridge: dry run: rolled back, nothing written; nothing would change"
    )
    assert strip_dry(again.lines[:-1]) == lms.run("init").lines


def test_dry_run_names_fields_never_values(lms: Lms) -> None:
    keycloak_removed_and_renamed(lms)
    dry = lms.run("dry")
    assert "lmsbridge: dry run: provider oa2-ol-oauth2: updated (name)" in dry.lines
    assert "lmsbridge: dry run: provider oa2-keycloak: disabled" in dry.lines
    text = "\n".join(dry.lines)
    assert "staging" not in text
    for secret in secret_values(plan_for({**PLATFORM, **combine(MITXONLINE, KEYCLOAK), **SEED})):
        assert secret not in text


def test_a_dry_run_that_fails_midway_writes_nothing(lms: Lms) -> None:
    """The users and the application are made before the Site is looked up; the failure
    undoes them with the rest."""
    from django.contrib.sites.models import Site

    lms.configure(MITXONLINE)
    Site.objects.filter(pk=2).delete()
    before = database_state()
    with pytest.raises(RuntimeError, match=r"no Site with id 2 \(SITE_ID\)"):
        lms.run("dry")
    assert database_state() == before


# ---- the rendered script, through the real Tutor ------------------------------------------


def test_rendered_script_boots_the_lms_once_and_holds_no_secret(tmp_path: Path) -> None:
    config = {**several_apps(3), **SEED}
    script = render_init_task(tmp_path, config, name_task("dry"))
    assert script.count("manage.py") == 1
    assert script.count("./manage.py lms shell") == 1
    plan = plan_for({**PLATFORM, **config})
    secrets = secret_values(plan)
    assert len(secrets) >= 3
    for secret in secrets:
        assert secret not in script
    # The Python is the shipped files, verbatim (Jinja did not touch them), then one call
    # whose argument, if any, holds constants only.
    python = init_python(script)
    position = 0
    for name in ["init_objects.py", "init_dry_run.py"]:
        position = python.index((TASKS / name).read_text(), position)
    call = python.strip().splitlines()[-1]
    assert call == f"dry_run({plan.empty_init_data()!r})"


def test_dry_run_defines_all_that_the_init_job_defines(tmp_path: Path) -> None:
    """The dry run's Python is the init job's, then the dry-run wrapper: a part included
    into the init task (the SAML part, say) must be included into the dry run too."""
    config = {**several_apps(3), **SEED}
    init = init_python(render_init_task(tmp_path, config, name_task("init")))
    dry = init_python(render_init_task(tmp_path, config, name_task("dry")))
    lines = init[: init.rindex("\nrun(")].rstrip().splitlines()
    while lines[-1].startswith("#"):  # the comment on the init task's own call
        lines.pop()
    assert dry.startswith("\n".join(lines))
    assert "\nrun(" not in dry  # the dry run calls run() from dry_run() only


@pytest.mark.parametrize(("manage_exit", "fails"), [(3, True), (0, False)])
def test_local_do_dry_run_status_reaches_tutor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, manage_exit: int, fails: bool
) -> None:
    done = local_do(tmp_path, monkeypatch, ["lmsbridge-init", "--dry-run"], manage_exit)
    assert_local_do(done, fails, "dry_run(")


def test_a_dry_run_is_not_recorded_as_an_init_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`status` lists the init job as pending until it ran: a dry run that succeeded applied
    nothing, so it leaves the job pending; the real job, run the same way, does not."""
    from tutor_lmsbridge.output.pending import PROGRESS_FILE
    from tutor_lmsbridge.output.save_notices import read_state

    done = local_do(tmp_path, monkeypatch, ["lmsbridge-init", "--dry-run"], 0)
    assert_local_do(done, False, "dry_run(")
    progress = done.root / "env" / Path(*PROGRESS_FILE)
    assert "init" not in read_state(str(progress))
    run_tutor(done.root, "local", "do", "lmsbridge-init")
    assert "init" in read_state(str(progress))


def test_dry_run_is_offered_by_tutor(tmp_path: Path) -> None:
    run_tutor(tmp_path, "plugins", "enable", "lmsbridge")
    init_help = run_tutor(tmp_path, "local", "do", "lmsbridge-init", "--help").stdout
    assert "--dry-run" in init_help
    assert "Exits 3 when something would change" in " ".join(init_help.split())


def test_dry_run_of_a_saml_provider_writes_and_fetches_nothing(lms: Lms) -> None:
    """The SAML rows are planned like the others; the metadata (pulled, or stored from the
    inline XML) is left to the real run: a rollback would not undo a fetch or the current()
    rows it caches."""
    lms.configure(combine(MITXONLINE, ADFS))
    before = database_state()
    dry = lms.run("dry")
    assert dry.status == 3
    assert_all_writes_rolled_back(dry.queries)
    assert database_state() == before
    assert "lmsbridge: dry run: SAML metadata: not fetched in a dry run (the real run does)" in (
        dry.lines
    )
    assert "lmsbridge: dry run: SAML provider saml-adfs: created" in dry.lines

    real = lms.run("init")
    assert real.status == 0
    rows = [line for line in real.lines if "SAML metadata" not in line]
    assert strip_dry([line for line in dry.lines[:-1] if "SAML metadata" not in line]) == rows
    assert any("SAML metadata of saml-adfs (inline): new" in line for line in real.lines)
    assert lms.run("dry").status == 0


# 0.1.0 set every provider flag to true; an existing installation still has those rows.
OLD_FLAG_DEFAULTS = {
    "SKIP_HINTED_LOGIN_DIALOG": True,
    "SKIP_REGISTRATION_FORM": True,
    "SKIP_EMAIL_VERIFICATION": True,
    "SYNC_LEARNER_PROFILE_DATA": True,
    "ENABLE_SSO_ID_VERIFICATION": True,
}
# The SP key pair stays the one config.yml keeps: only the defaults move.
UPGRADED = {
    **combine(MITXONLINE, OIDC, KEYCLOAK, ADFS),
    "LMSBRIDGE_SP_PRIVATE_KEY": sp_private_key(),
}


def test_trust_defaults_reach_an_existing_installation_as_one_history_row(lms: Lms) -> None:
    """Issue #19 on an installation made with the old defaults: the dry run names the flags
    that change, field by field and never a value; the next init writes one new row per
    provider (history kept, the old row untouched); the run after writes nothing."""
    from django.apps import apps

    old = dict(UPGRADED)
    for app in UPGRADED["LMSBRIDGE_APPS"]:
        old.update({f"LMSBRIDGE_{app.upper()}_{key}": on for key, on in OLD_FLAG_DEFAULTS.items()})
    lms.configure(old)
    assert lms.run("init").status == 0
    assert lms.run("dry").status == 0  # settled

    lms.configure(UPGRADED)  # the operator upgrades and saves: the new defaults apply
    before = database_state()
    dry = lms.run("dry")
    assert dry.status == 3
    assert database_state() == before
    changed = [line for line in dry.lines if ": updated (" in line]
    assert changed == [
        "lmsbridge: dry run: provider oa2-ol-oauth2: updated (enable_sso_id_verification)",
        "lmsbridge: dry run: provider oa2-sso: updated (enable_sso_id_verification)",
        "lmsbridge: dry run: provider oa2-keycloak: updated "
        "(skip_email_verification, enable_sso_id_verification)",
        "lmsbridge: dry run: SAML provider saml-adfs: updated (enable_sso_id_verification)",
    ]

    real = lms.run("init")
    assert real.status == 0
    assert strip_dry([line for line in dry.lines[:-1] if "SAML metadata" not in line]) == [
        line for line in real.lines if "SAML metadata" not in line
    ]
    oauth2 = apps.get_model("third_party_auth", "OAuth2ProviderConfig")
    for backend in ("ol-oauth2", "sso", "keycloak"):
        rows = list(oauth2.objects.filter(backend_name=backend).order_by("change_date", "id"))
        assert len(rows) == 2, backend  # one history row
        assert rows[0].enable_sso_id_verification
        assert rows[0].skip_email_verification
        assert not rows[1].enable_sso_id_verification
        assert rows[1].skip_email_verification == (backend != "keycloak")
    saml = apps.get_model("third_party_auth", "SAMLProviderConfig")
    rows = list(saml.objects.filter(slug="adfs").order_by("change_date", "id"))
    assert [row.enable_sso_id_verification for row in rows] == [True, False]
    assert rows[1].skip_email_verification  # an institution's directory

    again = lms.run("dry")
    assert again.status == 0
    assert not again.writes
