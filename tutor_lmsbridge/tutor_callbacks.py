"""Functions Tutor calls through the hooks plugin.py registers.

They translate between Tutor and the pure core: ConfigError becomes TutorError, so that an
invalid value stops a command with one line before any file is rendered with it.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import click
from tutor import exceptions, fmt

from . import pending
from .errors import ConfigError
from .plan import OPENEDX_PLUGIN_PATH, Plan
from .templating import plan_for

INIT_TASK_PATH = ("lmsbridge", "tasks", "lms", "init")
SYNC_TASK_PATH = ("lmsbridge", "tasks", "cms", "sync-courses")
# Where ENV_TEMPLATE_TARGETS renders our files (the openedx image build context), and the
# fingerprints of the last `config save` (no value, only HMACs).
RENDERED_DIRS = (("env", "build", "openedx", "lmsbridge"), ("env", "plugins", "lmsbridge"))
STATE_FILE = ("plugins", "lmsbridge", "last-save.json")  # under env/
# The plugin's own Open edX app (tutor_lmsbridge/openedx_app) is source code, not a template:
# it is copied verbatim next to the rendered requirements file.
OPENEDX_APP_ENV = ("build", "openedx", "lmsbridge", "image", "openedx_plugin")  # under env/


def validate_config(config: dict[str, Any]) -> None:
    """CONFIG_LOADED: refuse an invalid configuration before anything is rendered."""
    load_plan(config)


def load_plan(config: dict[str, Any]) -> Plan:
    try:
        return plan_for(config)
    except ConfigError as exc:
        raise exceptions.TutorError(f"lmsbridge: {exc}") from None


def report_after_save(env_root: str, config: dict[str, Any]) -> None:
    """ENV_SAVED: say once what the operator still has to do, never a secret: rebuild the
    image when the requirements changed, hand credentials to an app whose settings changed,
    and any pending configuration. "Once": compared with fingerprints of the previous save."""
    plan = load_plan(config)
    state_path = os.path.join(env_root, *STATE_FILE)
    previous = pending.read_state(state_path)
    current = pending.fingerprints(plan, str(config.get("LMSBRIDGE_SECRET_SEED", "")))
    for line in pending.messages(plan, previous, current):
        fmt.echo_alert(f"lmsbridge: {line}")
    pending.write_state(state_path, current)


def copy_openedx_app(env_root: str, config: dict[str, Any]) -> None:
    """ENV_SAVED: put the plugin's Open edX app into the openedx image's build context, when
    the requirements file installs it (a course catalog is connected)."""
    if OPENEDX_PLUGIN_PATH not in load_plan(config).requirements:
        return
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "openedx_app")
    target = os.path.join(env_root, *OPENEDX_APP_ENV)
    shutil.copytree(
        source,
        target,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )


def do_job(name: str, service: str, task: str, help_text: str) -> click.Command:
    """A `tutor local|dev|k8s do NAME` job that runs ``task`` in ``service``'s container."""

    @click.command(name, help=help_text)
    def job() -> list[tuple[str, str]]:
        return [(service, task)]

    return job


INIT_JOB_HELP = (
    "Create or update the Open edX objects the connected apps need (service users, OAuth2 "
    "applications, tokens, provider configurations). Safe to re-run."
)
SYNC_JOB_HELP = (
    "Send every course run to the connected catalogs (Richie): the initial full sync. "
    "Afterwards Studio sends each course when it is published."
)


def images_to_build(images: list[str], context_name: str) -> list[str]:
    """IMAGES_BUILD_REQUIRED: `tutor local launch` builds openedx (dev builds openedx-dev,
    whose python requirements come from the same Dockerfile stage)."""
    if context_name == "local" and "openedx" not in images:
        images.append("openedx")
    return images


def remove_rendered_files(plugin: str, root: str, _config: dict[str, Any]) -> None:
    """PLUGIN_UNLOADED: Tutor re-renders the env on disable but leaves files of disabled
    plugins behind; remove ours so that no generated file outlives the plugin."""
    if plugin == "lmsbridge":
        for folder in RENDERED_DIRS:
            shutil.rmtree(os.path.join(root, *folder), ignore_errors=True)
