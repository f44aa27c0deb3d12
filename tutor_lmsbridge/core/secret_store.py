"""The plugin's one secret store: every secret the settings need, in one file of its own.

Tutor renders the LMS and CMS settings into ``env/apps/`` (on Kubernetes, the ConfigMaps
``openedx-settings-lms``/``-cms``, readable by anyone who may read ConfigMaps). The settings
patches therefore write their data with each secret taken out, and the secrets file
(``env/plugins/lmsbridge/secrets/lmsbridge.json``) says where each goes back: a list of
``[path, value]`` per settings module. The settings put them back when the LMS or CMS starts
(templates/lmsbridge/settings/secrets), from the file mounted read-only at ``CONTAINER_FILE``:
a bind mount under `tutor local`/`dev`, the Secret ``SECRET_NAME`` under `tutor k8s`.

What is a secret is decided once, by the key catalog: every value of a key whose kind is
secret (core/keys.py, ``Kind.secret``), read or derived (``Bridge.secrets``). Any string of
the settings data equal to one of them moves to the file, wherever it stands, so a new
secret key is covered without a change here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from .plan import Plan

# Under env/: rendered by the plugin's template target (glue/callbacks.py SECRETS_TARGET).
ENV_FILE = ("plugins", "lmsbridge", "secrets", "lmsbridge.json")
# Where the settings read it inside the containers; the folder is the mount point (a
# Kubernetes Secret volume is a folder, one file per key).
CONTAINER_DIR = "/openedx/lmsbridge-secrets"
CONTAINER_FILE = f"{CONTAINER_DIR}/lmsbridge.json"
# Read outside a container (tests, tools that load the rendered settings): this environment
# variable names the file instead (docs/kubernetes.rst).
PATH_VARIABLE = "LMSBRIDGE_SECRETS_FILE"
# The Kubernetes Secret (kustomize adds its content hash to the name) and the pod volume.
SECRET_NAME = "lmsbridge-secrets"  # noqa: S105 (a name, not a password)
# The Secret's key, the file's name in the mounted folder.
SECRET_KEY = ENV_FILE[-1]

# Compose override files the plugin writes (glue/compose_mounts.py), by the runtimes that load
# them (tutor/commands/local.py and dev.py list them): "local" (`tutor local`: lms, cms and
# the workers), "dev" (`tutor dev`: lms, cms), "jobs" (`tutor local|dev do`: the jobs).
COMPOSE_FILES = {
    "local": ("local", "docker-compose.prod.override.yml"),
    "dev": ("dev", "docker-compose.override.yml"),
    "jobs": ("local", "docker-compose.jobs.override.yml"),
}


class Reader(NamedTuple):
    """A container that loads the LMS or CMS settings, so must see the secrets file."""

    name: str  # the compose service and the Kubernetes object (Tutor names them alike)
    kind: str  # its Kubernetes kind: Deployment, Job or CronJob
    container: str  # the container of its pod spec that loads the settings
    compose: tuple[str, ...]  # the COMPOSE_FILES that declare its compose service
    # Only there with a SAML refresh schedule (Plan.saml_refresh): a patch or override for an
    # object that does not exist would make kustomize and Compose fail.
    refresh_only: bool = False

    def k8s_patch(self) -> dict[str, Any]:
        """A strategic-merge patch that mounts the Secret read-only into the container (the
        container is matched by name, the volume added next to Tutor's)."""
        pod_spec = {
            "containers": [
                {
                    "name": self.container,
                    "volumeMounts": [
                        {"name": SECRET_NAME, "mountPath": CONTAINER_DIR, "readOnly": True}
                    ],
                }
            ],
            "volumes": [{"name": SECRET_NAME, "secret": {"secretName": SECRET_NAME}}],
        }
        spec: dict[str, Any] = {"template": {"spec": pod_spec}}
        if self.kind == "CronJob":
            spec = {"jobTemplate": {"spec": spec}}
        return {
            "apiVersion": "apps/v1" if self.kind == "Deployment" else "batch/v1",
            "kind": self.kind,
            "metadata": {"name": self.name},
            "spec": spec,
        }


# Every container that reads the settings, in one place: the compose mounts, the Kubernetes
# patches and the tests all iterate over it. A plugin service that loads the settings (e.g.
# a CronJob) is one more line here.
READERS: tuple[Reader, ...] = (
    Reader("lms", "Deployment", "lms", ("local", "dev")),
    Reader("cms", "Deployment", "cms", ("local", "dev")),
    Reader("lms-worker", "Deployment", "lms-worker", ("local",)),
    Reader("cms-worker", "Deployment", "cms-worker", ("local",)),
    Reader("lms-job", "Job", "lms", ("jobs",)),
    Reader("cms-job", "Job", "cms", ("jobs",)),
    # The SAML metadata refresh (templates/lmsbridge/refresh/): a compose service of
    # docker-compose.yml, which `tutor dev` uses too, and a CronJob.
    Reader("lmsbridge-saml-refresh", "CronJob", "lms", ("local", "dev"), refresh_only=True),
)


def readers(refresh: bool) -> tuple[Reader, ...]:
    """The containers that read the settings, with or without the SAML refresh's."""
    return tuple(reader for reader in READERS if refresh or not reader.refresh_only)


SlotPath = list[str | int]  # keys and list indexes, from the top of the data


class Split(NamedTuple):
    """Settings data with its secrets taken out, and where each goes back."""

    data: Any  # the data, each secret replaced by None
    secrets: list[tuple[SlotPath, str]]


def split(data: Any, secrets: Iterable[str]) -> Split:
    """``data`` (a mapping or a list) without the strings of ``secrets``, and their
    ``[path, value]``."""
    wanted = frozenset(value for value in secrets if value)
    moved: list[tuple[SlotPath, str]] = []

    def walk(value: Any, path: SlotPath) -> Any:
        if isinstance(value, str) and value in wanted:
            moved.append((path, value))
            return None
        if isinstance(value, Mapping):
            return {key: walk(item, [*path, key]) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(item, [*path, index]) for index, item in enumerate(value)]
        return value

    return Split(walk(data, []), moved)


def restore(data: Any, secrets: Iterable[tuple[SlotPath, str]]) -> Any:
    """What the settings do at start-up (templates/lmsbridge/settings/secrets), in Python:
    put each secret back at its path."""
    for path, value in secrets:
        target = data
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    return data


def compose_override(which: str, refresh: bool) -> dict[str, Any]:
    """The compose override file ``which`` (COMPOSE_FILES): a read-only bind mount of the
    secrets file into each of its services. Relative host paths are resolved from the compose
    project's folder, env/local (the first file Tutor gives), for env/dev's files too."""
    mount = "../" + "/".join(ENV_FILE) + f":{CONTAINER_FILE}:ro,z"
    return {
        "services": {
            reader.name: {"volumes": [mount]}
            for reader in readers(refresh)
            if which in reader.compose
        }
    }


class SecretStore(NamedTuple):
    """What the settings patches and the secrets file render for a Plan."""

    lms: Split  # LMS settings data (the ``_lmsbridge`` literal)
    cms: Split  # CMS settings data (LMSBRIDGE_COURSE_SYNC)
    refresh: bool  # a SAML refresh schedule exists (its service and CronJob read the settings)

    # For the templates: where the settings look for the file, and the Kubernetes side.
    @property
    def path_variable(self) -> str:
        return PATH_VARIABLE

    @property
    def container_file(self) -> str:
        return CONTAINER_FILE

    @property
    def secret_name(self) -> str:
        return SECRET_NAME

    @property
    def env_file(self) -> str:
        """Relative to env/, as kustomize reads it."""
        return "/".join(ENV_FILE)

    @property
    def readers(self) -> tuple[Reader, ...]:
        return readers(self.refresh)

    def file(self) -> dict[str, Any]:
        """The secrets file's content (JSON)."""
        return {
            "lms": [[path, value] for path, value in self.lms.secrets],
            "cms": [[path, value] for path, value in self.cms.secrets],
        }


def secret_store(plan: Plan) -> SecretStore:
    secrets = plan.bridge.secrets
    lms = plan.settings_data() if plan.active else {}
    return SecretStore(
        lms=split(lms, secrets),
        cms=split(plan.cms_settings_data(), secrets),
        refresh=plan.saml_refresh() is not None,
    )
