# tutor-contrib-lmsbridge init job: Python fed on stdin to the LMS's Django `shell` command.
#
# Creates or updates, in one LMS boot and one transaction, what the connected apps need:
# service users, django-oauth-toolkit applications and access tokens (direction B) and
# third_party_auth OAuth2ProviderConfig rows (direction A). Everything, secrets included, is
# read from the LMSBRIDGE_INIT_PLAN setting that the plugin's settings patch writes, so this
# text (which Tutor puts on a command line and in Kubernetes Job specs) holds no secret.
#
# Idempotent: an unchanged plan makes no database write. Provider configurations are
# ConfigurationModels (every save inserts a history row), so a new row is inserted only when
# a managed field differs, copied from the current row so that fields we do not manage keep
# the operator's values. Providers of apps no longer connected get a disabled row.
#
# This file is included verbatim into a Jinja template: it must not contain Jinja markers.

import json
import urllib.parse
import urllib.request
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.contrib.sites.models import Site
from django.db import transaction
from oauth2_provider.models import get_access_token_model, get_application_model

if TYPE_CHECKING:  # defined by init_saml.py, which the job includes after this file
    from tutor_lmsbridge.templates.lmsbridge.tasks.lms.init_saml import ensure_saml


class Report:
    """One line per object: created, updated (which fields) or unchanged. Never a value."""

    prefix = "lmsbridge: "  # a dry run (init_dry_run.py) marks its lines
    dry_run = False  # and skips what a rollback cannot undo (init_saml.py: metadata fetch)

    def __init__(self) -> None:
        self.counts = {"created": 0, "updated": 0, "unchanged": 0, "disabled": 0}
        # The SAML providers whose metadata could not be fetched or was refused (init_saml.py
        # pull_saml_metadata): the refresh job exits non-zero on them, the init job does not.
        self.metadata_failed: list[str] = []

    def line(self, kind: str, name: str, outcome: str, fields: list[str] | None = None) -> None:
        self.counts[outcome] += 1
        detail = f" ({', '.join(fields)})" if fields else ""
        print(f"{self.prefix}{kind} {name}: {outcome}{detail}")

    def summary(self) -> None:
        print(self.prefix + "done: " + ", ".join(f"{n} {k}" for k, n in self.counts.items()))

    def changes(self) -> int:
        return self.counts["created"] + self.counts["updated"] + self.counts["disabled"]


def apply_changes(obj: Any, desired: dict[str, Any]) -> list[str]:
    """Set the attributes that differ; return their names."""
    changed = []
    for name, value in desired.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


def ensure_user(spec: dict[str, Any], report: Report) -> Any:
    user_model = get_user_model()
    user = user_model.objects.filter(username=spec["username"]).first()
    if user is None:
        user = user_model(username=spec["username"], email=spec["email"])
        user.is_active = True
        user.is_staff = True
        user.set_unusable_password()
        user.save()
        report.line("service user", spec["username"], "created")
    else:
        changed = apply_changes(user, {"email": spec["email"], "is_active": True, "is_staff": True})
        if user.has_usable_password():
            user.set_unusable_password()
            changed.append("password")
        if changed:
            user.save(update_fields=changed)
            report.line("service user", spec["username"], "updated", changed)
        else:
            report.line("service user", spec["username"], "unchanged")
    ensure_profile(user)
    return user


def ensure_profile(user: Any) -> None:
    """Open edX views expect every user to have a student.UserProfile."""
    try:
        profile_model = django_apps.get_model("student", "UserProfile")
    except LookupError:
        return
    if not profile_model.objects.filter(user=user).exists():
        profile_model.objects.create(user=user, name=user.username)


def secret_matches(stored: str, wanted: str) -> bool:
    # django-oauth-toolkit >= 2 stores a hash; edx-platform's 1.7.1 stores the plain text.
    return stored == wanted or (stored.startswith("pbkdf2_") and check_password(wanted, stored))


