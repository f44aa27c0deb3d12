"""Secrets on Kubernetes, proven on what Kubernetes would get (issue #23): the real `tutor
config save`, then the real `kubectl kustomize <root>/env` (kustomize 5.5, no cluster), and the
compose files `tutor local`/`dev` run. Every secret the plugin knows (the key catalog's secret
values in config.yml and what `tutor lmsbridge credentials` hands over) is looked for in every
form it may take: as is, escaped as in a Python or JSON literal, base64 in a Secret."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tutor_lmsbridge.core import secret_store
from tutor_lmsbridge.core.keys import spec_for

from .support import tutor_helpers
from .support.edx_settings import load_lms_settings
from .support.samples import MITXONLINE, OIDC, RICHIE, SHIB, combine
from .support.tutor_helpers import copy_root, run_tutor

# Every kind of secret the settings hold: OAuth2 client secrets (two backends), the init
# plan's API client secret and service token, Richie's EDX_API_KEY and course-sync secret,
# the SAML service provider's private key (generated).
CONFIG: dict[str, Any] = {
    **combine(MITXONLINE, RICHIE, SHIB, OIDC),
    "LMSBRIDGE_RICHIE_API_KEY": True,
}
KUBECTL = shutil.which("kubectl")
SETTINGS_CONFIGMAPS = ("openedx-settings-lms", "openedx-settings-cms")


def kustomize(root: Path) -> list[dict[str, Any]]:
    assert KUBECTL, "kubectl (with kustomize) is needed: it is on every developer machine and CI"
    built = subprocess.run(
        [KUBECTL, "kustomize", str(root / "env")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return [doc for doc in yaml.safe_load_all(built.stdout) if doc]


def known_secrets(root: Path) -> list[str]:
    """What an operator would call the plugin's secrets: config.yml's values of the catalog's
    secret keys, and the secret settings `credentials` hands each app."""
    config = yaml.safe_load((root / "config.yml").read_text())
    found: set[str] = set()
    for key, value in config.items():
        spec = spec_for(key)
        if spec is not None and spec.kind.secret:
            found.update(value if isinstance(value, list) else [value])
    for app in config["LMSBRIDGE_APPS"]:
        handed = json.loads(
            run_tutor(root, "lmsbridge", "credentials", app, "--format", "json").stdout
        )
        found.update(_secret_settings(handed["settings"]))
    return sorted(found)


def _secret_settings(settings: Any, name: str = "") -> Iterator[str]:
    if isinstance(settings, dict):
        for key, value in settings.items():
            yield from _secret_settings(value, key)
    elif isinstance(settings, list):
        for item in settings:
            yield from _secret_settings(item, name)
    elif isinstance(settings, str) and any(w in name for w in ("SECRET", "TOKEN", "KEY")):
        yield settings


def forms(secret: str) -> set[str]:
    """The ways a value can be written in a rendered file: as is, in a Python or JSON
    literal; a PEM key also by its base64 body alone (the settings hold the body)."""
    written = {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1]}
    if secret.startswith("-----BEGIN"):
        written.add("".join(line for line in secret.splitlines() if not line.startswith("-----")))
        # The same private key in the other encoding (PKCS#1 <-> PKCS#8), as the plugin may
        # store it.
        from cryptography.hazmat.primitives import serialization

        key = serialization.load_pem_private_key(secret.encode(), password=None)
        for encoding in (
            serialization.PrivateFormat.PKCS8,
            serialization.PrivateFormat.TraditionalOpenSSL,
        ):
            der = key.private_bytes(
                serialization.Encoding.DER, encoding, serialization.NoEncryption()
            )
            written.add(base64.b64encode(der).decode())
    return written


def holds(text: str, secret: str) -> bool:
    return any(form in text for form in forms(secret))


def contents(manifest: dict[str, Any]) -> str:
    """A ConfigMap's or Secret's values, decoded."""
    values = [str(v) for v in (manifest.get("data") or {}).values()]
    if manifest["kind"] == "Secret":
        values = [base64.b64decode(v).decode() for v in values]
    values += [str(v) for v in (manifest.get("stringData") or {}).values()]
    return "\n".join(values)


def pod_spec(manifest: dict[str, Any]) -> dict[str, Any]:
    spec = manifest["spec"]
    if manifest["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]  # type: ignore[no-any-return]


def reads_settings(manifest: dict[str, Any]) -> bool:
    """A pod that mounts the LMS or CMS settings ConfigMap loads the settings."""
    if manifest["kind"] not in ("Deployment", "Job", "CronJob"):
        return False
    return any(
        volume.get("configMap", {}).get("name", "").startswith(SETTINGS_CONFIGMAPS)
        for volume in pod_spec(manifest).get("volumes", [])
    )


def secret_mounts(manifest: dict[str, Any], secret_name: str) -> list[dict[str, Any]]:
    """The volume mounts of the Secret ``secret_name`` in the pod's settings containers."""
    spec = pod_spec(manifest)
    volumes = {
        volume["name"]
        for volume in spec.get("volumes", [])
        if volume.get("secret", {}).get("secretName") == secret_name
    }
    return [
        mount
        for container in spec["containers"]
        for mount in container.get("volumeMounts", [])
        if mount["name"] in volumes
    ]


