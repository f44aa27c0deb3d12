"""What is left to do after `tutor config save`, said once.

The previous save's fingerprints (HMAC-SHA256 under the secret seed, so that the file reveals
nothing) are compared with the new ones, one notice per action, in the order to take them:
changed requirements mean an image build, changed objects the init job, changed LMS or Studio
settings (a new client secret, a rotated SAML key...) a restart of the running services, which
read their settings once at start, and changed credentials mean the app needs its new
settings. New warnings are shown once.
"""

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from typing import Any

from ..core.connected_apps import IdentityProvider
from ..core.plan import Plan
from ..protocols import login_protocol
from .handovers import HANDOVERS, Handover
from .reports import credential_items, provider_redirect_uri, provider_registration

SERVICE_NAMES = {"lms": "LMS", "cms": "Studio"}


def _digest(seed: str, value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return hmac.new(seed.encode(), text.encode(), hashlib.sha256).hexdigest()[:16]


def fingerprints(
    plan: Plan, seed: str, handovers: Mapping[str, Handover] = HANDOVERS
) -> dict[str, Any]:
    apps = {}
    for app in plan.bridge.apps:
        # What the app's handover profile gives it: a change means it needs its settings.
        items = credential_items(plan, app, False, handovers)
        # The login client the app registers (None, None: the app made its own).
        handed: list[str | None] = [None, None]
        provider = app.provider
        if isinstance(provider, IdentityProvider) and provider.generated:
            handed = [provider.client_id, provider.client_secret]
        parts: list[Any] = [items, provider_redirect_uri(plan, app, dev=False), handed]
        protocol = login_protocol(app.preset)
        if provider is not None and protocol is not None and protocol.registration_fingerprinted:
            # What the IdP's admin registers (a SAML SP entity id, certificate...).
            parts.append(provider_registration(plan, app, dev=False))
        apps[app.name] = _digest(seed, parts)
    return {
        "requirements": _digest(seed, list(plan.requirements)),
        "init": _digest(seed, plan.init_data()),
        "settings": {
            service: _digest(seed, data) for service, data in running_settings(plan).items()
        },
        "credentials": apps,
        "warnings": [_digest(seed, list(warning)) for warning in plan.bridge.warnings],
    }


def running_settings(plan: Plan) -> dict[str, Any]:
    """What each service reads at start from the settings the plugin renders: the LMS its
    settings patch and lms.env.yml, Studio its course-sync settings. The init and verify plans
    are left out: only the jobs read them, each in a fresh container."""
    if not plan.active:
        return {"lms": None, "cms": []}  # the patches render nothing
    lms = {
        key: value
        for key, value in plan.settings_data().items()
        if key not in ("init_plan", "verify_plan")
    }
    return {"lms": [lms, plan.lms_env()], "cms": plan.cms_settings_data()}


def restart_command(services: list[str]) -> str:
    """How to restart ``services``: compose bind-mounts the settings, so a restart reads them;
    Kubernetes gets them from ConfigMaps named after their content (Tutor's
    configMapGenerator), so `tutor k8s start` applies them and rolls the pods."""
    names = " ".join(services)
    return (
        f"`tutor local restart {names}` (`tutor dev restart {names}`; Kubernetes: "
        "`tutor k8s start`)"
    )


def messages(
    plan: Plan, previous: dict[str, Any], current: dict[str, Any], context: str | None = None
) -> list[str]:
    """What to do after this save. ``context`` is "local", "dev" or "k8s" when the save was
    part of `tutor <context> launch` (None for `tutor config save`)."""
    lines = []
    image = "openedx-dev" if context == "dev" else "openedx"
    run = f"tutor {context}" if context else "tutor local|dev|k8s"
    rebuild = bool(plan.requirements) and previous.get("requirements") != current["requirements"]
    if rebuild:
        hint = (
            f"`{run} launch` builds it"
            if context
            else "`tutor images build openedx-dev` under tutor dev; `launch` builds it"
        )
        lines.append(
            f"the {image} image needs new packages: run `tutor images build {image}` ({hint})"
        )
    if previous.get("init") != current["init"] and (plan.active or previous):
        lines.append(
            f"the Open edX objects changed: run `{run} do lmsbridge-init` (or `{run} launch`)"
        )
    old_settings = previous.get("settings", {}) if previous else {}
    changed = [
        service
        for service, digest in current["settings"].items()
        if previous and old_settings.get(service) != digest
    ]
    if changed and context is None and not rebuild:
        # A plain save leaves the running services on the old values. Not said under `launch`,
        # which restarts them, nor with a rebuild: the new image's containers read them.
        lines.append(
            f"the {' and '.join(SERVICE_NAMES[s] for s in changed)} settings changed and the "
            f"running services keep the old ones: restart them, {restart_command(changed)}"
        )
    old_credentials = previous.get("credentials", {})
    for name, digest in current["credentials"].items():
        if old_credentials.get(name) != digest:
            lines.append(f"{name} needs its settings: `tutor lmsbridge credentials {name}`")
    seen = set(previous.get("warnings", []))
    for warning, digest in zip(plan.bridge.warnings, current["warnings"], strict=True):
        if digest not in seen:
            lines.append(f"{warning[0]}: {warning[1]}")
    return lines


def read_state(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as state_file:
            state = json.load(state_file)
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def write_state(path: str, state: dict[str, Any]) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as state_file:
        json.dump(state, state_file, indent=2, sort_keys=True)
        state_file.write("\n")
