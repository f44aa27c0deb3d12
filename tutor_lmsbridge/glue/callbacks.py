"""Functions Tutor calls through the hooks plugin.py registers.

They translate between Tutor and the pure core. An invalid configuration refuses every
command that renders the env or runs a job, with one line naming the key and the fix, before
anything is rendered or run; every other command (``tutor local stop``, ``logs``, ``config
printvalue``, ``plugins disable``) keeps working and ends with that line as a warning.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import click
from tutor import config as tutor_config
from tutor import env as tutor_env
from tutor import exceptions, fmt

from ..core.errors import ConfigError
from ..core.keys import SEED_KEY
from ..core.plan import Plan
from ..core.presets import OPENEDX_PLUGIN_PATH
from ..output import pending, save_notices
from .secret_files import remove_compose_mounts
from .templating import Gate, command_syntax, handovers, plan_of, tutor_plan

INIT_TASK_PATH = ("lmsbridge", "tasks", "lms", "init")
DRY_RUN_TASK_PATH = ("lmsbridge", "tasks", "lms", "init-dry-run")
VERIFY_TASK_PATH = ("lmsbridge", "tasks", "lms", "verify")
SYNC_TASK_PATH = ("lmsbridge", "tasks", "cms", "sync-courses")
REFRESH_TASK_PATH = ("lmsbridge", "tasks", "lms", "refresh-saml")
# Our template target: templates/lmsbridge/image/ is rendered into the openedx image's build
# context, env/build/openedx/lmsbridge/image/, which the Dockerfile patch copies.
IMAGE_TARGET = ("lmsbridge/image", "build/openedx")
# The plugin's secrets file (core/secret_store.py ENV_FILE): env/plugins/lmsbridge/secrets/.
SECRETS_TARGET = ("lmsbridge/secrets", "plugins")
# What the plugin writes itself under env/, which no template renders: the fingerprints of the
# last `config save` (no value, only HMACs) and the init job's progress (output/pending.py).
STATE_DIR = ("plugins", "lmsbridge")
STATE_FILE = (*STATE_DIR, "last-save.json")
# The plugin's own Open edX app (tutor_lmsbridge/openedx_app) is source code, not a template:
# it is copied verbatim next to the rendered requirements file.
OPENEDX_APP_ENV = ("build", "openedx", "lmsbridge", "image", "openedx_plugin")  # under env/


def validate_config(config: dict[str, Any]) -> None:
    """CONFIG_LOADED: judge the configuration; refuse later, where it would be used."""
    first = not Gate.judged
    Gate.judged = True
    try:
        plan_of(config)
    except ConfigError as exc:
        Gate.error = exc
        context = click.get_current_context(silent=True)
        if context is not None and first:
            context.find_root().call_on_close(_warn_unless_refused)
    else:
        Gate.error = None


def _warn_unless_refused() -> None:
    if Gate.error is not None and not Gate.refused:
        fmt.echo_alert(
            f"{Gate.error.text(command_syntax(), 'lmsbridge: ')} (until then, commands that "
            "render the env or run a job refuse to)"
        )


def refuse_if_invalid() -> None:
    """Stop a command that would render the env or run a job with an invalid config."""
    if not Gate.judged:
        # `tutor local do` fires DO_JOB before it loads the configuration: load it now.
        context = click.get_current_context(silent=True)
        root = getattr(context.obj, "root", None) if context is not None else None
        if root:
            tutor_config.load(root)
    if Gate.error is not None:
        Gate.refused = True
        raise exceptions.TutorError(Gate.error.text(command_syntax(), "lmsbridge: "))


def refuse_before(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """ENV_TEMPLATE_TARGETS: a filter that changes nothing and refuses an invalid config
    when `tutor config save` starts rendering, before the first file is written (the env is
    never half-rendered). Not while `plugins disable` lists our target to remove it."""
    if not Gate.unloading:
        refuse_if_invalid()
    return items


def before_job(_job_name: str, *_args: Any, **_kwargs: Any) -> None:
    """DO_JOB, fired before `tutor <context> do <job>` starts anything (containers included)."""
    refuse_if_invalid()


def load_plan(config: dict[str, Any]) -> Plan:
    return tutor_plan(config)


def report_after_save(env_root: str, config: dict[str, Any]) -> None:
    """ENV_SAVED: say once what the operator still has to do, never a secret: rebuild the
    image when the requirements changed, hand credentials to an app whose settings changed,
    and any pending configuration. "Once": compared with fingerprints of the previous save."""
    plan = load_plan(config)
    state_path = os.path.join(env_root, *STATE_FILE)
    previous = save_notices.read_state(state_path)
    current = save_notices.fingerprints(plan, str(config.get(SEED_KEY, "")), handovers())
    for line in save_notices.messages(plan, previous, current, launch_context()):
        fmt.echo_alert(f"lmsbridge: {line}")
    save_notices.write_state(state_path, current)


def launch_context() -> str | None:
    """ "local", "dev" or "k8s" when the save is part of `tutor <context> launch`."""
    context = click.get_current_context(silent=True)
    words = context.command_path.split() if context is not None else []
    for name in ("local", "dev", "k8s"):
        if name in words[1:2]:
            return name
    return None


def copy_openedx_app(env_root: str, config: dict[str, Any]) -> None:
    """ENV_SAVED: put the plugin's Open edX app into the openedx image's build context, when
    the requirements file installs it (an identity provider or a course catalog is connected)."""
    if OPENEDX_PLUGIN_PATH not in load_plan(config).requirements:
        return
    source = os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "openedx_app"
    )
    target = os.path.join(env_root, *OPENEDX_APP_ENV)
    shutil.copytree(
        source,
        target,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )


def read_task(templates: str, path: tuple[str, ...]) -> str:
    """A job's task template, as text (Tutor renders it when the job runs)."""
    with open(os.path.join(templates, *path), encoding="utf-8") as task_file:
        return task_file.read()


