"""Issue #24 item 1: the SAML metadata refresh that runs under Tutor, in the env the real
`tutor config save` renders: a compose service for `tutor local`/`dev`, a CronJob for
`tutor k8s` checked with the real `kubectl kustomize` (no cluster needed), each with the
settings volumes of Tutor's own LMS job, and neither without a SAML app. The refresh job
itself runs against the database in test_init_saml.py."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tutor_lmsbridge.core.saml_refresh import saml_refresh

from .support.samples import MITXONLINE, SHIB
from .support.tutor_helpers import copy_root, run_tutor, saved_root

SERVICE = "lmsbridge-saml-refresh"
KUBECTL = shutil.which("kubectl")


@pytest.fixture(scope="module")
def saml_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return saved_root(
        tmp_path_factory.mktemp("saml-refresh"), {**SHIB, "LMSBRIDGE_SAML_REFRESH_HOURS": 12}
    )


@pytest.fixture(scope="module")
def oidc_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Apps connected, none of them SAML: nothing to refresh."""
    return saved_root(tmp_path_factory.mktemp("no-saml"), MITXONLINE)


def compose(root: Path, mode: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(
        (root / "env" / mode / "docker-compose.yml").read_text()
    )
    return loaded


def kustomized(root: Path) -> list[dict[str, Any]]:
    assert KUBECTL is not None, "kubectl is needed (it renders what `tutor k8s start` applies)"
    result = subprocess.run(
        [KUBECTL, "kustomize", str(root / "env")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def jobs_lms(root: Path) -> dict[str, Any]:
    jobs = yaml.safe_load((root / "env" / "local" / "docker-compose.jobs.yml").read_text())
    service: dict[str, Any] = jobs["services"]["lms-job"]
    return service


def test_the_compose_service_runs_the_refresh_every_n_hours(saml_root: Path) -> None:
    service = compose(saml_root, "local")["services"][SERVICE]
    lms_job = jobs_lms(saml_root)
    # Tutor's lms-job: image, settings, volumes (a volume added to every LMS job is added here).
    assert service["image"] == lms_job["image"]
    assert service["volumes"] == lms_job["volumes"]
    assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "lms.envs.tutor.production"
    assert service["environment"]["SERVICE_VARIANT"] == "lms"
    assert service["restart"] == "unless-stopped"
    assert "mysql" in service["depends_on"]
    environment = service["environment"]
    assert environment["LMSBRIDGE_REFRESH_SECONDS"] == str(12 * 3600)
    # The script is the refresh job's, as `do lmsbridge-refresh-saml` runs it.
    script = environment["LMSBRIDGE_REFRESH_SCRIPT"]
    assert script.count("./manage.py lms shell") == 1
    assert script.strip().splitlines()[-2].startswith("refresh_saml(")
    # Compose reads "$$" as one "$": the loop reaches the shell with its variables.
    sh, flag, loop = service["command"]
    assert (sh, flag) == ("sh", "-c")
    assert 'sh -e -c "$$LMSBRIDGE_REFRESH_SCRIPT"' in loop
    assert 'sleep "$$LMSBRIDGE_REFRESH_SECONDS"' in loop
    assert "while true" in loop


def test_dev_runs_it_with_the_dev_image_and_settings(saml_root: Path) -> None:
    service = compose(saml_root, "dev")["services"][SERVICE]
    assert service["environment"] == {"DJANGO_SETTINGS_MODULE": "lms.envs.tutor.development"}
    lms = compose(saml_root, "dev")["services"]["lms"]
    assert service["image"] == lms["image"]


# Stands for `./manage.py lms shell` whose refresh could not pull an IdP's metadata: it reads
# the job's Python, counts the run, and exits as refresh_saml.py then does (5).
FAILING_MANAGE = '#!/bin/sh\ncat > /dev/null\necho run >> "$(dirname "$0")/runs"\nexit 5\n'


def test_the_compose_service_keeps_looping_after_a_failed_refresh(
    saml_root: Path, tmp_path: Path
) -> None:
    """The service's own command and script, run by sh: a refresh that exits non-zero is
    one log line, and the loop goes on to the next period (here 0 s) instead of ending the
    container (whose restart policy would then start the first delay over)."""
    service = compose(saml_root, "local")["services"][SERVICE]
    sh, flag, loop = service["command"]
    manage = tmp_path / "manage.py"
    manage.write_text(FAILING_MANAGE)
    manage.chmod(0o755)
    # Compose reads "$$" as "$" (the service's variables reach the shell).
    environment = {
        "PATH": os.environ["PATH"],
        "LMSBRIDGE_REFRESH_SCRIPT": service["environment"]["LMSBRIDGE_REFRESH_SCRIPT"].replace(
            "$$", "$"
        ),
        "LMSBRIDGE_REFRESH_SECONDS": "0",
        "LMSBRIDGE_REFRESH_FIRST_DELAY": "0",
    }
    with subprocess.Popen(
        [sh, flag, loop.replace("$$", "$")],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        runs = tmp_path / "runs"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and process.poll() is None:
            if runs.exists() and len(runs.read_text().splitlines()) >= 3:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the loop ended"
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=10)
    assert len(runs.read_text().splitlines()) >= 3
    assert output.count("lmsbridge: SAML refresh failed, next try in 0 s") >= 2, output


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_the_cronjob_is_scheduled_and_mounts_the_lms_settings(saml_root: Path) -> None:
    documents = kustomized(saml_root)
    (cronjob,) = [doc for doc in documents if doc["kind"] == "CronJob"]
    (lms_job,) = [
        doc for doc in documents if doc["kind"] == "Job" and doc["metadata"]["name"] == "lms-job"
    ]
    spec = cronjob["spec"]
    assert cronjob["apiVersion"] == "batch/v1"
    assert cronjob["metadata"]["name"] == SERVICE
    assert spec["schedule"] == "17 */12 * * *"
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["startingDeadlineSeconds"] > 0
    assert spec["successfulJobsHistoryLimit"] >= 1
    assert spec["failedJobsHistoryLimit"] >= 1
    job = spec["jobTemplate"]["spec"]
    assert 0 < job["activeDeadlineSeconds"] < 12 * 3600
    pod = job["template"]["spec"]
    lms_pod = lms_job["spec"]["template"]["spec"]
    # The same settings volumes as Tutor's LMS job, after kustomize named the ConfigMaps.
    assert pod["volumes"] == lms_pod["volumes"]
    configmaps = {doc["metadata"]["name"] for doc in documents if doc["kind"] == "ConfigMap"}
    settings_volumes = {v["configMap"]["name"] for v in pod["volumes"] if "configMap" in v}
    assert settings_volumes
    assert settings_volumes <= configmaps
    # ... and the plugin's secrets file, as a Secret (issue #23), like the LMS job.
    secrets = {doc["metadata"]["name"] for doc in documents if doc["kind"] == "Secret"}
    assert {v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v} <= secrets
    assert any("secret" in volume for volume in pod["volumes"])
    (container,) = pod["containers"]
    (lms_container,) = lms_pod["containers"]
    assert container["volumeMounts"] == lms_container["volumeMounts"]
    assert container["env"] == lms_container["env"]
    assert container["image"] == lms_container["image"]
    assert set(container["resources"]["requests"]) == {"cpu", "memory"}
    assert container["command"][:3] == ["sh", "-e", "-c"]
    # A refresh that exits non-zero (a provider's metadata not pulled) fails its pod; the Job
    # tries once more, then is marked failed and kept (failedJobsHistoryLimit) where
    # `kubectl get jobs` shows it; the next schedule runs either way.
    assert pod["restartPolicy"] == "Never"
    assert job["backoffLimit"] == 1
    assert container["command"][3].count("./manage.py lms shell") == 1
    # `tutor k8s start` applies everything but Jobs (component job): the CronJob is applied.
    assert cronjob["metadata"]["labels"]["app.kubernetes.io/component"] != "job"


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_neither_exists_without_a_saml_app(oidc_root: Path) -> None:
    assert SERVICE not in compose(oidc_root, "local")["services"]
    assert SERVICE not in (compose(oidc_root, "dev")["services"] or {})
    assert not [doc for doc in kustomized(oidc_root) if doc["kind"] == "CronJob"]


def test_the_refresh_job_is_a_tutor_job(saml_root: Path) -> None:
    help_text = run_tutor(saml_root, "local", "do", "lmsbridge-refresh-saml", "--help").stdout
    assert "Refresh the SAML identity providers' metadata now" in help_text


def test_the_refresh_job_exists_without_a_schedule(saml_root: Path, tmp_path: Path) -> None:
    """LMSBRIDGE_SAML_REFRESH_HOURS=0 drops the service, not the job: verify's fix for
    metadata from a URL names `do lmsbridge-refresh-saml` whatever the schedule."""
    root = copy_root(saml_root, tmp_path)
    run_tutor(root, "config", "save", "--set", "LMSBRIDGE_SAML_REFRESH_HOURS=0")
    assert SERVICE not in compose(root, "local")["services"]
    help_text = run_tutor(root, "local", "do", "lmsbridge-refresh-saml", "--help").stdout
    assert "Refresh the SAML identity providers' metadata now" in help_text


@pytest.mark.parametrize(
    ("hours", "cron"), [(1, "17 */1 * * *"), (6, "17 */6 * * *"), (24, "17 0 * * *")]
)
def test_the_schedule_of_each_period(hours: int, cron: str) -> None:
    refresh = saml_refresh(hours, 1)
    assert refresh is not None
    assert (refresh.cron, refresh.seconds) == (cron, hours * 3600)


def test_zero_hours_or_no_saml_app_means_no_schedule() -> None:
    assert saml_refresh(0, 2) is None
    assert saml_refresh(6, 0) is None
