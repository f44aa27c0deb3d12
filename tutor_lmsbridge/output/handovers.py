"""Handover profiles: what an app is given on its side, by the names it reads them under.

A preset names its profile (``Preset.handover``); `tutor lmsbridge credentials`, `status` and
the notices after `tutor config save` iterate over it instead of knowing app families. Ours:

- ``mitx``: MITxOnline's and MITxPro's OPENEDX_* settings, and the login client Open edX
  generated, which the app registers (`configure_instance`, or its admin);
- ``richie``: Richie's RICHIE_LMS_BACKENDS entry, its course-run sync secrets and, when it logs
  in with Open edX, its EdXOAuth2 backend's settings;
- ``edx-oauth2-client``: python-social-auth's edx-oauth2 settings (edx-auth-backends'
  EdXOAuth2, as Open edX's own services log in with it): the default of a preset with an API
  client;
- ``none``: nothing beyond what the protocol's registration says (an identity provider's
  redirect URI, a SAML IdP's SP metadata): the default of the others.

Other plugins add profiles through the ``LMSBRIDGE_HANDOVERS`` filter (``tutor_lmsbridge.hooks``).
"""

from __future__ import annotations

import dataclasses
import json
import shlex
from collections.abc import Callable, Mapping
from typing import Any

from ..core.connected_apps import ConnectedApp, IdentityProvider
from ..core.plan import Plan
from ..core.richie_routing import richie_backend_entry


@dataclasses.dataclass(frozen=True)
class HandoverContext:
    """One app, in the plan, for `tutor local` (``dev`` False) or `tutor dev` URLs."""

    plan: Plan
    app: ConnectedApp
    dev: bool

    @property
    def lms_url(self) -> str:
        return self.plan.bridge.platform.lms_url(self.dev)

    @property
    def provider_redirect_uri(self) -> str | None:
        """Where an OAuth2 identity provider sends the learner back (None: no such client)."""
        provider = self.app.provider
        if not isinstance(provider, IdentityProvider):
            return None  # none, or a SAML IdP: it posts to tpa-saml's assertion consumer
        return f"{self.lms_url}/auth/complete/{provider.backend.name}/"


def _no_settings(_ctx: HandoverContext) -> dict[str, Any]:
    return {}


def _no_lines(_ctx: HandoverContext) -> list[str]:
    return []


@dataclasses.dataclass(frozen=True)
class Handover:
    """A handover profile. ``settings`` are printed by `credentials` (as .env, Python or
    JSON) and fingerprinted for the after-save notice; ``login_client`` is a login client
    Open edX generated that the app registers ({} when none), ``login_client_lines`` the
    text lines before and after the settings that register it; ``status`` adds lines to
    `tutor lmsbridge status`."""

    name: str
    doc: str  # one line for the README's preset table
    settings: Callable[[HandoverContext], dict[str, Any]] = _no_settings
    login_client: Callable[[HandoverContext], dict[str, Any]] = _no_settings
    login_client_lines: Callable[[ConnectedApp, Mapping[str, Any]], tuple[list[str], list[str]]] = (
        lambda _app, _client: ([], [])
    )
    status: Callable[[HandoverContext], list[str]] = _no_lines


def _mitx_settings(ctx: HandoverContext) -> dict[str, Any]:
    client, provider, preset = ctx.app.client, ctx.app.provider, ctx.app.preset
    if client is None or client.token is None:
        return {}
    lms = ctx.lms_url
    items: dict[str, Any] = {"OPENEDX_API_BASE_URL": lms}
    if preset.course_urls:
        platform = ctx.plan.bridge.platform
        items["OPENEDX_STUDIO_API_BASE_URL"] = platform.cms_url(ctx.dev)
        # MITxOnline builds a course's link as this + the course key + its
        # OPENEDX_COURSE_BASE_URL_SUFFIX ("/home": the learning MFE's course home).
        items["OPENEDX_COURSE_BASE_URL"] = platform.learning_mfe_url(ctx.dev) + "/course/"
    items |= {
        "OPENEDX_BASE_REDIRECT_URL": lms,
        "OPENEDX_SERVICE_WORKER_USERNAME": client.service_username,
        "OPENEDX_SERVICE_WORKER_API_TOKEN": client.token,
    }
    # The backend Open edX logs in through: the app's own, else (an app used only as API
    # client, another app logging learners in) the preset's default.
    backend = provider.backend.name if provider is not None else next(iter(preset.backends), "")
    if backend:
        items["OPENEDX_OAUTH_PROVIDER"] = backend
        items["OPENEDX_SOCIAL_LOGIN_PATH"] = f"/auth/login/{backend}/?auth_entry=login"
    items |= {
        "OPENEDX_API_CLIENT_ID": client.client_id,
        "OPENEDX_API_CLIENT_SECRET": client.client_secret,
        "LOGOUT_REDIRECT_URL": f"{lms}/logout",
    }
    return items