class JobFlag(NamedTuple):
    """A boolean option of a job that runs another task instead of the default one (a task
    template of its own, so that the rendered script stays plain text with no secret)."""

    option: str  # e.g. "--dry-run"
    help: str
    task: str


def do_job(
    name: str,
    service: str,
    task: str,
    help_text: str,
    flags: Sequence[JobFlag] = (),
    after: Callable[[], None] | None = None,
) -> click.Command:
    """A `tutor local|dev|k8s do NAME` job that runs ``task`` in ``service``'s container,
    then calls ``after`` once the task succeeded; or, with one of ``flags``, that flag's task
    instead, and not ``after`` (a dry run applied nothing)."""

    def job(**chosen: bool) -> Iterator[tuple[str, str]]:
        refuse_if_invalid()
        picked = [flag for flag in flags if chosen[flag.option.lstrip("-").replace("-", "_")]]
        if len(picked) > 1:
            raise click.UsageError(" and ".join(flag.option for flag in picked) + ": pick one")
        # Tutor runs each task the job yields before it asks for the next one, and stops on
        # a failed task: the code after the yield runs only when the task succeeded.
        yield service, picked[0].task if picked else task
        if after is not None and not picked:
            after()

    for flag in flags:
        job = click.option(flag.option, is_flag=True, help=flag.help)(job)
    return click.command(name, help=help_text)(job)


def record_init_run() -> None:
    """The init job succeeded: `status` stops listing it as pending for these objects."""
    context = click.get_current_context(silent=True)
    root = getattr(context.obj, "root", None) if context is not None else None
    if not root:
        return
    config = tutor_config.load(root)
    path = os.path.join(tutor_env.base_dir(root), *pending.PROGRESS_FILE)
    pending.record_init(path, load_plan(config), str(config.get(SEED_KEY, "")), handovers())


def before_init_tasks(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """CLI_DO_INIT_TASKS (`do init`, `launch`): refuse an invalid config before the first
    task runs; when the whole command ends without an error, our init task ran."""
    refuse_if_invalid()
    context = click.get_current_context(silent=True)
    if context is not None:
        context.find_root().call_on_close(_record_init_unless_failed)
    return items


def _record_init_unless_failed() -> None:
    # Close callbacks also run while an exception ends the command: it is still in flight.
    if sys.exc_info()[0] is None:
        record_init_run()


INIT_JOB_HELP = (
    "Create or update the Open edX objects the connected apps need (service users, OAuth2 "
    "applications, tokens, provider configurations). Safe to re-run."
)
DRY_RUN_HELP = (
    "Only report what would be created, updated or disabled (field names, never a value); "
    "everything is rolled back. Exits 3 when something would change."
)
VERIFY_JOB_HELP = (
    "Check from inside Open edX the settings and objects single sign-on and the service "
    "tokens depend on: one OK/WARNING/ERROR line each, with the fix. Writes nothing; exits 4 "
    "on any error."
)
REFRESH_JOB_HELP = (
    "Refresh the SAML identity providers' metadata now: the init job's SAML part (Open edX's "
    "own metadata pull), nothing else. The lmsbridge-saml-refresh service (local, dev) or "
    "CronJob (k8s) runs it every LMSBRIDGE_SAML_REFRESH_HOURS. Exits 5 when a provider's "
    "metadata could not be fetched or was refused (the others are refreshed)."
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


def remove_env_files(plugin: str, root: str, config: dict[str, Any]) -> None:
    """PLUGIN_UNLOADED (`tutor plugins disable`): no file of ours outlives the plugin.

    The rendered folder goes through Tutor's own cleanup, ``_delete_plugin_templates`` in
    tutor/env.py, which removes env/<dst>/<src> for each template target the plugin added.
    Tutor 22 runs it at the default priority, after ``_unload_on_disable`` (tutor/plugins/
    __init__.py, priority HIGH) has cleared the plugin's hooks, its targets with them: there it
    finds none and removes nothing (tutor-mfe's env/plugins/mfe stays behind). So we run it
    while our target is still registered (plugin.py: priority HIGH - 1), for this plugin only,
    leaving other plugins' files as Tutor leaves them. Then what no template renders: our state
    folder, and the target's parent folder when it is empty."""
    if plugin != "lmsbridge":
        return
    Gate.unloading = True  # it lists our target through the filter refuse_before is on
    try:
        tutor_env._delete_plugin_templates(plugin, root, config)
    finally:
        Gate.unloading = False
    env_root = tutor_env.base_dir(root)
    shutil.rmtree(os.path.join(env_root, *STATE_DIR), ignore_errors=True)
    remove_compose_mounts(env_root)
    source, destination = IMAGE_TARGET
    parent = os.path.join(env_root, *destination.split("/"), *source.split("/")[:-1])
    with contextlib.suppress(OSError):  # not empty: files that are not ours stay
        os.rmdir(parent)
