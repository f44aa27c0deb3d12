"""What `tutor lmsbridge status|credentials|check` print, as pure functions of the Plan.

Only ``credentials`` shows secrets; everything else goes through ``masking``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shlex
from collections.abc import Mapping
from typing import Any, NamedTuple

from ..core.connected_apps import ConnectedApp
from ..core.errors import ConfigError, Syntax
from ..core.pipeline import plan_for
from ..core.plan import MANAGED_MARKER, Plan
from ..core.presets import PRESETS, Preset
from ..core.richie_routing import richie_backend_entry
from .escaping import python_literal
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
    plan: Plan, dev: bool = False, image: str = "openedx", pending: list[str] | None = None
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
        if app.catalog is None:
            continue
        cookie = plan.lms.cross_domain_csrf or {}
        lines.append(
            f"Catalog {app.name}: CORS and login redirects from {app.url.origin}, "
            f"cross-domain CSRF cookie {cookie.get('name')} on {cookie.get('domain')}, "
            f"EDX_API_KEY {'set' if app.catalog.api_token else 'unset'}, "
            f"{lms}/richie/<path> redirects to {app.url}"
        )
        sync = next((s for s in plan.course_sync if s.app == app.name), None)
        lines.append(
            f"  course runs sent on publish to {sync.url} (first full sync: "
            "tutor local do lmsbridge-sync-courses)"
            if sync
            else f"  course-run sync off ({app.key_prefix}SYNC)"
        )
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


def credential_items(plan: Plan, app: ConnectedApp, dev: bool) -> dict[str, Any]:
    """The settings the external app needs, by the names it reads them under."""
    lms = plan.bridge.platform.lms_url(dev)
    items: dict[str, Any] = {}
    client, provider, catalog = app.client, app.provider, app.catalog
    if client is not None and client.token is not None:  # MITxOnline / MITxPro
        backend = provider.backend.name if provider is not None else app.preset.backends[0]
        items = {"OPENEDX_API_BASE_URL": lms}
        if app.preset.course_urls:
            platform = plan.bridge.platform
            items["OPENEDX_STUDIO_API_BASE_URL"] = platform.cms_url(dev)
            # MITxOnline builds a course's link as this + the course key + its
            # OPENEDX_COURSE_BASE_URL_SUFFIX ("/home": the learning MFE's course home).
            items["OPENEDX_COURSE_BASE_URL"] = platform.learning_mfe_url(dev) + "/course/"
        items |= {
            "OPENEDX_BASE_REDIRECT_URL": lms,
            "OPENEDX_SERVICE_WORKER_USERNAME": client.service_username,
            "OPENEDX_SERVICE_WORKER_API_TOKEN": client.token,
            "OPENEDX_OAUTH_PROVIDER": backend,
            "OPENEDX_SOCIAL_LOGIN_PATH": f"/auth/login/{backend}/?auth_entry=login",
            "OPENEDX_API_CLIENT_ID": client.client_id,
            "OPENEDX_API_CLIENT_SECRET": client.client_secret,
            "LOGOUT_REDIRECT_URL": f"{lms}/logout",
        }
    if catalog is not None:  # Richie
        items["RICHIE_LMS_BACKENDS"] = [richie_backend_entry(lms, catalog.api_token)]
        items["RICHIE_COURSE_RUN_SYNC_SECRETS"] = list(catalog.sync_secrets)
    if client is not None and client.token is None:  # logs in with Open edX (edx-oauth2)
        items["SOCIAL_AUTH_EDX_OAUTH2_KEY"] = client.client_id
        items["SOCIAL_AUTH_EDX_OAUTH2_SECRET"] = client.client_secret
        if catalog is not None:  # Richie's EdXOAuth2 backend
            items["SOCIAL_AUTH_EDX_OAUTH2_ENDPOINT"] = f"{lms}/oauth2"
        else:  # edx-auth-backends' EdXOAuth2, as Open edX's own services use it
            items["SOCIAL_AUTH_EDX_OAUTH2_URL_ROOT"] = lms
            items["SOCIAL_AUTH_EDX_OAUTH2_PUBLIC_URL_ROOT"] = lms
            items["SOCIAL_AUTH_EDX_OAUTH2_LOGOUT_URL"] = f"{lms}/logout"
    return items


def provider_redirect_uri(plan: Plan, app: ConnectedApp, dev: bool) -> str | None:
    """The redirect URI the app's own OAuth2 client for Open edX must allow."""
    if app.provider is None or app.provider.saml is not None:
        return None
    return f"{plan.bridge.platform.lms_url(dev)}/auth/complete/{app.provider.backend.name}/"


# The OAuth2 application MITxOnline and MITxPro log Open edX in with: their
# OPENEDX_OAUTH_APP_NAME default, created by a data migration (with the redirect URI from
# OPENEDX_BASE_REDIRECT_URL) and by `configure_instance`, which sets the given id and secret.
MITX_LOGIN_APPLICATION = "edx-oauth-app"


