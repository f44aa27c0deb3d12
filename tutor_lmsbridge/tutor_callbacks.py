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

from .errors import ConfigError
from .plan import Plan
from .templating import plan_for

INIT_TASK_PATH = ("lmsbridge", "tasks", "lms", "init")
# Where ENV_TEMPLATE_TARGETS renders our files (the openedx image build context).
RENDERED_DIR = ("env", "build", "openedx", "lmsbridge")


def validate_config(config: dict[str, Any]) -> None:
    """CONFIG_LOADED: refuse an invalid configuration before anything is rendered."""
    load_plan(config)


def load_plan(config: dict[str, Any]) -> Plan:
    try:
        return plan_for(config)
    except ConfigError as exc:
        raise exceptions.TutorError(f"lmsbridge: {exc}") from None


def report_after_save(_root: str, config: dict[str, Any]) -> None:
    """ENV_SAVED: say once what the operator still has to do (never a secret)."""
    plan = load_plan(config)
    for warning in plan.bridge.warnings:
        fmt.echo_alert(f"lmsbridge: {warning}")


def init_job(init_task: str) -> click.Command:
    """`tutor local|dev|k8s do lmsbridge-init`: the init task, on demand."""

    @click.command(
        "lmsbridge-init",
        help="Create or update the Open edX objects the connected apps need (service users, "
        "OAuth2 applications, tokens, provider configurations). Safe to re-run.",
    )
    def lmsbridge_init() -> list[tuple[str, str]]:
        return [("lms", init_task)]

    return lmsbridge_init


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
        shutil.rmtree(os.path.join(root, *RENDERED_DIR), ignore_errors=True)
