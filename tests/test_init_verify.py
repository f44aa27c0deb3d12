"""`do lmsbridge-init --dry-run` and `do lmsbridge-verify`, run against a real database.

As in test_init_job.py, the tasks are rendered by the real Tutor, the settings come from the
rendered production.py, and the Python the task feeds to `./manage.py lms shell` is executed
here, with `raise SystemExit(n)` standing for the shell's exit status.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tutor_lmsbridge.core.pipeline import plan_for
from tutor_lmsbridge.output.masking import secret_values

from .samples import KEYCLOAK, MITXONLINE, PLATFORM, combine, several_apps
from .tutor_helpers import init_python, render_env, render_init_task, run_tutor, set_args

SEED = {"LMSBRIDGE_SECRET_SEED": PLATFORM["LMSBRIDGE_SECRET_SEED"]}
WRITES = ("INSERT", "UPDATE", "DELETE")
# The settings of the rendered production.py that the jobs read.
LMS_SETTINGS = (
    "LMSBRIDGE_INIT_PLAN",
    "SOCIAL_AUTH_OAUTH_SECRETS",
    "SITE_ID",
    "AUTHENTICATION_BACKENDS",
    "ENABLE_THIRD_PARTY_AUTH",
    "MIDDLEWARE",
    "MITX_REDIRECT_ENABLED",
    "MITX_REDIRECT_LOGIN_URL",
    "ENABLE_AUTHN_MICROFRONTEND",
)


def name_task(name: str) -> str:
    """The task template behind ``name``, as plugin.py registers it."""
    from tutor_lmsbridge import plugin

    tasks = {"init": plugin.INIT_TASK, "dry": plugin.DRY_RUN_TASK, "verify": plugin.VERIFY_TASK}
    return tasks[name]


def task_python(tmp_path_factory: pytest.TempPathFactory, name: str) -> str:
    root = tmp_path_factory.mktemp(name)
    return init_python(render_init_task(root, {**MITXONLINE, **SEED}, name_task(name)))


@pytest.fixture(scope="module")
def codes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return {name: task_python(tmp_path_factory, name) for name in ("init", "dry", "verify")}


@pytest.fixture
def db(django_ready: None) -> Iterator[None]:
    """Each test in a transaction that is rolled back."""
    from django.db import transaction

    with transaction.atomic():
        yield
        transaction.set_rollback(True)


class Result:
    def __init__(self, lines: list[str], status: int, queries: list[str]) -> None:
        self.lines = lines
        self.status = status
        self.queries = queries

    @property
    def writes(self) -> list[str]:
        return [q for q in self.queries if q.split(" ", 1)[0] in WRITES]


class Lms:
    """Runs a job's Python the way `tutor local do ...` does, for one configuration."""

    def __init__(
        self, codes: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        self.codes = codes
        self.tmp_path = tmp_path
        self.capsys = capsys
        self.settings: dict[str, Any] = {}

    def configure(self, config: dict[str, Any]) -> None:
        from .edx_settings import load_lms_settings

        root = self.tmp_path / f"root{len(list(self.tmp_path.iterdir()))}"
        root.mkdir()
        env = render_env(root, {**config, **SEED})
        loaded = load_lms_settings(env, "production", root)
        self.settings = {name: loaded[name] for name in LMS_SETTINGS}

    def run(self, job: str) -> Result:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext, override_settings
        from edx_django_utils.cache import TieredCache

        # The database is rolled back after each test, but django-config-models' cache is
        # not: a provider row cached by an earlier test must not stand for this one's.
        TieredCache.dangerous_clear_all_tiers()
        self.capsys.readouterr()
        status = 0
        with override_settings(**self.settings), CaptureQueriesContext(connection) as queries:
            try:
                exec(compile(self.codes[job], f"lmsbridge-{job}", "exec"), {"__name__": job})  # noqa: S102
            except SystemExit as exc:
                status = int(exc.code or 0)
        sql = [q["sql"] for q in queries.captured_queries]
        return Result(self.capsys.readouterr().out.splitlines(), status, sql)


@pytest.fixture
def lms(db: None, codes: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Lms:
    return Lms(codes, tmp_path, capsys)


def database_state() -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables the init job writes."""
    from django.apps import apps

    models = [
        apps.get_model("auth", "User"),
        apps.get_model("student", "UserProfile"),
        apps.get_model("oauth2_provider", "Application"),
        apps.get_model("oauth2_provider", "AccessToken"),
        apps.get_model("third_party_auth", "OAuth2ProviderConfig"),
    ]
    return {m._meta.label: list(m.objects.order_by("pk").values()) for m in models}


def assert_all_writes_rolled_back(queries: list[str]) -> None:
    """Every write sits between a SAVEPOINT and the ROLLBACK TO that SAVEPOINT (the test's
    own transaction makes the job's atomic block a savepoint)."""
    open_savepoints: list[str] = []
    rolled_back = set()
    pending: dict[str, int] = {}
    for sql in queries:
        words = sql.split()
        if words[0] == "SAVEPOINT":
            open_savepoints.append(words[1])
            pending[words[1]] = 0
        elif words[:3] == ["ROLLBACK", "TO", "SAVEPOINT"]:
            rolled_back.add(words[3])
        elif words[:2] == ["RELEASE", "SAVEPOINT"]:
            name = words[2]
            assert pending[name] == 0 or name in rolled_back, f"writes released in {name}"
            open_savepoints.remove(name)
        elif words[0] in WRITES:
            assert open_savepoints, f"write outside the job's transaction: {sql}"
            pending[open_savepoints[-1]] += 1
    outer = [name for name, count in pending.items() if count]
    assert all(name in rolled_back for name in outer)


def strip_dry(lines: list[str]) -> list[str]:
    prefix = "lmsbridge: dry run: "
    assert all(line.startswith(prefix) for line in lines)
    return ["lmsbridge: " + line[len(prefix) :] for line in lines]


# ---- dry run ------------------------------------------------------------------------------


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


# ---- verification -------------------------------------------------------------------------


HEALTHY = [
    "lmsbridge: OK setting ENABLE_THIRD_PARTY_AUTH: on",
    "lmsbridge: OK backend ol-oauth2: ol_social_auth.backends.OLOAuth2 registered and importable",
    "lmsbridge: OK site 2 (SITE_ID): domain local.openedx.io",
    "lmsbridge: OK provider oa2-ol-oauth2: enabled and current for Site 2 (local.openedx.io), "
    "secret set",
    "lmsbridge: OK setting MIDDLEWARE: "
    "openedx_companion_auth.middleware.RedirectAnonymousUsersToLoginMiddleware installed",
    "lmsbridge: OK setting MITX_REDIRECT_LOGIN_URL: backend ol-oauth2 registered",
    "lmsbridge: OK setting ENABLE_AUTHN_MICROFRONTEND: off",
    "lmsbridge: OK OAuth2 application lmsbridge-mitxonline: 2 redirect URI(s) as planned",
    "lmsbridge: OK access token for mitxonline_serviceworker: valid until 2099-12-31",
    "lmsbridge: verify: 9 OK, 0 WARNING, 0 ERROR",
]


@pytest.fixture
def healthy(lms: Lms) -> Lms:
    lms.configure(MITXONLINE)
    assert lms.run("init").status == 0
    return lms


def test_healthy_setup_reports_only_ok(healthy: Lms) -> None:
    result = healthy.run("verify")
    assert result.lines == HEALTHY
    assert result.status == 0
    assert not result.writes


def newest_provider() -> Any:
    from django.apps import apps

    model = apps.get_model("third_party_auth", "OAuth2ProviderConfig")
    return model.objects.filter(backend_name="ol-oauth2").order_by("-change_date", "-id").first()


def admin_saves_provider(**changes: Any) -> None:
    """What Django admin does to a ConfigurationModel: a new row, copied and changed."""
    row = newest_provider()
    row.pk = None
    for name, value in changes.items():
        setattr(row, name, value)
    row.save()


def set_token_expiry(days: float) -> None:
    from django.utils import timezone
    from oauth2_provider.models import AccessToken

    token = AccessToken.objects.get(user__username="mitxonline_serviceworker")
    token.expires = timezone.now() + timedelta(days=days)
    token.save()


def drop_backend(lms: Lms) -> None:
    lms.settings["AUTHENTICATION_BACKENDS"] = [
        b for b in lms.settings["AUTHENTICATION_BACKENDS"] if "ol_social_auth" not in b
    ]


def unimportable_backend(lms: Lms) -> None:
    plan = json.loads(json.dumps(lms.settings["LMSBRIDGE_INIT_PLAN"]))
    plan["providers"][0]["backend_class"] = "ol_social_auth.gone.OLOAuth2"
    lms.settings["LMSBRIDGE_INIT_PLAN"] = plan
    lms.settings["AUTHENTICATION_BACKENDS"] = [
        "ol_social_auth.gone.OLOAuth2",
        *lms.settings["AUTHENTICATION_BACKENDS"],
    ]


def rows_on_another_site(lms: Lms) -> None:
    from django.apps import apps
    from django.contrib.sites.models import Site

    Site.objects.get_or_create(pk=1, defaults={"domain": "example.com", "name": "example.com"})
    model = apps.get_model("third_party_auth", "OAuth2ProviderConfig")
    model.objects.filter(backend_name="ol-oauth2").update(site_id=1)


def newest_row_on_another_site(lms: Lms, monkeypatch: pytest.MonkeyPatch) -> None:
    """Releases keying providers by backend name only: the newest row is the current one."""
    from django.apps import apps
    from django.contrib.sites.models import Site

    Site.objects.get_or_create(pk=1, defaults={"domain": "example.com", "name": "example.com"})
    model = apps.get_model("third_party_auth", "OAuth2ProviderConfig")
    monkeypatch.setattr(model, "KEY_FIELDS", ("backend_name",))
    admin_saves_provider(site_id=1)


def edit_redirect_uris(lms: Lms) -> None:
    from oauth2_provider.models import Application

    app = Application.objects.get(name="lmsbridge-mitxonline")
    app.redirect_uris = app.redirect_uris.split()[0] + " https://evil.example.com/complete"
    app.save()


def duplicate_site_domain(lms: Lms) -> None:
    from django.contrib.sites.models import Site

    Site.objects.create(pk=3, domain="LOCAL.openedx.io", name="copy")


def setting(name: str, value: Any) -> Callable[[Lms], None]:
    def change(lms: Lms) -> None:
        lms.settings[name] = value

    change.__name__ = f"{name}={value!r}"
    return change


def without_companion_middleware(lms: Lms) -> None:
    lms.settings["MIDDLEWARE"] = [
        m for m in lms.settings["MIDDLEWARE"] if not m.startswith("openedx_companion_auth")
    ]


BREAKS: list[tuple[Any, int, list[str]]] = [
    (
        drop_backend,
        4,
        [
            "ERROR backend ol-oauth2: ol_social_auth.backends.OLOAuth2 is not in "
            "AUTHENTICATION_BACKENDS; fix: run `tutor config save`",
            "ERROR setting MITX_REDIRECT_LOGIN_URL: backend ol-oauth2 is not registered",
        ],
    ),
    (
        unimportable_backend,
        4,
        [
            "ERROR backend ol-oauth2: ol_social_auth.gone.OLOAuth2 cannot be imported; "
            "fix: rebuild the openedx image"
        ],
    ),
    (
        setting("ENABLE_THIRD_PARTY_AUTH", False),
        4,
        ["ERROR setting ENABLE_THIRD_PARTY_AUTH: off"],
    ),
    (
        rows_on_another_site,
        4,
        [
            "ERROR provider oa2-ol-oauth2: no configuration for Site 2 (local.openedx.io); "
            "rows exist for Site(s) 1; fix: run `tutor local|dev|k8s do lmsbridge-init`"
        ],
    ),
    (
        newest_row_on_another_site,
        4,
        ["ERROR provider oa2-ol-oauth2: current configuration is bound to Site 1, not 2"],
    ),
    (
        duplicate_site_domain,
        4,
        ["ERROR site 2 (SITE_ID): domain local.openedx.io also names Site(s) 3"],
    ),
    (
        lambda lms: admin_saves_provider(enabled=False),
        4,
        ["ERROR provider oa2-ol-oauth2: current configuration is disabled; fix: run"],
    ),
    (
        setting("SOCIAL_AUTH_OAUTH_SECRETS", {}),
        4,
        [
            "ERROR provider oa2-ol-oauth2: no secret: the row's is empty and "
            "SOCIAL_AUTH_OAUTH_SECRETS has none for ol-oauth2; fix: set the app's CLIENT_SECRET"
        ],
    ),
    (
        lambda lms: admin_saves_provider(secret="pasted-in-admin"),
        0,
        ["WARNING provider oa2-ol-oauth2: a secret is stored in the row"],
    ),
    (
        setting("MITX_REDIRECT_LOGIN_URL", "/auth/login/nope-oauth2/?auth_entry=login"),
        4,
        ["ERROR setting MITX_REDIRECT_LOGIN_URL: backend nope-oauth2 is not registered"],
    ),
    (
        without_companion_middleware,
        4,
        [
            "ERROR setting MIDDLEWARE: MITX_REDIRECT_ENABLED but no openedx_companion_auth "
            "middleware; fix: rebuild the openedx image"
        ],
    ),
    (
        setting("MITX_REDIRECT_ENABLED", False),
        4,
        ["ERROR setting MITX_REDIRECT_ENABLED: off, lmsbridge turns it on"],
    ),
    (
        setting("ENABLE_AUTHN_MICROFRONTEND", True),
        4,
        ["ERROR setting ENABLE_AUTHN_MICROFRONTEND: on, lmsbridge turns it off"],
    ),
    (
        edit_redirect_uris,
        4,
        [
            "ERROR OAuth2 application lmsbridge-mitxonline: redirect_uris differ from the plan "
            "(1 missing, 1 unexpected, or reordered); fix: run"
        ],
    ),
    (
        lambda lms: set_token_expiry(10),
        0,
        [
            "WARNING access token for mitxonline_serviceworker: expires on ",
            " (in 10 days); ",
            "fix: set LMSBRIDGE_MITXONLINE_TOKEN_EXPIRES to a later date",
        ],
    ),
    (
        lambda lms: set_token_expiry(-1),
        4,
        ["ERROR access token for mitxonline_serviceworker: expired on "],
    ),
]


@pytest.mark.parametrize(
    ("breakage", "status", "expected"),
    BREAKS,
    ids=[
        "backend-missing",
        "backend-unimportable",
        "third-party-auth-off",
        "provider-rows-on-another-site",
        "newest-provider-row-on-another-site",
        "duplicate-site-domain",
        "provider-disabled",
        "secret-missing",
        "secret-in-row",
        "login-url-unregistered-backend",
        "companion-middleware-missing",
        "redirect-off",
        "authn-mfe-on",
        "redirect-uris-edited",
        "token-expires-in-10-days",
        "token-expired",
    ],
)
def test_each_breakage_is_named_with_its_fix(
    healthy: Lms,
    monkeypatch: pytest.MonkeyPatch,
    breakage: Any,
    status: int,
    expected: list[str],
) -> None:
    if breakage is newest_row_on_another_site:
        breakage(healthy, monkeypatch)
    else:
        breakage(healthy)
    result = healthy.run("verify")
    problems = [line for line in result.lines[:-1] if not line.startswith("lmsbridge: OK ")]
    # Each expected problem is its own line (a problem may span two fragments: subject, fix)...
    for fragment in expected:
        assert any(fragment in line for line in problems), (fragment, result.lines)
    # ...and nothing healthy is reported as broken: every other finding stays OK.
    subjects = {fragment.split(":")[0] for fragment in expected if not fragment.startswith("fix")}
    assert all(line.split(":")[1].strip() in subjects for line in problems), problems
    assert result.status == status
    assert not result.writes
    errors = sum(" ERROR " in line for line in result.lines[:-1])
    assert result.lines[-1].endswith(f", {errors} ERROR")


def test_nothing_connected_verifies_nothing(lms: Lms) -> None:
    lms.configure({})
    lms.settings = {"LMSBRIDGE_INIT_PLAN": None}
    result = lms.run("verify")
    assert result.lines == ["lmsbridge: verify: 0 OK, 0 WARNING, 0 ERROR"]
    assert result.status == 0


# ---- the rendered scripts, through the real Tutor -----------------------------------------


@pytest.mark.parametrize("job", ["dry", "verify"])
def test_rendered_script_boots_the_lms_once_and_holds_no_secret(tmp_path: Path, job: str) -> None:
    config = {**several_apps(3), **SEED}
    script = render_init_task(tmp_path, config, name_task(job))
    assert script.count("manage.py") == 1
    assert script.count("./manage.py lms shell") == 1
    plan = plan_for({**PLATFORM, **config})
    secrets = secret_values(plan)
    assert len(secrets) >= 3
    for secret in secrets:
        assert secret not in script
    call = init_python(script).strip().splitlines()[-1]
    empty = plan.empty_init_data()
    assert call == (f"run({empty!r}, dry_run=True)" if job == "dry" else f"verify({empty!r})")


FAKE_DOCKER = """#!{python}
import json, subprocess, sys
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(json.dumps(args) + "\\n")
if args[-3:] == ["ls", "--format", "json"]:  # docker compose ls
    print("[]")
if "run" in args:  # docker compose run --rm -T lms-job sh -e -c SCRIPT: run it here
    sys.exit(subprocess.run(args[args.index("sh"):], cwd={workdir!r}).returncode)
"""
# Stands for `./manage.py lms shell`: takes the Python on stdin and exits as the job would.
FAKE_MANAGE = '#!/bin/sh\ncat > "$(dirname "$0")/stdin.py"\nexit "${FAKE_MANAGE_EXIT:-0}"\n'


@pytest.mark.parametrize(("manage_exit", "tutor_fails"), [(3, True), (0, False)])
def test_local_do_dry_run_status_reaches_tutor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, manage_exit: int, tutor_fails: bool
) -> None:
    root, workdir, bin_dir = tmp_path / "root", tmp_path / "lms", tmp_path / "bin"
    for folder in (root, workdir, bin_dir):
        folder.mkdir()
    log = tmp_path / "calls.log"
    docker = bin_dir / "docker"
    docker.write_text(FAKE_DOCKER.format(python=sys.executable, log=str(log), workdir=str(workdir)))
    docker.chmod(0o755)
    (workdir / "manage.py").write_text(FAKE_MANAGE)
    (workdir / "manage.py").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_MANAGE_EXIT", str(manage_exit))
    run_tutor(root, "plugins", "enable", "lmsbridge")
    run_tutor(root, "config", "save", *set_args(MITXONLINE))

    result = run_tutor(root, "local", "do", "lmsbridge-init", "--dry-run", check=False)
    assert (result.returncode != 0) is tutor_fails, result.stderr
    runs = [call for call in map(json.loads, log.read_text().splitlines()) if "run" in call]
    assert len(runs) == 1  # one container, one LMS boot
    script = runs[0][-1]
    assert script.count("./manage.py lms shell") == 1
    assert (workdir / "stdin.py").read_text().strip().endswith(", dry_run=True)")
    import yaml

    config = yaml.safe_load((root / "config.yml").read_text())
    for secret in secret_values(plan_for({"LMS_HOST": "local.openedx.io", **config})):
        assert secret not in " ".join(runs[0])


def test_dry_run_and_verify_are_offered_by_tutor(tmp_path: Path) -> None:
    run_tutor(tmp_path, "plugins", "enable", "lmsbridge")
    init_help = run_tutor(tmp_path, "local", "do", "lmsbridge-init", "--help").stdout
    assert "--dry-run" in init_help
    verify_help = run_tutor(tmp_path, "local", "do", "lmsbridge-verify", "--help").stdout
    assert "OK/WARNING/ERROR" in verify_help