@pytest.fixture(scope="module")
def saved_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tutor_helpers.saved_root(tmp_path_factory.mktemp("k8s"), CONFIG)


@pytest.fixture(scope="module")
def manifests(saved_root: Path) -> list[dict[str, Any]]:
    return kustomize(saved_root)


@pytest.fixture(scope="module")
def secrets(saved_root: Path) -> list[str]:
    found = known_secrets(saved_root)
    # The seed, two client secrets, the SP key, the API client secret, the service token,
    # Richie's API token and sync secret: nothing is missed by the way they are gathered.
    assert len(found) >= 8, found
    return found


def the_secret(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    (secret,) = [m for m in manifests if m["kind"] == "Secret"]
    return secret


def test_no_configmap_holds_a_secret_and_one_secret_holds_them_all(
    saved_root: Path, manifests: list[dict[str, Any]], secrets: list[str]
) -> None:
    configmaps = [m for m in manifests if m["kind"] == "ConfigMap"]
    assert {m["metadata"]["name"].rsplit("-", 1)[0] for m in configmaps} >= set(SETTINGS_CONFIGMAPS)
    leaked = [
        (m["metadata"]["name"], s) for m in configmaps for s in secrets if holds(contents(m), s)
    ]
    assert leaked == []
    secret = the_secret(manifests)
    assert secret["metadata"]["name"].startswith(secret_store.SECRET_NAME + "-")  # hashed
    assert list(secret["data"]) == [secret_store.SECRET_KEY]
    # The seed only derives the others: it stays in config.yml, rendered nowhere.
    seed = yaml.safe_load((saved_root / "config.yml").read_text())["LMSBRIDGE_SECRET_SEED"]
    for value in secrets:
        holders = [m for m in manifests if m["kind"] == "Secret" and holds(contents(m), value)]
        assert len(holders) == (0 if value == seed else 1), value[:12]


def test_every_pod_that_reads_the_settings_mounts_the_secret_read_only(
    manifests: list[dict[str, Any]],
) -> None:
    name = the_secret(manifests)["metadata"]["name"]
    readers = [m for m in manifests if reads_settings(m)]
    assert {(m["kind"], m["metadata"]["name"]) for m in readers} == {
        (r.kind, r.name) for r in secret_store.READERS
    }
    for manifest in readers:
        mounts = secret_mounts(manifest, name)
        assert mounts == [
            {
                "name": secret_store.SECRET_NAME,
                "mountPath": secret_store.CONTAINER_DIR,
                "readOnly": True,
            }
        ], manifest["metadata"]["name"]
    # Nothing else gets it.
    others = [m for m in manifests if m["kind"] in ("Deployment", "Job") and m not in readers]
    assert others
    assert all(not secret_mounts(m, name) for m in others)


def test_the_manifests_are_valid_kubernetes_1_30(manifests: list[dict[str, Any]]) -> None:
    import kubernetes_validate

    for manifest in manifests:
        kubernetes_validate.validate(manifest, "1.30.0", strict=True)


def test_a_rotated_secret_rolls_the_pods_and_only_through_the_secret(
    saved_root: Path, manifests: list[dict[str, Any]], tmp_path: Path
) -> None:
    root = copy_root(saved_root, tmp_path)
    run_tutor(root, "config", "save", "--set", "LMSBRIDGE_MITXONLINE_CLIENT_SECRET=rotated-value")
    rotated = kustomize(root)
    before, after = the_secret(manifests), the_secret(rotated)
    assert after["metadata"]["name"] != before["metadata"]["name"]
    for manifest in (m for m in rotated if reads_settings(m)):
        assert secret_mounts(manifest, after["metadata"]["name"]), manifest["metadata"]["name"]
    # The settings ConfigMaps did not change: the secret is not in them.
    names = {m["metadata"]["name"] for m in manifests if m["kind"] == "ConfigMap"}
    assert {m["metadata"]["name"] for m in rotated if m["kind"] == "ConfigMap"} == names


VAULT_PLUGIN = """name: lmsbridge_vault
version: 1.0.0
patches:
  kustomization-patches: |
    - patch: |-
        $patch: delete
        apiVersion: v1
        kind: Secret
        metadata:
          name: lmsbridge-secrets
"""


def test_an_external_secret_manager_replaces_the_generated_secret(
    saved_root: Path, tmp_path: Path
) -> None:
    """docs/kubernetes.rst's recipe: a YAML plugin deletes the generated Secret; the pods then
    mount the Secret named lmsbridge-secrets that an external secret manager keeps."""
    root = copy_root(saved_root, tmp_path)
    plugins = root / "yaml-plugins"
    plugins.mkdir(exist_ok=True)
    (plugins / "lmsbridge_vault.yml").write_text(VAULT_PLUGIN)
    run_tutor(root, "plugins", "enable", "lmsbridge_vault")
    built = kustomize(root)
    assert [m for m in built if m["kind"] == "Secret"] == []
    readers = [m for m in built if reads_settings(m)]
    assert len(readers) == len(secret_store.READERS)
    for manifest in readers:
        assert secret_mounts(manifest, secret_store.SECRET_NAME), manifest["metadata"]["name"]


def test_no_settings_file_or_compose_file_holds_a_secret(
    saved_root: Path, secrets: list[str]
) -> None:
    env = saved_root / "env"
    files = [*env.joinpath("apps").rglob("*"), *env.joinpath("local").glob("*.yml")]
    files += env.joinpath("dev").glob("*.yml")
    files += [env / "kustomization.yml", *env.joinpath("k8s").glob("*.yml")]
    texts = {str(p.relative_to(env)): p.read_text() for p in files if p.is_file()}
    assert "apps/openedx/settings/lms/production.py" in texts
    assert [(name, s[:12]) for name, text in texts.items() for s in secrets if holds(text, s)] == []
    # The settings still hold everything else, and read the secrets back at start-up.
    production = texts["apps/openedx/settings/lms/production.py"]
    assert "_lmsbridge_with_secrets(" in production
    assert (
        "LMSBRIDGE_COURSE_SYNC = _lmsbridge_with_secrets("
        in texts["apps/openedx/settings/cms/production.py"]
    )


def compose_services(env: Path, *files: str) -> dict[str, dict[str, Any]]:
    """The services of compose files merged as docker compose merges them (volumes added)."""
    services: dict[str, dict[str, Any]] = {}
    for name in files:
        path = env / name
        if not path.exists():
            continue
        for service, body in (yaml.safe_load(path.read_text()).get("services") or {}).items():
            merged = services.setdefault(service, {"volumes": []})
            merged["volumes"] += (body or {}).get("volumes") or []
    return services


# The files Tutor gives docker compose, per command (tutor/commands/local.py, dev.py).
COMPOSE_RUNTIMES = {
    "local": (
        "local/docker-compose.yml",
        "local/docker-compose.prod.yml",
        "local/docker-compose.override.yml",
        "local/docker-compose.prod.override.yml",
    ),
    "dev": (
        "local/docker-compose.yml",
        "dev/docker-compose.yml",
        "local/docker-compose.override.yml",
        "dev/docker-compose.override.yml",
    ),
    "local do": ("local/docker-compose.jobs.yml", "local/docker-compose.jobs.override.yml"),
    "dev do": (
        "local/docker-compose.jobs.yml",
        "dev/docker-compose.jobs.yml",
        "local/docker-compose.jobs.override.yml",
        "dev/docker-compose.jobs.override.yml",
    ),
}


@pytest.mark.parametrize("runtime", sorted(COMPOSE_RUNTIMES))
def test_compose_mounts_the_secrets_file_read_only_where_the_settings_are(
    saved_root: Path, runtime: str
) -> None:
    env = saved_root / "env"
    services = compose_services(env, *COMPOSE_RUNTIMES[runtime])
    readers = {
        name
        for name, body in services.items()
        if any("/settings/lms:" in str(v) for v in body["volumes"])
    }
    assert readers, runtime
    for name in readers:
        mounts = [v for v in services[name]["volumes"] if secret_store.CONTAINER_FILE in str(v)]
        assert len(mounts) == 1, (runtime, name)
        host, container, options = mounts[0].split(":")
        # Relative to the compose project's folder, env/local (the first file).
        assert (env / "local" / host).resolve() == env.joinpath(*secret_store.ENV_FILE).resolve()
        assert container == secret_store.CONTAINER_FILE
        assert "ro" in options.split(",")


def test_an_operators_own_override_file_is_left_alone(saved_root: Path, tmp_path: Path) -> None:
    root = copy_root(saved_root, tmp_path)
    own = root / "env/local/docker-compose.jobs.override.yml"
    own.write_text("services:\n  lms-job:\n    environment:\n      MINE: '1'\n")
    result = run_tutor(root, "config", "save")
    assert own.read_text().startswith("services:\n  lms-job:\n    environment:")
    assert "docker-compose.jobs.override.yml is yours: add the plugin's mounts" in result.stderr
    # Disabling the plugin removes its own override files, not the operator's.
    run_tutor(root, "plugins", "disable", "lmsbridge")
    assert own.exists()
    assert not (root / "env/local/docker-compose.prod.override.yml").exists()


@pytest.mark.parametrize(
    "job",
    [
        ["lmsbridge-init"],
        ["lmsbridge-init", "--dry-run"],
        ["lmsbridge-verify"],
        ["lmsbridge-sync-courses"],
    ],
)
def test_k8s_do_runs_a_job_that_mounts_the_secret_and_holds_no_secret(
    saved_root: Path,
    manifests: list[dict[str, Any]],
    secrets: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    job: list[str],
) -> None:
    """`tutor k8s do ...` in this process, with a throwaway kube config: `kubectl kustomize`
    is the real one, `kubectl apply` is recorded, and a fake Kubernetes API reports the Job
    done. The Job Tutor applies is the rendered lms-job/cms-job with the Secret mounted."""

    from click.testing import CliRunner
    from tutor.commands.cli import cli

    tutor_helpers.load_plugin_in_process()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    applied = tmp_path / "applied-job.yml"
    (bin_dir / "kubectl").write_text(
        f"#!{sys.executable}\n"
        "import os, shutil, sys\n"
        "args = sys.argv[1:]\n"
        "if args[:1] == ['kustomize']:\n"
        f"    os.execv({KUBECTL!r}, [{KUBECTL!r}, *args])\n"
        "if args[:2] == ['apply', '-f']:\n"
        f"    shutil.copy(args[2], {str(applied)!r})\n"
    )
    (bin_dir / "kubectl").chmod(0o755)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n"
        "users: [{name: u, user: {}}]\n"
    )
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    tutor_helpers.fake_cluster(monkeypatch, bin_dir)

    result = CliRunner().invoke(cli, ["--root", str(saved_root), "k8s", "do", *job])
    assert result.exit_code == 0, result.output
    spec_text = applied.read_text()
    applied_job = yaml.safe_load(spec_text)
    service = "cms" if job[0] == "lmsbridge-sync-courses" else "lms"
    assert applied_job["metadata"]["name"].startswith(f"{service}-job-")
    name = the_secret(manifests)["metadata"]["name"]
    assert secret_mounts(applied_job, name), "the Job does not mount the Secret"
    assert [s[:12] for s in secrets if holds(spec_text, s)] == []