# The OAuth2 application MITxOnline and MITxPro log Open edX in with: their
# OPENEDX_OAUTH_APP_NAME default, created by a data migration (with the redirect URI from
# OPENEDX_BASE_REDIRECT_URL) and by `configure_instance`, which sets the given id and secret.
MITX_LOGIN_APPLICATION = "edx-oauth-app"


def _mitx_login_client(ctx: HandoverContext) -> dict[str, Any]:
    """What the app registers for the login client Open edX generated: the
    `configure_instance` line for its development setup, the admin values for production."""
    app, dev = ctx.app, ctx.dev
    provider = app.provider
    if not isinstance(provider, IdentityProvider) or not provider.generated:
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
    redirect_uri = ctx.provider_redirect_uri or ""
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


def register_command(provider: IdentityProvider, redirect_uri: str) -> str:
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


def _mitx_login_client_lines(
    app: ConnectedApp, client: Mapping[str, Any]
) -> tuple[list[str], list[str]]:
    title = app.preset.title
    before = [
        f"# 1. In {title}'s .env (before its first migrate, which "
        f"creates {client['application_name']} with the redirect URI below):"
    ]
    return before, [
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


def _edx_oauth2_settings(ctx: HandoverContext) -> dict[str, Any]:
    """edx-auth-backends' EdXOAuth2, as Open edX's own services use it."""
    client, lms = ctx.app.client, ctx.lms_url
    if client is None:
        return {}
    return {
        "SOCIAL_AUTH_EDX_OAUTH2_KEY": client.client_id,
        "SOCIAL_AUTH_EDX_OAUTH2_SECRET": client.client_secret,
        "SOCIAL_AUTH_EDX_OAUTH2_URL_ROOT": lms,
        "SOCIAL_AUTH_EDX_OAUTH2_PUBLIC_URL_ROOT": lms,
        "SOCIAL_AUTH_EDX_OAUTH2_LOGOUT_URL": f"{lms}/logout",
    }


def _richie_settings(ctx: HandoverContext) -> dict[str, Any]:
    client, catalog, lms = ctx.app.client, ctx.app.catalog, ctx.lms_url
    items: dict[str, Any] = {}
    if catalog is not None:
        items["RICHIE_LMS_BACKENDS"] = [richie_backend_entry(lms, catalog.api_token)]
        items["RICHIE_COURSE_RUN_SYNC_SECRETS"] = list(catalog.sync_secrets)
    if client is not None:  # Richie's EdXOAuth2 backend (LMSBRIDGE_<APP>_OAUTH2_CLIENT)
        items["SOCIAL_AUTH_EDX_OAUTH2_KEY"] = client.client_id
        items["SOCIAL_AUTH_EDX_OAUTH2_SECRET"] = client.client_secret
        items["SOCIAL_AUTH_EDX_OAUTH2_ENDPOINT"] = f"{lms}/oauth2"
    return items


def _richie_status(ctx: HandoverContext) -> list[str]:
    app, plan, lms = ctx.app, ctx.plan, ctx.lms_url
    if app.catalog is None:
        return []
    cookie = plan.lms.cross_domain_csrf or {}
    sync = next((s for s in plan.course_sync if s.app == app.name), None)
    return [
        f"Catalog {app.name}: CORS and login redirects from {app.url.origin}, "
        f"cross-domain CSRF cookie {cookie.get('name')} on {cookie.get('domain')}, "
        f"EDX_API_KEY {'set' if app.catalog.api_token else 'unset'}, "
        f"{lms}/richie/<path> redirects to {app.url}",
        f"  course runs sent on publish to {sync.url} (first full sync: "
        "tutor local do lmsbridge-sync-courses)"
        if sync
        else f"  course-run sync off ({app.key_prefix}SYNC)",
    ]


BUILTIN_HANDOVERS: tuple[Handover, ...] = (
    Handover(
        "mitx",
        "OPENEDX_* settings and the generated login client to register",
        settings=_mitx_settings,
        login_client=_mitx_login_client,
        login_client_lines=_mitx_login_client_lines,
    ),
    Handover(
        "richie",
        "RICHIE_LMS_BACKENDS, course-run sync secrets, EdXOAuth2 settings",
        settings=_richie_settings,
        status=_richie_status,
    ),
    Handover("edx-oauth2-client", "SOCIAL_AUTH_EDX_OAUTH2_* settings", _edx_oauth2_settings),
    Handover("none", "the protocol's registration only"),
)
HANDOVERS: dict[str, Handover] = {handover.name: handover for handover in BUILTIN_HANDOVERS}


def handover_of(app: ConnectedApp, handovers: Mapping[str, Handover]) -> Handover:
    """The app's profile (the core refused a preset naming one that is not there)."""
    return handovers[app.preset.handover_profile]