def ensure_application(spec: dict[str, Any], owner: Any, report: Report) -> Any:
    application_model = get_application_model()
    desired = {
        "client_id": spec["client_id"],
        "redirect_uris": spec["redirect_uris"],
        "client_type": spec["client_type"],
        "authorization_grant_type": spec["authorization_grant_type"],
        "skip_authorization": spec["skip_authorization"],
    }
    application = application_model.objects.filter(user=owner, name=spec["name"]).first()
    if application is None:
        taken = application_model.objects.filter(client_id=spec["client_id"]).first()
        if taken is not None:
            raise RuntimeError(
                f"lmsbridge: OAuth2 application {spec['name']}: client id already used by "
                f"application {taken.name!r}; set another API_CLIENT_ID for app {spec['app']}"
            )
        application = application_model(
            user=owner, name=spec["name"], client_secret=spec["client_secret"], **desired
        )
        application.save()
        report.line("OAuth2 application", spec["name"], "created")
        return application
    changed = apply_changes(application, desired)
    if not secret_matches(application.client_secret, spec["client_secret"]):
        application.client_secret = spec["client_secret"]
        changed.append("client_secret")
    if changed:
        application.save()
        report.line("OAuth2 application", spec["name"], "updated", changed)
    else:
        report.line("OAuth2 application", spec["name"], "unchanged")
    return application


def ensure_token(spec: dict[str, Any], owner: Any, application: Any, report: Report) -> None:
    token_model = get_access_token_model()
    name = f"for {spec['username']}"
    desired = {
        "user_id": owner.pk,
        "application_id": application.pk,
        "scope": spec["scope"],
        "expires": datetime.fromisoformat(spec["expires"]),
    }
    # Rotation: any other token of this user for this application stops working.
    stale = token_model.objects.filter(user=owner, application=application).exclude(
        token=spec["token"]
    )
    rotated = stale.exists()
    if rotated:
        stale.delete()
    token = token_model.objects.filter(token=spec["token"]).first()
    if token is None:
        token_model.objects.create(token=spec["token"], **desired)
        report.line(
            "access token",
            name,
            "updated" if rotated else "created",
            ["rotated"] if rotated else None,
        )
        return
    if token.user_id != owner.pk:
        raise RuntimeError(
            f"lmsbridge: access token {name}: the configured value belongs to another user; "
            f"set another SERVICE_TOKEN for app {spec['app']}"
        )
    changed = apply_changes(token, desired)
    if changed:
        token.save()
        report.line("access token", name, "updated", changed)
    else:
        report.line("access token", name, "unchanged")


def current_provider(provider_model: Any, site: Any, backend_name: str, slug: str) -> Any:
    """The current row as django-config-models defines it: the newest row with the same
    KEY_FIELDS (edx-platform has keyed providers by backend_name, and by site and backend
    name). Read from the database: current()'s cache may predate this run."""
    known = {"site_id": site.pk, "site": site, "backend_name": backend_name, "slug": slug}
    key = {field: known[field] for field in provider_model.KEY_FIELDS}
    return provider_model.objects.filter(**key).order_by("-change_date", "-id").first()


def load_json(text: str) -> Any:
    try:
        return json.loads(text or "{}")
    except ValueError:
        return None


def insert_provider_row(current: Any, provider_model: Any, values: dict[str, Any]) -> None:
    """Save a new history row: a copy of the current one (if any) with ``values`` set."""
    row = provider_model() if current is None else current
    row.pk = None
    row.id = None
    row._state.adding = True
    for name, value in values.items():
        setattr(row, name, value)
    if hasattr(row, "changed_by"):
        row.changed_by = None
    row.save()


def ensure_history_row(
    kind: str,
    name: str,
    model: Any,
    current: Any,
    desired: dict[str, Any],
    other_settings: dict[str, Any],
    report: Report,
) -> None:
    """A provider row (a ConfigurationModel) as ``desired``: a new history row only when a
    managed field, or the other_settings JSON, differs from the current row."""
    if current is not None:
        changed = [field for field, value in desired.items() if getattr(current, field) != value]
        if load_json(current.other_settings) != other_settings:
            changed.append("other_settings")
        if not changed:
            report.line(kind, name, "unchanged")
            return
    text = json.dumps(other_settings, indent=2, sort_keys=True)
    insert_provider_row(current, model, {**desired, "other_settings": text})
    if current is None:
        report.line(kind, name, "created")
    else:
        report.line(kind, name, "updated", changed)


# The other_settings entry edx-platform's LogoutView reads (through get_setting) as the
# provider's logout URL (third_party_auth/pipeline.py get_idp_logout_url_from_running_pipeline).
LOGOUT_URL_SETTING = "logout_url"
DISCOVERY_TIMEOUT = 10  # seconds