# ---- Reading the file at start-up -------------------------------------------------------


def test_the_settings_take_their_secrets_from_the_file(saved_root: Path, tmp_path: Path) -> None:
    settings = load_lms_settings(saved_root / "env", "production", tmp_path)
    assert (
        settings["SOCIAL_AUTH_OAUTH_SECRETS"]["ol-oauth2"]
        == (MITXONLINE["LMSBRIDGE_MITXONLINE_CLIENT_SECRET"])
    )
    assert settings["SOCIAL_AUTH_SAML_SP_PRIVATE_KEY"]
    assert all(t["token"] for t in settings["LMSBRIDGE_INIT_PLAN"]["tokens"])
    cms = load_lms_settings(saved_root / "env", "production", tmp_path, "cms")
    assert all(target["secret"] for target in cms["LMSBRIDGE_COURSE_SYNC"])


def broken_file(root: Path, how: str) -> Path:
    path = root / "env" / Path(*secret_store.ENV_FILE)
    if how == "missing":
        path.unlink()
    elif how == "not JSON":
        path.write_text("{not json")
    elif how == "unreadable":
        path.unlink()
        path.mkdir()  # open() fails: IsADirectoryError, whoever runs the test
    else:  # written for other settings: an older save's paths
        path.write_text(json.dumps({"lms": [[["no", "such", "path"], "x"]], "cms": []}))
    return path


