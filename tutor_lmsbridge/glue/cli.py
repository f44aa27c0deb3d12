"""`tutor lmsbridge ...`: status, credentials, check and a validating `set`."""

from __future__ import annotations

import os
from copy import deepcopy
from typing import TYPE_CHECKING, Any

import click
from tutor import config as tutor_config
from tutor import env as tutor_env
from tutor import exceptions, fmt

from ..core.errors import ConfigError
from ..core.keys import SEED_KEY, SP_KEY
from ..output.save_notices import read_state
from .callbacks import load_plan as config_plan
from .templating import handovers, presets

if TYPE_CHECKING:
    from ..core.plan import Plan

# The command implementations (reports, probe) are imported when a command runs.
# `credentials --format`: what `reports.credentials` writes; "text" is the form the app's
# settings take (its handover profile's: Python for Richie, .env for the others).
FORMATS = ("text", "env", "json", "python")


def load_unchecked(root: str) -> dict[str, Any]:
    """The full configuration, without the validation Tutor's CONFIG_LOADED runs, so that
    `check` can report a bad value instead of stopping on it."""
    config = tutor_config.get_user(root)
    tutor_config.update_with_base(config)
    tutor_config.update_with_defaults(config)
    tutor_config.render_full(config)
    return config


def seed_saved(root: str) -> bool:
    """Until `tutor config save` has kept the seed, Tutor invents a new one on every load:
    secrets derived now would not be the ones Open edX gets."""
    return bool(tutor_config.get_user(root).get(SEED_KEY))


def unsaved_sp_key(root: str, plan: Plan) -> bool:
    """A SAML app's SP key is generated like the seed: until saved, every run has another
    one (and another certificate)."""
    return plan.bridge.saml_sp is not None and not tutor_config.get_user(root).get(SP_KEY)


def require_saved_seed(root: str, plan: Plan | None = None) -> None:
    if not seed_saved(root):
        raise exceptions.TutorError(
            f"lmsbridge: {SEED_KEY}: not saved in config.yml yet, so every generated secret "
            "would change on the next run. Fix: tutor config save"
        )
    if plan is not None and unsaved_sp_key(root, plan):
        raise exceptions.TutorError(
            f"lmsbridge: {SP_KEY}: not saved in config.yml yet, so the SP certificate would "
            "change on the next run. Fix: tutor config save"
        )


def progress_path(root: str) -> str:
    from ..output.pending import PROGRESS_FILE

    return os.path.join(tutor_env.base_dir(root), *PROGRESS_FILE)


# The commands of `tutor lmsbridge` (command_group.LazyGroup, which Tutor registers, reads them
# from here when one runs).
COMMANDS = click.Group(name="lmsbridge")


@COMMANDS.command(
    help="Show the connected apps and what the init job makes sure of. No secret is shown."
)
@click.option("--dev", is_flag=True, help="Show the `tutor dev` URLs (http, port 8000).")
@click.pass_obj
def status(context: Any, dev: bool) -> None:
    from ..output.pending import pending_lines
    from ..output.reports import status_lines

    config = tutor_config.load(context.root)
    plan = config_plan(config)
    pending = None
    if seed_saved(context.root):
        progress = read_state(progress_path(context.root))
        pending = pending_lines(plan, str(config[SEED_KEY]), progress, handovers())
    image = "openedx-dev" if dev else "openedx"
    for line in status_lines(plan, dev, image, pending, handovers()):
        click.echo(line)
    unsaved = [SEED_KEY] if pending is None else []
    unsaved += [SP_KEY] if unsaved_sp_key(context.root, plan) else []
    for key in unsaved:
        fmt.echo_alert(f"lmsbridge: {key} is not saved yet: run `tutor config save`")


@COMMANDS.command(
    name="credentials",
    help="Print what APP needs on its side (its .env settings, the redirect URI its OAuth2 client "
    "must allow). This is the only command that prints secrets.",
)
@click.argument("app")
@click.option(
    "--format",
    "output",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text: the form APP's settings take (Python for Richie, .env otherwise); env: the "
    "variables APP reads from its environment; json: everything.",
)
@click.option("--dev", is_flag=True, help="Use the `tutor dev` URLs (http, port 8000).")
@click.pass_obj
def credentials_command(context: Any, app: str, output: str, dev: bool) -> None:
    from ..output.pending import record_handover
    from ..output.reports import credentials

    config = tutor_config.load(context.root)
    plan = config_plan(config)
    require_saved_seed(context.root, plan)
    try:
        click.echo(credentials(plan, app, output, dev, handovers()))
    except ConfigError as exc:
        raise exceptions.TutorError(f"lmsbridge: {exc.line('lmsbridge-set')}") from None
    record_handover(progress_path(context.root), plan, str(config[SEED_KEY]), app, handovers())