def end_session_url(logout: dict[str, str], report: Report, name: str) -> str | None:
    """An OpenID Provider's RP-initiated logout URL: its discovery document's
    end_session_endpoint (read where the LMS reads discovery), with the client id and, as
    edx-platform's TPA_AUTOMATIC_LOGOUT_ENABLED asks, a way back to the LMS's own /logout
    (which then logs out of the other services). None when it cannot be read now."""
    try:
        with urllib.request.urlopen(logout["discovery"], timeout=DISCOVERY_TIMEOUT) as answer:  # noqa: S310 (the plan's http(s) URL)
            document = json.load(answer)
    except (OSError, ValueError) as exc:
        print(
            f"{report.prefix}provider {name}: logout at the provider: discovery "
            f"{logout['discovery']} unreadable ({exc}); kept as it was, run the init job again"
        )
        return None
    endpoint = document.get("end_session_endpoint") if isinstance(document, dict) else None
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
        print(
            f"{report.prefix}provider {name}: logout at the provider: the provider announces no "
            "end_session_endpoint, so logout stays local (set LOGOUT_URL to its logout page)"
        )
        return ""
    query = urllib.parse.urlencode(
        {
            "client_id": logout["client_id"],
            "post_logout_redirect_uri": settings.LMS_ROOT_URL.rstrip("/") + "/logout",
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def provider_other_settings(spec: dict[str, Any], current: Any, report: Report) -> dict[str, Any]:
    """The row's other_settings: the plan's, plus the logout URL (LOGOUT=provider)."""
    other_settings = dict(spec["other_settings"])
    logout = spec.get("logout")
    if not logout:
        return other_settings
    url = logout.get("url") or end_session_url(logout, report, spec["provider_id"])
    if url is None and current is not None:
        # Discovery unreadable now: keep the URL the current row has, if any.
        url = (load_json(current.other_settings) or {}).get(LOGOUT_URL_SETTING)
    if url:
        other_settings[LOGOUT_URL_SETTING] = url
    return other_settings


def ensure_provider(spec: dict[str, Any], provider_model: Any, site: Any, report: Report) -> None:
    desired = dict(spec["fields"])
    desired.update({"site_id": site.pk, "backend_name": spec["backend_name"], "secret": ""})
    current = current_provider(provider_model, site, spec["backend_name"], desired["slug"])
    ensure_history_row(
        "provider",
        spec["provider_id"],
        provider_model,
        current,
        desired,
        provider_other_settings(spec, current, report),
        report,
    )


def disable_removed_providers(
    plan: dict[str, Any], provider_model: Any, site: Any, report: Report
) -> None:
    wanted = {spec["backend_name"] for spec in plan["providers"]}
    marker = plan["marker"]
    ours = (
        provider_model.objects.filter(site=site, other_settings__contains=f'"{marker}"')
        .values_list("backend_name", flat=True)
        .distinct()
    )
    for backend_name in sorted(set(ours) - wanted):
        newest = (
            provider_model.objects.filter(site=site, backend_name=backend_name)
            .order_by("-change_date", "-id")
            .first()
        )
        current = current_provider(provider_model, site, backend_name, newest.slug)
        settings_json = load_json(current.other_settings)
        if current.enabled and isinstance(settings_json, dict) and marker in settings_json:
            insert_provider_row(current, provider_model, {"enabled": False})
            report.line("provider", f"{plan['provider_prefix']}-{backend_name}", "disabled")


def run(empty_plan: dict[str, Any]) -> Report:
    plan = getattr(settings, "LMSBRIDGE_INIT_PLAN", None) or empty_plan
    report = Report()
    with transaction.atomic():
        users = {spec["username"]: ensure_user(spec, report) for spec in plan["users"]}
        applications = {
            spec["name"]: ensure_application(spec, users[spec["owner"]], report)
            for spec in plan["applications"]
        }
        for spec in plan["tokens"]:
            ensure_token(spec, users[spec["username"]], applications[spec["application"]], report)
        provider_model = django_apps.get_model("third_party_auth", "OAuth2ProviderConfig")
        site = Site.objects.filter(pk=settings.SITE_ID).first()
        if site is None:
            raise RuntimeError(
                f"lmsbridge: no Site with id {settings.SITE_ID} (SITE_ID): run Tutor's own "
                "`init` first, it creates the LMS site"
            )
        for spec in plan["providers"]:
            ensure_provider(spec, provider_model, site, report)
        disable_removed_providers(plan, provider_model, site, report)
        ensure_saml(plan, site, report)  # init_saml.py, included after this file
    report.summary()
    return report