@pytest.mark.parametrize(
    ("how", "problem"),
    [
        ("missing", "No such file or directory"),
        ("unreadable", "Is a directory"),
        ("not JSON", "not valid JSON"),
        ("stale", "written for other settings"),
    ],
)
def test_a_secrets_file_that_cannot_be_read_is_one_line_naming_it(
    saved_root: Path, tmp_path: Path, how: str, problem: str
) -> None:
    """The settings module run by Python as the LMS would import it: the process ends with
    one line on stderr (a SystemExit's message: no traceback), status 1."""
    root = copy_root(saved_root, tmp_path)
    path = broken_file(root, how)
    script = (
        "import sys; from pathlib import Path\n"
        "from tests.support.edx_settings import load_lms_settings\n"
        f"load_lms_settings(Path({str(root / 'env')!r}), 'production', Path({str(tmp_path)!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[1],
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"lmsbridge: cannot read the secrets file {path} ({problem}). Fix: run `tutor config "
        "save`, then restart with the file mounted (Kubernetes: the Secret lmsbridge-secrets; "
        "see the plugin's docs/kubernetes.rst)"
    ]


def test_settings_without_secrets_read_no_file(tmp_path: Path) -> None:
    """Enabled with no app connected: the settings read nothing (and need no mount)."""
    root = tutor_helpers.saved_root(tmp_path / "root")
    for service in ("lms", "cms"):
        for mode in ("production", "development"):
            text = (root / f"env/apps/openedx/settings/{service}/{mode}.py").read_text()
            assert "lmsbridge-secrets" not in text
    assert json.loads((root / "env").joinpath(*secret_store.ENV_FILE).read_text()) == {
        "lms": [],
        "cms": [],
    }
