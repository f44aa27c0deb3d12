"""Handover profiles: what an app is given on its side, by the names it reads them under.

A preset names its profile (``Preset.handover``); `tutor lmsbridge credentials`, `status` and
the notices after `tutor config save` iterate over it instead of knowing app families. Ours:

- ``mitx``: MITxOnline's and MITxPro's OPENEDX_* settings, and the login client Open edX
  generated, which the app registers (`configure_instance`, or its admin);
- ``richie``: Richie's settings module block (RICHIE_LMS_BACKENDS, its course-run sync secrets,
  RICHIE_AUTHENTICATION_DELEGATION, SECURE_REFERRER_POLICY and, for a Richie older than 2.15
  that logs in with Open edX, its EdXOAuth2 backend's settings), or the environment variables
  Richie's sandbox settings read;
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
from ..core.errors import ConfigError
from ..core.plan import Plan
from ..core.richie_routing import (
    RICHIE_NEXT_URL,
    RICHIE_REFERRER_POLICY,
    authentication_delegation,
    richie_backend_entry,
)


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
    JSON) and fingerprinted for the after-save notice; ``text_format`` is the form
    `credentials` prints them in by default (the one the app's settings take); ``env``, when
    the app reads other names from its environment than its settings', gives those variables
    (name to the value, as the app parses it from the text) and comment lines on what the
    environment cannot carry; ``login_client`` is a login client Open edX generated that the
    app registers ({} when none), ``login_client_lines`` the text lines before and after the
    settings that register it; ``status`` adds lines to `tutor lmsbridge status`."""

    name: str
    doc: str  # one line for the README's preset table
    settings: Callable[[HandoverContext], dict[str, Any]] = _no_settings
    login_client: Callable[[HandoverContext], dict[str, Any]] = _no_settings
    login_client_lines: Callable[[ConnectedApp, Mapping[str, Any]], tuple[list[str], list[str]]] = (
        lambda _app, _client: ([], [])
    )
    status: Callable[[HandoverContext], list[str]] = _no_lines
    text_format: str = "env"
    env: Callable[[HandoverContext], tuple[dict[str, str], list[str]]] | None = None


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
    """Richie's settings, as its settings module holds them (Richie 3.5's sandbox,
    openfun/richie sandbox/settings.py)."""
    client, catalog, lms = ctx.app.client, ctx.app.catalog, ctx.lms_url
    items: dict[str, Any] = {}
    if catalog is not None:
        # The LMS's /richie/<path> redirects to the first catalog (plan.lms.richie_url).
        first = ctx.plan.lms.richie_url == str(ctx.app.url)
        next_url = RICHIE_NEXT_URL if first else str(ctx.app.url)
        items["RICHIE_LMS_BACKENDS"] = [richie_backend_entry(lms, catalog.api_token, next_url)]
        items["RICHIE_COURSE_RUN_SYNC_SECRETS"] = list(catalog.sync_secrets)
        items["RICHIE_AUTHENTICATION_DELEGATION"] = authentication_delegation(lms)
        items["SECURE_REFERRER_POLICY"] = RICHIE_REFERRER_POLICY
    if client is not None:
        # LMSBRIDGE_<APP>_OAUTH2_CLIENT: the EdXOAuth2 login of Richie 2.0.0-beta.15 to 2.14
        # (richie/apps/social/backends.py, removed in 2.15.0).
        items["SOCIAL_AUTH_EDX_OAUTH2_KEY"] = client.client_id
        items["SOCIAL_AUTH_EDX_OAUTH2_SECRET"] = client.client_secret
        items["SOCIAL_AUTH_EDX_OAUTH2_ENDPOINT"] = f"{lms}/oauth2"
    return items


# The environment variables Richie's sandbox settings read (openfun/richie sandbox/settings.py,
# django-configurations values): the edX entry of RICHIE_LMS_BACKENDS and the authentication
# delegation each under its own ``environ_name`` (no prefix), class-level values under
# ``DJANGO_<setting>``.
RICHIE_ENV_NAMES = {
    "BASE_URL": "EDX_BASE_URL",
    "BACKEND": "EDX_BACKEND",
    "COURSE_REGEX": "EDX_COURSE_REGEX",
    "JS_BACKEND": "EDX_JS_BACKEND",
    "JS_COURSE_REGEX": "EDX_JS_COURSE_REGEX",
    "JS_NEXT_URL": "EDX_JS_NEXT_URL",
}


