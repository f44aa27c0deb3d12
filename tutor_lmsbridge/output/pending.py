"""What `tutor lmsbridge status` lists as still pending.

Two things happen outside the plugin's sight: an app is given its settings (the operator
pastes what `tutor lmsbridge credentials <app>` printed, which registers a generated login
client there), and the init job runs in the LMS container. Each leaves a fingerprint when it
happens, the same HMACs as the after-save notices (``save_notices``), so that the file
reveals nothing; `status` compares them with the current configuration's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core.plan import Plan
from .handovers import HANDOVERS, Handover, HandoverContext, handover_of
from .save_notices import fingerprints, read_state, write_state

PROGRESS_FILE = ("plugins", "lmsbridge", "progress.json")  # under env/


def record_init(
    path: str, plan: Plan, seed: str, handovers: Mapping[str, Handover] = HANDOVERS
) -> None:
    """The init job finished for the objects of this plan."""
    progress = read_state(path)
    progress["init"] = fingerprints(plan, seed, handovers)["init"]
    write_state(path, progress)


def record_handover(
    path: str, plan: Plan, seed: str, app: str, handovers: Mapping[str, Handover] = HANDOVERS
) -> None:
    """`credentials <app>` printed the app's current settings."""
    progress = read_state(path)
    handed: dict[str, Any] = progress.setdefault("credentials", {})
    handed[app] = fingerprints(plan, seed, handovers)["credentials"][app]
    write_state(path, progress)


def pending_lines(
    plan: Plan, seed: str, progress: dict[str, Any], handovers: Mapping[str, Handover] = HANDOVERS
) -> list[str]:
    current = fingerprints(plan, seed, handovers)
    lines = []
    handed = progress.get("credentials", {})
    for app in plan.bridge.apps:
        if handed.get(app.name) == current["credentials"][app.name]:
            continue
        # A login client Open edX generated, which the app's profile has it register.
        generated = handover_of(app, handovers).login_client(HandoverContext(plan, app, False))
        register = (
            f" (that registers the login client Open edX generated; `tutor lmsbridge check "
            f"--probe` confirms {app.name} accepts it)"
            if generated
            else ""
        )
        lines.append(
            f"{app.name} has not been given its current settings: run `tutor lmsbridge "
            f"credentials {app.name}` and apply them there{register}"
        )
    if plan.active and progress.get("init") != current["init"]:
        lines.append(
            "the init job has not run since the Open edX objects changed: "
            "`tutor local|dev|k8s do lmsbridge-init` (or `launch`)"
        )
    return lines