def login_client(plan: Plan, app: ConnectedApp, dev: bool) -> dict[str, Any]:
    """What the app registers for the login client Open edX generated (MITx presets): the
    `configure_instance` line for its development setup, the admin values for production."""
    provider = app.provider
    if provider is None or not provider.generated:
        return {}
    # configure_instance needs the Docker network's gateway on Linux (macOS: "macos", no
    # gateway); it only uses it for redirect URIs, so the command computes it in place.
    network = f"{app.preset.compose_project}_default"
    gateway = f"\"$(docker network inspect {network} -f '{{{{(index .IPAM.Config 0).Gateway}}}}')\""
    command = " ".join(
        [
            "docker compose run --rm web ./manage.py configure_instance linux --gateway",
            gateway,
            "--tutor-dev" if dev else "--tutor",
            "--edx-oauth-client",
            shlex.quote(provider.client_id),
            "--edx-oauth-secret",
            shlex.quote(provider.client_secret),
        ]
    )
    redirect_uri = provider_redirect_uri(plan, app, dev) or ""
    client: dict[str, Any] = {
        "application_name": MITX_LOGIN_APPLICATION,
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "client_type": "confidential",
        "authorization_grant_type": "authorization-code",
        "skip_authorization": True,
        "redirect_uris": [redirect_uri],
        "admin_url": f"{app.url}/admin/oauth2_provider/application/",
        "configure_instance": command,
    }
    registered = configure_instance_redirect_uri(dev)
    if redirect_uri != registered:
        client["configure_instance_registers"] = registered
        client["register_redirect_uri"] = register_command(provider, redirect_uri)
    return client


def configure_instance_redirect_uri(dev: bool) -> str:
    """The Open edX redirect URI `configure_instance --tutor|--tutor-dev` registers: it
    hard-codes the host and the backend (determine_edx_hostport and handle in
    main/management/commands/configure_instance.py, mitxonline and mitxpro alike), and keeps
    an existing application's redirect URIs (get_or_create)."""
    return f"http://local.openedx.io{':8000' if dev else ''}/auth/complete/ol-oauth2/"


def register_command(provider: Any, redirect_uri: str) -> str:
    """A Django shell line, run in the app's checkout, that makes the login application hold
    exactly this client and redirect URI (django-oauth-toolkit's Application, by name as the
    app's own configure_instance looks it up)."""
    defaults = {
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "client_type": "confidential",
        "authorization_grant_type": "authorization-code",
        "skip_authorization": True,
        "redirect_uris": redirect_uri,
    }
    # Python literals in double quotes (a JSON string is one), so that the shell quoting
    # around the code stays plain single quotes.
    literal = ", ".join(
        f"{json.dumps(name)}: {json.dumps(value) if isinstance(value, str) else repr(value)}"
        for name, value in defaults.items()
    )
    code = (
        "from oauth2_provider.models import Application; "
        f"Application.objects.update_or_create(name={json.dumps(MITX_LOGIN_APPLICATION)}, "
        f"defaults={{{literal}}})"
    )
    return f"docker compose run --rm web ./manage.py shell -c {shlex.quote(code)}"


def _login_client_lines(app: ConnectedApp, client: Mapping[str, Any]) -> list[str]:
    title = app.preset.title
    return [
        f"# 2. Register the login client Open edX generated, at {title}: the OAuth2 "
        f"application {client['application_name']}, with exactly this id and secret.",
        f"#    Development ({title}'s docker compose; on macOS: macos, without --gateway):",
        f"#      {client['configure_instance']}",
        *(
            [
                f"#    That command registers {client['configure_instance_registers']} "
                "(it hard-codes that host and backend), not this Open edX's; then register "
                "the real redirect URI:",
                f"#      {client['register_redirect_uri']}",
            ]
            if "register_redirect_uri" in client
            else []
        ),
        f"#    Production: {client['admin_url']}, application {client['application_name']}:",
        f"#      Client id: {client['client_id']}",
        f"#      Client secret: {client['client_secret']} (stored hashed: enter it as is)",
        "#      Client type: Confidential",
        "#      Authorization grant type: Authorization code",
        f"#      Redirect uris: {' '.join(client['redirect_uris'])}",
        "#      Skip authorization: checked",
        f"#    Either way, {client['application_name']} must allow the redirect URI "
        f"{' '.join(client['redirect_uris'])}",
        f"# 3. Then `tutor lmsbridge check --probe` confirms that {title} accepts the client.",
    ]