def env_text(value: str) -> str:
    """A value as a line of a Compose ``.env``/``env_file`` takes it: bare when plain, else in
    single quotes, which Compose keeps literal (no ``$`` interpolation, no escapes)."""
    if value and all(ch.isalnum() or ch in "-_./:@" for ch in value):
        return value
    return f"'{value}'"  # _richie_env refused values with a quote


def _richie_env(ctx: HandoverContext) -> tuple[dict[str, str], list[str]]:
    items = _richie_settings(ctx)
    catalog = ctx.app.catalog
    vars_: dict[str, str] = {}
    notes: list[str] = []
    if catalog is not None:
        (entry,) = items["RICHIE_LMS_BACKENDS"]
        vars_ |= {name: entry[key] for key, name in RICHIE_ENV_NAMES.items()}
        secrets = items["RICHIE_COURSE_RUN_SYNC_SECRETS"]
        if any("," in secret for secret in secrets):
            raise ConfigError(
                f"{ctx.app.key_prefix}SYNC_SECRETS",
                "a secret contains a comma, which Richie's ListValue splits on",
                "use secrets without commas, or give Richie the Python settings block "
                "(--format python)",
            )
        # ListValue: comma-separated.
        vars_["DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS"] = ",".join(secrets)
        delegation = items["RICHIE_AUTHENTICATION_DELEGATION"]
        vars_["AUTHENTICATION_BASE_URL"] = delegation["BASE_URL"]
        vars_["AUTHENTICATION_BACKEND"] = delegation["BACKEND"]
        # DictValue: a Python literal (ast.literal_eval).
        vars_["AUTHENTICATION_PROFILE_URLS"] = json.dumps(delegation["PROFILE_URLS"])
        notes.append(
            f"# Not read from the environment by Richie's sandbox settings; in the settings "
            f"module: SECURE_REFERRER_POLICY = {RICHIE_REFERRER_POLICY!r}"
        )
        if "API_TOKEN" in entry:
            notes.append(
                "# The edX entry's API_TOKEN has no environment variable either; in the "
                "settings module, RICHIE_LMS_BACKENDS[0]['API_TOKEN'] (--format python prints it)"
            )
    for name in ("SOCIAL_AUTH_EDX_OAUTH2_KEY", "SOCIAL_AUTH_EDX_OAUTH2_SECRET"):
        if name in items:  # values.Value() class attributes of Richie 2.x: DJANGO_ prefix
            vars_[f"DJANGO_{name}"] = items[name]
    if "SOCIAL_AUTH_EDX_OAUTH2_ENDPOINT" in items:
        vars_["DJANGO_SOCIAL_AUTH_EDX_OAUTH2_ENDPOINT"] = items["SOCIAL_AUTH_EDX_OAUTH2_ENDPOINT"]
    # The values an operator may have typed (printable secrets) can hold a quote; the others
    # come from validated hosts and our constants.
    typed = {
        "DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS": "SYNC_SECRETS",
        "DJANGO_SOCIAL_AUTH_EDX_OAUTH2_KEY": "CLIENT_ID",
        "DJANGO_SOCIAL_AUTH_EDX_OAUTH2_SECRET": "CLIENT_SECRET",
    }
    for name, setting in typed.items():
        if "'" in vars_.get(name, ""):
            raise ConfigError(
                f"{ctx.app.key_prefix}{setting}",
                "contains a single quote, which no .env line can carry as is",
                "use a value without quotes, or give Richie the Python settings block "
                "(--format python)",
            )
    return vars_, notes


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
        "a settings block: RICHIE_LMS_BACKENDS, course-run sync secrets, authentication "
        "delegation, referrer policy (EdXOAuth2 settings for Richie < 2.15)",
        settings=_richie_settings,
        status=_richie_status,
        text_format="python",
        env=_richie_env,
    ),
    Handover("edx-oauth2-client", "SOCIAL_AUTH_EDX_OAUTH2_* settings", _edx_oauth2_settings),
    Handover("none", "the protocol's registration only"),
)
HANDOVERS: dict[str, Handover] = {handover.name: handover for handover in BUILTIN_HANDOVERS}


def handover_of(app: ConnectedApp, handovers: Mapping[str, Handover]) -> Handover:
    """The app's profile (the core refused a preset naming one that is not there)."""
    return handovers[app.preset.handover_profile]
