"""What `tutor lmsbridge status|credentials|check` print, as pure functions of the Plan.

Only ``credentials`` shows secrets; everything else goes through ``masking``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Collection, Mapping
from typing import Any, NamedTuple

from ..core.connected_apps import ConnectedApp
from ..core.errors import ConfigError, Syntax
from ..core.pipeline import plan_for
from ..core.plan import MANAGED_MARKER, Plan
from ..core.presets import HANDOVER_NAMES, PRESETS, Preset
from ..protocols import login_protocol, provider_protocol
from .escaping import python_literal
from .handovers import HANDOVERS, Handover, HandoverContext, env_text, handover_of
from .masking import mask, secret_values


class Finding(NamedTuple):
    level: str  # "error", "warning" or "ok"
    key: str  # the config key (or app) it is about
    message: str

    def line(self) -> str:
        return f"{self.level.upper():7} {self.key}: {self.message}"


def directions(app: ConnectedApp) -> str:
    parts = []
    if app.provider is not None:
        parts.append("login" if app.provider.ready else "login (client pending)")
    if app.client is not None:
        parts.append("api")
    if app.catalog is not None:
        parts.append("catalog")
    return "+".join(parts) or "-"


def table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def describe_init(plan: Plan) -> list[str]:
    """What the init job makes sure exists (it creates or updates only what differs)."""
    lines = []
    for user in plan.users:
        lines.append(
            f"service user {user.username} <{user.email}>: active, staff, unusable password"
        )
    for app in plan.applications:
        lines.append(
            f"OAuth2 application {app.name} (client id {app.client_id}, owner {app.owner}): "
            f"{app.client_type}, {app.authorization_grant_type}, skip authorization, "
            f"redirect URIs {' '.join(app.redirect_uris)}"
        )
    for token in plan.tokens:
        lines.append(
            f"access token of {token.username}: scope '{token.scope}', expires {token.expires[:10]}"
        )
    for provider in plan.providers:
        other = {k: v for k, v in provider.other_settings.items() if k != MANAGED_MARKER}
        lines.append(
            f"provider {provider.provider_id} ({provider.name!r}, slug {provider.slug}) on "
            f"Site SITE_ID: client id {provider.key}, secret from SOCIAL_AUTH_OAUTH_SECRETS, "
            f"visible {str(provider.visible).lower()}, other_settings {json.dumps(other)}"
        )
    sp = plan.bridge.saml_sp
    for configuration in plan.saml_configurations:
        if sp is None:
            break
        lines.append(
            f"SAML service provider (SAMLConfiguration {configuration.slug!r}, enabled) on Site "
            f"SITE_ID: entity id {configuration.entity_id}, organisation {sp.org_name!r} "
            f"({sp.org_url}), certificate SHA-256 {fingerprint(configuration.public_key)}, "
            "private key from SOCIAL_AUTH_SAML_SP_PRIVATE_KEY (not in the database)"
        )
    for saml in plan.saml_providers:
        source = (
            f"metadata from {saml.metadata_source} (fetched by Open edX's metadata pull, "
            "refreshed daily)"
            if saml.metadata_source
            else "inline metadata (stored by Open edX's metadata parser, not refreshed)"
        )
        other = {k: v for k, v in saml.other_settings.items() if k != MANAGED_MARKER}
        lines.append(
            f"SAML provider {saml.provider_id} ({saml.name!r}) on Site SITE_ID: entity id "
            f"{saml.entity_id}, {source}, visible {str(saml.visible).lower()}, attributes "
            f"{json.dumps(saml.attributes)}"
            + (f", other_settings {json.dumps(other)}" if other else "")
        )
    if plan.saml_providers:
        lines.append("SAML caches cleared, so that the LMS uses the new rows without a restart")
    removed = "providers of apps no longer listed: disabled (a new history row)"
    return [*lines, removed]


def fingerprint(certificate: str) -> str:
    """A certificate body's SHA-256 fingerprint, as IdP consoles show it (AB:CD:...)."""
    digest = hashlib.sha256(base64.b64decode(certificate)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def status_lines(
    plan: Plan,
    dev: bool = False,
    image: str = "openedx",
    pending: list[str] | None = None,
    handovers: Mapping[str, Handover] = HANDOVERS,
) -> list[str]:
    """``pending``: what `status` found still to do (output/pending.py), None when unknown."""
    bridge = plan.bridge
    lms = bridge.platform.lms_url(dev)
    if not bridge.apps:
        return ["No app connected (LMSBRIDGE_APPS is empty): the plugin changes nothing."]
    rows = [["APP", "PRESET", "DIRECTIONS", "BROWSER URL", "INTERNAL URL", "BACKEND"]]
    for app in bridge.apps:
        backend = app.provider.backend.name if app.provider is not None else "-"
        rows.append(
            [
                app.name,
                app.preset.name,
                directions(app),
                str(app.url),
                str(app.internal_url),
                backend,
            ]
        )
    lines = [f"Open edX LMS: {lms}{' (tutor dev)' if dev else ''}", "", *table(rows), ""]
    redirect = plan.lms.redirect
    if redirect.enabled and bridge.login_redirect_app is not None:
        lines.append(
            f"Anonymous learners go to {bridge.login_redirect_app.name}: {lms}{redirect.login_url}"
            f"{' (authn MFE bypassed)' if plan.lms.authn_mfe_off else ''}"
        )
    else:
        lines.append("Anonymous learners are not redirected (LMSBRIDGE_LOGIN_REDIRECT).")
    for app in bridge.apps:
        lines += handover_of(app, handovers).status(HandoverContext(plan, app, dev))
    lines.append(f"Image requirements (tutor images build {image}): {', '.join(plan.requirements)}")
    lines += ["", "The init job (tutor local|dev|k8s do lmsbridge-init) makes sure of:"]
    lines += [f"  {line}" for line in describe_init(plan)]
    if bridge.warnings:
        lines += ["", "To do:"] + [f"  {key}: {message}" for key, message in bridge.warnings]
    if pending:
        lines += ["", "Pending:"] + [f"  {line}" for line in pending]
    elif pending is not None:
        lines += [
            "",
            "Nothing pending: every app was given its current settings, and the init "
            "job ran since the objects last changed.",
        ]
    return [mask(line, secret_values(plan)) for line in lines]


def find_app(plan: Plan, name: str) -> ConnectedApp:
    for app in plan.bridge.apps:
        if app.name == name:
            return app
    names = ", ".join(app.name for app in plan.bridge.apps) or "none"
    raise ConfigError("LMSBRIDGE_APPS", f"{name!r} is not a connected app", f"use one of: {names}")


def credential_items(
    plan: Plan, app: ConnectedApp, dev: bool, handovers: Mapping[str, Handover] = HANDOVERS
) -> dict[str, Any]:
    """The settings the external app needs, by the names it reads them under (its handover
    profile's)."""
    return handover_of(app, handovers).settings(HandoverContext(plan, app, dev))


def provider_redirect_uri(plan: Plan, app: ConnectedApp, dev: bool) -> str | None:
    """The redirect URI the app's own OAuth2 client for Open edX must allow."""
    return HandoverContext(plan, app, dev).provider_redirect_uri


def provider_registration(plan: Plan, app: ConnectedApp, dev: bool) -> dict[str, Any]:
    """What the identity provider's admin registers for Open edX, as the app's login
    protocol says ({} for an app that logs nobody in, or when the redirect URI is all)."""
    protocol = login_protocol(app.preset)
    if protocol is None or app.provider is None:
        return {}
    return protocol.registration(plan, app, dev)


def credentials(
    plan: Plan,
    app_name: str,
    output: str,
    dev: bool = False,
    handovers: Mapping[str, Handover] = HANDOVERS,
) -> str:
    app = find_app(plan, app_name)
    handover = handover_of(app, handovers)
    ctx = HandoverContext(plan, app, dev)
    items = handover.settings(ctx)
    redirect_uri = ctx.provider_redirect_uri
    registration = provider_registration(plan, app, dev)
    client = handover.login_client(ctx)
    if output == "text":
        output = handover.text_format
    env: dict[str, str] | None = None
    notes: list[str] = []
    if output in ("env", "json") and handover.env is not None:
        env, notes = handover.env(ctx)
    if output == "json":
        data: dict[str, Any] = {"app": app.name, "settings": items}
        if env is not None:
            data["env"] = env
        if redirect_uri:
            data["provider_redirect_uri"] = redirect_uri
        if registration:
            data["registration"] = registration
        if client:
            data["login_client"] = client
        return json.dumps(data, indent=2)
    if registration:
        return "\n".join(provider_protocol(app.preset).registration_lines(app, registration))
    lines = [
        f"# {app.preset.title} ({app.name}): settings for its side, from tutor-contrib-lmsbridge"
    ]
    if items and not dev and any(key.endswith("_URL") for key in items):
        lines.append(
            f"# (these URLs are `tutor local`'s; under `tutor dev`, run `tutor lmsbridge "
            f"credentials {app.name} --dev`: LMS on :8000, Studio on :8001, learning MFE on :2000)"
        )
    before, after = handover.login_client_lines(app, client) if client else ([], [])
    lines += before
    if output == "python":
        lines += [f"{key} = {python_literal(value)}" for key, value in items.items()]
    elif env is not None:
        lines += [f"{key}={env_text(value)}" for key, value in env.items()] + notes
    else:
        lines += [f"{key}={dotenv_value(value)}" for key, value in items.items()]
    if client:
        lines += after
    elif redirect_uri:
        lines.append(
            f"# The OAuth2 client {app.name} created for Open edX must allow this redirect URI:"
        )
        lines.append(f"#   {redirect_uri}")
    return "\n".join(lines)


def dotenv_value(value: Any) -> str:
    """A .env value: bare when safe, else double-quoted with escapes; lists and mappings as
    JSON (what django-configurations' JSON values read)."""
    text = value if isinstance(value, str) else json.dumps(value)
    if text and all(ch.isalnum() or ch in "-_./:?=&%+@~," for ch in text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


def check(
    config: Mapping[str, Any],
    presets: Mapping[str, Preset] = PRESETS,
    syntax: Syntax = "config-yml",
    handovers: Collection[str] = HANDOVER_NAMES,
) -> tuple[Plan | None, list[Finding]]:
    """The plan (None when invalid) and one finding per problem or connected app."""
    try:
        plan = plan_for(config, presets, handovers)
    except ConfigError as exc:
        return None, [Finding("error", each.key, each.message(syntax)) for each in exc.each()]
    findings = [Finding("warning", key, message) for key, message in plan.bridge.warnings]
    for app in plan.bridge.apps:
        summary = f"{app.preset.name}: {directions(app)}"
        if app.catalog is not None:
            sync = "on" if app.catalog.sync else f"off ({app.key_prefix}SYNC)"
            summary += f" (Open edX API key, cross-domain CSRF cookie; course-run sync {sync})"
        findings.append(Finding("ok", app.key_prefix.rstrip("_"), summary))
    if not plan.bridge.apps:
        findings.append(Finding("ok", "LMSBRIDGE_APPS", "no app connected"))
    return plan, findings