def provider_registration(plan: Plan, app: ConnectedApp, dev: bool) -> dict[str, Any]:
    """What an OpenID Provider's admin registers for Open edX (the client itself), or a SAML
    IdP's admin for Open edX as a service provider (never its private key)."""
    lms = plan.bridge.platform.lms_url(dev)
    sp = plan.bridge.saml_sp
    if app.provider is not None and app.provider.saml is not None and sp is not None:
        from ..core.saml_values import pem_certificate  # loaded for SAML apps only

        return {
            "sp_entity_id": sp.entity_id,
            "sp_metadata_url": f"{lms}/auth/saml/metadata.xml",
            "assertion_consumer_service_url": f"{lms}/auth/complete/tpa-saml/",
            "assertion_consumer_service_binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
            "login_url": f"{lms}{app.provider.login_path}",
            "attributes": dict(app.provider.saml.attributes),
            "sp_certificate_sha256": fingerprint(sp.certificate),
            "sp_certificate": pem_certificate(sp.certificate),
        }
    if app.provider is None or app.preset.protocol != "oidc":
        return {}
    return {
        "client_type": "confidential (client secret), authorization code flow",
        "scopes": " ".join(app.provider.other_settings["SCOPE"]),
        "redirect_uri": f"{lms}/auth/complete/{app.provider.backend.name}/",
        # Where the provider may send the browser to log out of Open edX too (front-channel
        # logout), or back after its own logout (post-logout redirect), where it has them.
        "logout_url": f"{lms}/logout",
        "initiate_login_uri": f"{lms}{app.provider.login_path}",
    }


def credentials(plan: Plan, app_name: str, output: str, dev: bool = False) -> str:
    app = find_app(plan, app_name)
    items = credential_items(plan, app, dev)
    redirect_uri = provider_redirect_uri(plan, app, dev)
    registration = provider_registration(plan, app, dev)
    client = login_client(plan, app, dev)
    if output == "json":
        data: dict[str, Any] = {"app": app.name, "settings": items}
        if redirect_uri:
            data["provider_redirect_uri"] = redirect_uri
        if registration:
            data["registration"] = registration
        if client:
            data["login_client"] = client
        return json.dumps(data, indent=2)
    if registration and app.provider is not None and app.provider.saml is not None:
        return saml_registration_text(app, registration)
    if registration:
        return "\n".join(
            [
                f"# {app.provider.title if app.provider else app.name} ({app.name}): register "
                "Open edX as a client at the OpenID Provider",
                *(f"# {name.replace('_', ' ')}: {value}" for name, value in registration.items()),
                f"# then set LMSBRIDGE_{app.name.upper()}_CLIENT_ID and _CLIENT_SECRET to the "
                "client it creates",
            ]
        )
    lines = [
        f"# {app.preset.title} ({app.name}): settings for its side, from tutor-contrib-lmsbridge"
    ]
    if items and not dev and any(key.endswith("_URL") for key in items):
        lines.append(
            f"# (these URLs are `tutor local`'s; under `tutor dev`, run `tutor lmsbridge "
            f"credentials {app.name} --dev`: LMS on :8000, Studio on :8001, learning MFE on :2000)"
        )
    if client:
        lines.append(
            f"# 1. In {app.preset.title}'s .env (before its first migrate, which "
            f"creates {client['application_name']} with the redirect URI below):"
        )
    if output == "python":
        lines += [f"{key} = {python_literal(value)}" for key, value in items.items()]
    else:
        lines += [f"{key}={dotenv_value(value)}" for key, value in items.items()]
    if client:
        lines += _login_client_lines(app, client)
    elif redirect_uri:
        lines.append(
            f"# The OAuth2 client {app.name} created for Open edX must allow this redirect URI:"
        )
        lines.append(f"#   {redirect_uri}")
    return "\n".join(lines)


def saml_registration_text(app: ConnectedApp, registration: dict[str, Any]) -> str:
    """For the IdP's admin: Open edX as a service provider (SP metadata URL first: most IdPs
    import it), then each value for those that are configured by hand."""
    title = app.provider.title if app.provider is not None else app.name
    attributes = registration["attributes"]
    lines = [
        f"# {title} ({app.name}): register Open edX as a SAML service provider at the IdP",
        f"# SP entity id: {registration['sp_entity_id']}",
        f"# SP metadata URL: {registration['sp_metadata_url']}",
        f"# assertion consumer service URL (HTTP-POST): "
        f"{registration['assertion_consumer_service_url']}",
        f"# login URL (SP-initiated): {registration['login_url']}",
        "# attributes to release: "
        + ", ".join(f"{field[5:]} {name}" for field, name in attributes.items()),
        f"# SP certificate (signing and encryption), SHA-256 "
        f"{registration['sp_certificate_sha256']}:",
        registration["sp_certificate"],
    ]
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
) -> tuple[Plan | None, list[Finding]]:
    """The plan (None when invalid) and one finding per problem or connected app."""
    try:
        plan = plan_for(config, presets)
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
