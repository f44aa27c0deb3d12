"""tutor-contrib-lmsbridge: this module only registers hooks."""

from __future__ import annotations

import os
from glob import glob

from tutor import hooks

from .core.keys import tutor_defaults, tutor_unique
from .glue import tutor_input
from .glue.callbacks import (
    DRY_RUN_HELP,
    DRY_RUN_TASK_PATH,
    IMAGE_TARGET,
    INIT_JOB_HELP,
    INIT_TASK_PATH,
    REFRESH_JOB_HELP,
    REFRESH_TASK_PATH,
    SECRETS_TARGET,
    SYNC_JOB_HELP,
    SYNC_TASK_PATH,
    VERIFY_JOB_HELP,
    VERIFY_TASK_PATH,
    JobFlag,
    before_init_tasks,
    before_job,
    copy_openedx_app,
    do_job,
    images_to_build,
    read_task,
    record_init_run,
    refuse_before,
    remove_env_files,
    report_after_save,
    validate_config,
)
from .glue.command_group import lmsbridge as lmsbridge_command_group
from .glue.secret_files import write_compose_mounts
from .glue.templating import plan_from_template, secrets_from_template
from .output.escaping import compose_value, json_value, python_literal, yaml_value

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "templates")

########## Configuration: the global keys of the key catalog (core/keys.py). Tutor core
########## values we change: none (never put a secret in CONFIG_OVERRIDES: Tutor prints them).
hooks.Filters.CONFIG_DEFAULTS.add_items(tutor_defaults())
hooks.Filters.CONFIG_UNIQUE.add_items(tutor_unique())
# LMSBRIDGE_* values given as KEY=VALUE keep the type the catalog declares (0123 stays text).
tutor_input.install()
# An invalid configuration refuses rendering and jobs (and only them) before they start.
hooks.Actions.CONFIG_LOADED.add()(validate_config)
hooks.Filters.ENV_TEMPLATE_TARGETS.add()(refuse_before)
hooks.Filters.CLI_DO_INIT_TASKS.add()(before_init_tasks)
hooks.Actions.DO_JOB.add(priority=hooks.priorities.HIGH)(before_job)
hooks.Actions.ENV_SAVED.add()(copy_openedx_app)
hooks.Actions.ENV_SAVED.add()(report_after_save)
# `tutor local`/`dev`: compose override files mount the secrets file (glue/secret_files.py).
hooks.Actions.ENV_SAVED.add()(write_compose_mounts)
# `plugins disable` removes our files: before Tutor's PLUGIN_UNLOADED callback (priority HIGH)
# clears our hooks, our template target with them (see remove_env_files).
hooks.Actions.PLUGIN_UNLOADED.add(priority=hooks.priorities.HIGH - 1)(remove_env_files)

########## Templates
# templates/lmsbridge/image/ is rendered into the openedx image's build context; the plugin's
# Open edX app is copied there verbatim after each save (copy_openedx_app), not rendered.
# templates/lmsbridge/ also holds the jobs' tasks and, in settings/, the bodies of the two
# settings patches: read or included, never rendered into env/ themselves.
hooks.Filters.ENV_TEMPLATE_ROOTS.add_item(TEMPLATES)
hooks.Filters.ENV_TEMPLATE_TARGETS.add_item(IMAGE_TARGET)
# templates/lmsbridge/secrets/ holds the plugin's one secrets file (core/secret_store.py),
# rendered into env/plugins/lmsbridge/secrets/: mounted read-only (local, dev) or made a
# Kubernetes Secret (patches/kustomization); the settings patches read it at start-up.
hooks.Filters.ENV_TEMPLATE_TARGETS.add_item(SECRETS_TARGET)
hooks.Filters.ENV_TEMPLATE_FILTERS.add_items(
    [
        ("lmsbridge_py", python_literal),
        ("lmsbridge_yaml", yaml_value),
        ("lmsbridge_compose", compose_value),
        ("lmsbridge_json", json_value),
    ]
)
hooks.Filters.ENV_TEMPLATE_VARIABLES.add_items(
    [("lmsbridge_plan", plan_from_template), ("lmsbridge_secrets", secrets_from_template)]
)

########## Patches: one file each. Low priority, so that our settings come after other
########## plugins' (tutor-mfe turns the authn MFE on in its own patches). The two settings
########## patches only include their body from templates/lmsbridge/settings/: Tutor compiles
########## a patch's text anew for each file it is rendered into (production.py and
########## development.py), while Jinja compiles an included template once per renderer.
for path in sorted(glob(os.path.join(HERE, "patches", "*"))):
    with open(path, encoding="utf-8") as patch_file:
        hooks.Filters.ENV_PATCHES.add_item(
            (os.path.basename(path), patch_file.read()), priority=hooks.priorities.LOW
        )

########## Commands: `tutor lmsbridge status|credentials|check|set`
hooks.Filters.CLI_COMMANDS.add_item(lmsbridge_command_group)

########## Jobs: the init job (also a dry run), verification, the course sync, the SAML refresh
INIT_TASK = read_task(TEMPLATES, INIT_TASK_PATH)
DRY_RUN_TASK = read_task(TEMPLATES, DRY_RUN_TASK_PATH)
VERIFY_TASK = read_task(TEMPLATES, VERIFY_TASK_PATH)
SYNC_TASK = read_task(TEMPLATES, SYNC_TASK_PATH)
REFRESH_TASK = read_task(TEMPLATES, REFRESH_TASK_PATH)
hooks.Filters.CLI_DO_INIT_TASKS.add_item(("lms", INIT_TASK))
hooks.Filters.CLI_DO_COMMANDS.add_items(
    [
        do_job(
            "lmsbridge-init",
            "lms",
            INIT_TASK,
            INIT_JOB_HELP,
            [JobFlag("--dry-run", DRY_RUN_HELP, DRY_RUN_TASK)],
            after=record_init_run,
        ),
        do_job("lmsbridge-verify", "lms", VERIFY_TASK, VERIFY_JOB_HELP),
        do_job("lmsbridge-sync-courses", "cms", SYNC_TASK, SYNC_JOB_HELP),
        do_job("lmsbridge-refresh-saml", "lms", REFRESH_TASK, REFRESH_JOB_HELP),
    ]
)

########## Images: the openedx image must contain the backends, so `launch` builds it.
hooks.Filters.IMAGES_BUILD_REQUIRED.add()(images_to_build)
