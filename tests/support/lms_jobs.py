"""Running the plugin's LMS jobs (init, its dry run, verification) the way
`tutor local do ...` does: the tasks rendered by the real Tutor, the settings taken from the
rendered production.py, and the Python each task feeds to `./manage.py lms shell` executed
in this process on the test database, with `raise SystemExit(n)` standing for the shell's
exit status. Also a `tutor local do` whose docker runs the job's shell here."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tutor_lmsbridge.core.pipeline import plan_for
from tutor_lmsbridge.output.masking import secret_values

from .samples import MITXONLINE, PLATFORM
from .tutor_helpers import (
    enable_lmsbridge,
    init_python,
    render_env,
    render_init_task,
    run_tutor,
    set_args,
)

SEED = {"LMSBRIDGE_SECRET_SEED": PLATFORM["LMSBRIDGE_SECRET_SEED"]}
TASKS = Path(__file__).parents[2] / "tutor_lmsbridge" / "templates" / "lmsbridge" / "tasks" / "lms"
WRITES = ("INSERT", "UPDATE", "DELETE")
# The settings of the rendered production.py that the jobs read.
LMS_SETTINGS = (
    "LMSBRIDGE_INIT_PLAN",
    "LMSBRIDGE_VERIFY_PLAN",
    "LMSBRIDGE_LINK_BY_EMAIL",
    "LMS_BASE",
    "ALLOWED_HOSTS",
    "SOCIAL_AUTH_OAUTH_SECRETS",
    "SOCIAL_AUTH_SAML_SP_PRIVATE_KEY",
    "SOCIAL_AUTH_SAML_SP_PRIVATE_KEY_DICT",
    "SOCIAL_AUTH_SAML_SP_PUBLIC_CERT",
    "SOCIAL_AUTH_SAML_SP_PUBLIC_CERT_DICT",
    "SITE_ID",
    "AUTHENTICATION_BACKENDS",
    "ENABLE_THIRD_PARTY_AUTH",
    "MIDDLEWARE",
    "MITX_REDIRECT_ENABLED",
    "MITX_REDIRECT_LOGIN_URL",
    "ENABLE_AUTHN_MICROFRONTEND",
    "EDX_API_KEY",  # rendered only with a catalog's API_KEY on
    "LMSBRIDGE_COURSE_SYNC",  # with a catalog (Richie)
)


def name_task(name: str) -> str:
    """The task template behind ``name``, as plugin.py registers it."""
    from tutor_lmsbridge import plugin

    tasks = {"init": plugin.INIT_TASK, "dry": plugin.DRY_RUN_TASK, "verify": plugin.VERIFY_TASK}
    return tasks[name]


def job_codes(tmp_path_factory: pytest.TempPathFactory, names: list[str]) -> dict[str, str]:
    """The Python of each job, rendered once (the plan comes from the settings)."""
    codes = {}
    for name in names:
        root = tmp_path_factory.mktemp(name)
        codes[name] = init_python(render_init_task(root, {**MITXONLINE, **SEED}, name_task(name)))
    return codes


def exit_status(stop: SystemExit) -> int:
    """The status a SystemExit gives the process, as `./manage.py lms shell` lets it through
    (Django's shell command execs stdin's code, django/core/management/commands/shell.py
    handle; manage.py catches nothing) and CPython ends on it (Python/pythonrun.c,
    _Py_HandleSystemExit): None is 0, an int is itself, anything else is printed alone on
    stderr, no traceback, and is 1."""
    if stop.code is None:
        return 0
    if isinstance(stop.code, int):
        return stop.code
    print(stop.code, file=sys.stderr)
    return 1


class Result:
    def __init__(self, lines: list[str], status: int, queries: list[str]) -> None:
        self.lines = lines
        self.status = status
        self.queries = queries

    @property
    def writes(self) -> list[str]:
        return [q for q in self.queries if q.split(" ", 1)[0] in WRITES]


# The LMS settings rendered for a configuration, by its JSON: a configuration's settings are
# the same every time (secrets come from the seed), and many tests start from one of a few
# configurations; rendering Tutor's whole env for each would cost a second of CPU per test.
_RENDERED: dict[str, dict[str, Any]] = {}


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
        key = json.dumps(config, sort_keys=True)
        if key not in _RENDERED:
            root = self.tmp_path / f"root{len(list(self.tmp_path.iterdir()))}"
            root.mkdir()
            self.load(render_env(root, {**config, **SEED}), root)
            _RENDERED[key] = self.settings
        # A copy: tests change the settings of their LMS (a backend removed, a setting off).
        self.settings = copy.deepcopy(_RENDERED[key])

    def load(self, env: Path, root: Path) -> None:
        """Take the settings from an env already rendered (e.g. by the `tutor` command)."""
        from .edx_settings import load_lms_settings

        loaded = load_lms_settings(env, "production", root)
        self.settings = {name: loaded[name] for name in LMS_SETTINGS if name in loaded}

    def run(self, job: str) -> Result:
        from django.contrib.sites.models import Site
        from django.db import connection
        from django.test.utils import CaptureQueriesContext, override_settings
        from edx_django_utils.cache import TieredCache

        # The database is rolled back after each test, but caches are not: a provider row
        # or a Site cached by an earlier test must not stand for this one's.
        TieredCache.dangerous_clear_all_tiers()
        Site.objects.clear_cache()
        self.capsys.readouterr()
        status = 0
        with override_settings(**self.settings), CaptureQueriesContext(connection) as queries:
            try:
                exec(compile(self.codes[job], f"lmsbridge-{job}", "exec"), {"__name__": job})  # noqa: S102
            except SystemExit as stop:
                status = exit_status(stop)
        sql = [q["sql"] for q in queries.captured_queries]
        return Result(self.capsys.readouterr().out.splitlines(), status, sql)


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


class LocalDo:
    """What `tutor local do JOB...` ran: its status, the one `docker compose run` command
    line, the Python the job's shell fed to manage.py, and the config saved."""

    def __init__(
        self,
        result: subprocess.CompletedProcess[str],
        runs: list[list[str]],
        root: Path,
        workdir: Path,
    ) -> None:
        self.result = result
        self.runs = runs
        self.root = root
        self.stdin = (workdir / "stdin.py").read_text()
        self.config = yaml.safe_load((root / "config.yml").read_text())

    def secrets(self) -> list[str]:
        return secret_values(plan_for({"LMS_HOST": "local.openedx.io", **self.config}))


def local_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, job: list[str], manage_exit: int
) -> LocalDo:
    """`tutor local do` with MITx Online configured, a docker that runs the job's `sh -e -c`
    script here and a manage.py that exits ``manage_exit``."""
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
    enable_lmsbridge(root)
    run_tutor(root, "config", "save", *set_args(MITXONLINE))
    result = run_tutor(root, "local", "do", *job, check=False)
    runs = [call for call in map(json.loads, log.read_text().splitlines()) if "run" in call]
    return LocalDo(result, runs, root, workdir)


def assert_local_do(done: LocalDo, fails: bool, last_call: str) -> None:
    """One container, one LMS boot, no secret on the command line, and the job's status."""
    assert (done.result.returncode != 0) is fails, done.result.stderr
    assert len(done.runs) == 1
    script = done.runs[0][-1]
    assert script.count("./manage.py lms shell") == 1
    assert done.stdin.strip().splitlines()[-1].startswith(last_call)
    for secret in done.secrets():
        assert secret not in " ".join(done.runs[0])