@COMMANDS.command(
    name="check",
    help="Validate the LMSBRIDGE_* configuration, one line per finding; with --probe, also reach "
    "each identity provider from this machine. Exits 1 on any error.",
)
@click.option(
    "--probe", "with_probe", is_flag=True, help="Reach the providers' endpoints over HTTP."
)
@click.option(
    "--timeout", default=5.0, show_default=True, help="Seconds to wait for each endpoint."
)
@click.pass_obj
def check_command(context: Any, with_probe: bool, timeout: float) -> None:
    from ..output.probe import probe
    from ..output.reports import Finding, check

    plan, findings = check(load_unchecked(context.root), presets(), "lmsbridge-set", handovers())
    if plan is not None and not seed_saved(context.root):
        findings.insert(
            0, Finding("error", SEED_KEY, "not saved in config.yml yet. Fix: tutor config save")
        )
    if plan is not None and unsaved_sp_key(context.root, plan):
        findings.insert(
            0, Finding("error", SP_KEY, "not saved in config.yml yet. Fix: tutor config save")
        )
    if plan is not None and with_probe:
        findings += probe(plan, timeout)
    for finding in findings:
        click.echo(finding.line())
    errors = sum(finding.level == "error" for finding in findings)
    click.echo(f"{errors} error(s), {sum(f.level == 'warning' for f in findings)} warning(s)")
    if errors:
        raise SystemExit(1)


@COMMANDS.command(
    name="set",
    help="Like `tutor config save --set KEY=VALUE ...`, but validates first: when a value is "
    "invalid, nothing is written (config.yml and the env stay as they are). Text, secret, URL "
    "and date values are kept exactly as typed; booleans, numbers, lists and mappings are YAML.",
)
@click.argument("assignments", nargs=-1, metavar="KEY=VALUE...")
@click.option("--unset", "unset_keys", multiple=True, metavar="KEY", help="Remove KEY.")
@click.pass_obj
def set_command(context: Any, assignments: tuple[str, ...], unset_keys: tuple[str, ...]) -> None:
    if not assignments and not unset_keys:
        raise click.UsageError("give KEY=VALUE assignments, or --unset KEY")
    from .tutor_input import read_assignment

    config = tutor_config.load_minimal(context.root)
    refused: list[ConfigError] = []  # values refused as typed (their key is not stored)
    for text in assignments:
        parsed = read_assignment(text)
        if parsed is None:
            raise click.BadParameter(f"{text!r} is not KEY=VALUE", param_hint="KEY=VALUE")
        if isinstance(parsed, ConfigError):
            refused.append(parsed)
            continue
        key, value = parsed
        config[key] = tutor_env.render_unknown(config, value)
    for key in unset_keys:
        config.pop(key, None)
    if unset_keys:
        # An unset unique value (the secret seed) is generated anew, as `config save` does.
        tutor_config.update_with_base(config)
        tutor_config.render_full(config)
    from ..output.reports import check

    full = deepcopy(config)
    tutor_config.update_with_defaults(full)
    tutor_config.render_full(full)
    _, findings = check(full, presets(), "lmsbridge-set", handovers())
    lines = [error.line("lmsbridge-set") for error in refused]
    lines += [f"{f.key}: {f.message}" for f in findings if f.level == "error"]
    if len(lines) == 1:
        raise exceptions.TutorError(f"lmsbridge: nothing written. {lines[0]}")
    if lines:
        # Every invalid key at once, one line each: one run shows all there is to fix.
        raise exceptions.TutorError(
            f"lmsbridge: nothing written: {len(lines)} values to fix\n"
            + "\n".join(f"lmsbridge: {line}" for line in lines)
        )
    # save_config_file says "Configuration saved to ..." itself.
    tutor_config.save_config_file(context.root, config)
    tutor_env.save(context.root, tutor_config.load_full(context.root))
