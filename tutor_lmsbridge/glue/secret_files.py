"""The secrets file's place in each runtime, as far as Tutor's templates cannot say it.

`tutor k8s` needs nothing here: the kustomization patches (patches/kustomization,
patches/kustomization-patches) generate the Secret and mount it. Under `tutor local`/`dev`,
no patch point of Tutor 22 can add a volume to an existing service: lms and cms are defined
in local/docker-compose.yml (dev: and dev/docker-compose.yml), the workers in
local/docker-compose.prod.yml and the jobs in local/docker-compose.jobs.yml, each next to
the only patch of its file, and a service named twice in one YAML file is an error;
``COMPOSE_MOUNTS`` only maps the operator's own ``MOUNTS`` folders, always read-write (``:z``).
What does add a volume is the override files Tutor gives to docker compose after its own
(tutor/commands/local.py, dev.py): compose merges a service's volumes across files. Those
files are the operator's too, so the plugin writes one only where none is, or where the one
there is its own (first line ``MARKER``), and otherwise says what to add.
"""

from __future__ import annotations

import os
from typing import Any

import yaml
from tutor import fmt

from ..core.secret_store import COMPOSE_FILES, ENV_FILE, compose_override
from .templating import tutor_plan

MARKER = "# tutor-contrib-lmsbridge: written by the plugin on each `tutor config save`"
# The openedx image's user (Tutor's Dockerfile: ARG APP_USER_ID=1000): the secrets file is
# made 0600 when that user owns it on the host; otherwise it keeps the mode Tutor rendered it
# with, for the containers read it through the bind mount as another user.
APP_USER_ID = 1000


def override_text(which: str, refresh: bool) -> str:
    body = yaml.safe_dump(
        compose_override(which, refresh), default_flow_style=False, sort_keys=False
    )
    return (
        f"{MARKER}\n# (its secrets file, read-only; to make this file yours, delete the line "
        "above: the plugin then leaves it as it is, and these mounts must stay)\n" + body
    )


def _ours(path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as existing:
            return existing.readline().rstrip("\n") == MARKER
    except FileNotFoundError:
        return True


def write_compose_mounts(env_root: str, config: dict[str, Any]) -> None:
    """ENV_SAVED: the compose override files that bind-mount the secrets file."""
    refresh = tutor_plan(config).saml_refresh() is not None
    for which, parts in COMPOSE_FILES.items():
        path = os.path.join(env_root, *parts)
        text = override_text(which, refresh)
        if _ours(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as override:
                override.write(text)
            continue
        with open(path, encoding="utf-8") as existing:
            current = yaml.safe_load(existing) or {}
        if not _mounted(current, compose_override(which, refresh)):
            fmt.echo_alert(
                f"lmsbridge: {os.path.join('env', *parts)} is yours: add the plugin's mounts "
                f"to it, or its containers cannot read the secrets file:\n{text}"
            )
    secrets_path = os.path.join(env_root, *ENV_FILE)
    if os.path.exists(secrets_path) and os.stat(secrets_path).st_uid == APP_USER_ID:
        os.chmod(secrets_path, 0o600)


def _mounted(current: Any, wanted: dict[str, Any]) -> bool:
    """Whether an operator's override file already has each of the plugin's mounts."""
    services = current.get("services") if isinstance(current, dict) else None
    if not isinstance(services, dict):
        return False
    for name, service in wanted["services"].items():
        volumes = (services.get(name) or {}).get("volumes") or []
        if not set(service["volumes"]) <= set(map(str, volumes)):
            return False
    return True


def remove_compose_mounts(env_root: str) -> None:
    """`plugins disable`: the override files the plugin wrote go with it."""
    for parts in COMPOSE_FILES.values():
        path = os.path.join(env_root, *parts)
        if os.path.exists(path) and _ours(path):
            os.remove(path)
