# tutor-contrib-lmsbridge verification: Python fed on stdin to the LMS's Django `shell`
# command (`do lmsbridge-verify`). Self-contained: it reads the same LMSBRIDGE_INIT_PLAN
# setting as the init job, and no secret is in its text.
#
# Checks, from inside Open edX, the effective settings and rows that single sign-on and the
# service API access depend on: what the running LMS would actually see, which the plan alone
# cannot tell (another plugin's patch may come after ours, an admin may edit a row, a token
# may age out). Read-only, and inside a transaction that is rolled back anyway.
#
# One line per finding: OK, WARNING or ERROR, the object or setting, and for a problem the
# fix. Never a value of a secret. Exits 4 on any error (1 is left to crashes).
#
# This file is included verbatim into a Jinja template: it must not contain Jinja markers.

import re
from datetime import timedelta
from typing import Any

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.sites.models import Site
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from oauth2_provider.models import get_access_token_model, get_application_model

VERIFY_ERRORS_EXIT = 4
TOKEN_WARNING_DAYS = 30
DAY = timedelta(days=1)
COMPANION_MIDDLEWARE_PACKAGE = "openedx_companion_auth."
LOGIN_URL_BACKEND = re.compile(r"^(?:https?://[^/]+)?/auth/login/([^/?#]+)/")
INIT_FIX = "run `tutor local|dev|k8s do lmsbridge-init`"
SETTINGS_FIX = (
    "run `tutor config save` and restart the LMS; if it persists, a settings patch loaded "
    "after lmsbridge's overrides it"
)


class Findings:
    def __init__(self) -> None:
        self.counts = {"OK": 0, "WARNING": 0, "ERROR": 0}

    def add(self, level: str, subject: str, text: str, fix: str = "") -> None:
        self.counts[level] += 1
        print(f"lmsbridge: {level} {subject}: {text}" + (f"; fix: {fix}" if fix else ""))

    def ok(self, subject: str, text: str) -> None:
        self.add("OK", subject, text)

    def warning(self, subject: str, text: str, fix: str) -> None:
        self.add("WARNING", subject, text, fix)

    def error(self, subject: str, text: str, fix: str) -> None:
        self.add("ERROR", subject, text, fix)

    def summary(self) -> None:
        print("lmsbridge: verify: " + ", ".join(f"{n} {level}" for level, n in self.counts.items()))


def loaded_backends(base_class: Any) -> dict[str, str]:
    """Backend name -> class path, for the classes of AUTHENTICATION_BACKENDS that subclass
    ``base_class``: how third_party_auth builds _PSA_BACKENDS and _PSA_OAUTH2_BACKENDS (it
    reads them at import; here they are read from the same effective settings)."""
    names: dict[str, str] = {}
    for class_path in settings.AUTHENTICATION_BACKENDS:
        try:
            backend_class = import_string(class_path)
        except ImportError:
            continue  # reported for the planned classes; the LMS itself would not start
        if isinstance(backend_class, type) and issubclass(backend_class, base_class):
            names.setdefault(getattr(backend_class, "name", ""), class_path)
    return names


def check_third_party_auth(plan: dict[str, Any], findings: Findings) -> None:
    if not plan["providers"]:
        return
    if getattr(settings, "ENABLE_THIRD_PARTY_AUTH", False):
        findings.ok("setting ENABLE_THIRD_PARTY_AUTH", "on")
    else:
        findings.error("setting ENABLE_THIRD_PARTY_AUTH", "off: no provider login", SETTINGS_FIX)


def check_backend(spec: dict[str, Any], oauth2_names: dict[str, str], findings: Findings) -> None:
    name, class_path = spec["backend_name"], spec.get("backend_class", "")
    subject = f"backend {name}"
    if class_path and class_path not in settings.AUTHENTICATION_BACKENDS:
        findings.error(subject, f"{class_path} is not in AUTHENTICATION_BACKENDS", SETTINGS_FIX)
        return
    if class_path:
        try:
            backend_class = import_string(class_path)
        except ImportError:
            findings.error(
                subject,
                f"{class_path} cannot be imported",
                "rebuild the openedx image (`tutor images build openedx`) and restart",
            )
            return
        if getattr(backend_class, "name", None) != name:
            findings.error(
                subject,
                f"{class_path} is named {getattr(backend_class, 'name', None)!r}",
                "set the app's BACKEND to the class's name, then `tutor config save`",
            )
            return
    if name not in oauth2_names:
        findings.error(
            subject,
            "third_party_auth knows no OAuth2 backend of that name",
            "check the app's BACKEND_CLASS (an OAuth2 backend class), then `tutor config save`",
        )
        return
    findings.ok(subject, f"{oauth2_names[name]} registered and importable")


def lms_site(findings: Findings) -> Any:
    """The Site of SITE_ID, if the LMS's domain resolves to it and only to it."""
    site = Site.objects.filter(pk=settings.SITE_ID).first()
    subject = f"site {settings.SITE_ID} (SITE_ID)"
    if site is None:
        findings.error(subject, "no such Site", "run Tutor's own `do init`: it creates it")
        return None
    others = Site.objects.filter(domain__iexact=site.domain).exclude(pk=site.pk)
    if others.exists():
        findings.error(
            subject,
            f"domain {site.domain} also names Site(s) "
            + ", ".join(str(pk) for pk in others.values_list("pk", flat=True)),
            "give each Site its own domain in Django admin (Sites)",
        )
        return None
    findings.ok(subject, f"domain {site.domain}")
    return site


def check_provider(
    spec: dict[str, Any], provider_model: Any, site: Any, findings: Findings
) -> None:
    name, backend_name = spec["provider_id"], spec["backend_name"]
    subject = f"provider {name}"
    # current() as the LMS calls it (django-config-models, cached like the LMS sees it).
    known = {"site_id": site.pk, "site": site, "backend_name": backend_name}
    known["slug"] = spec["fields"]["slug"]
    current = provider_model.current(*(known[field] for field in provider_model.KEY_FIELDS))
    if current.pk is None:
        elsewhere = sorted(
            set(
                provider_model.objects.filter(backend_name=backend_name).values_list(
                    "site_id", flat=True
                )
            )
        )
        text = f"no configuration for Site {site.pk} ({site.domain})"
        if elsewhere:
            text += "; rows exist for Site(s) " + ", ".join(map(str, elsewhere))
        findings.error(subject, text, INIT_FIX)
        return
    if current.site_id != site.pk:
        findings.error(
            subject,
            f"current configuration is bound to Site {current.site_id}, not {site.pk} "
            f"({site.domain})",
            INIT_FIX,
        )
        return
    if not current.enabled:
        findings.error(subject, "current configuration is disabled", INIT_FIX)
        return
    if current.secret:
        findings.warning(
            subject,
            "a secret is stored in the row (lmsbridge keeps it in SOCIAL_AUTH_OAUTH_SECRETS)",
            INIT_FIX,
        )
    elif not getattr(settings, "SOCIAL_AUTH_OAUTH_SECRETS", {}).get(backend_name):
        findings.error(
            subject,
            f"no secret: the row's is empty and SOCIAL_AUTH_OAUTH_SECRETS has none for "
            f"{backend_name}",
            "set the app's CLIENT_SECRET, then `tutor config save` and restart the LMS",
        )
        return
    findings.ok(subject, f"enabled and current for Site {site.pk} ({site.domain}), secret set")


def check_companion(plan: dict[str, Any], all_names: dict[str, str], findings: Findings) -> None:
    expected = plan.get("expected", {})
    enabled = bool(getattr(settings, "MITX_REDIRECT_ENABLED", False))
    subject = "setting MITX_REDIRECT_ENABLED"
    if expected.get("redirect_enabled") and not enabled:
        findings.error(subject, "off, lmsbridge turns it on", SETTINGS_FIX)
    if not enabled:
        return
    middleware = [m for m in settings.MIDDLEWARE if m.startswith(COMPANION_MIDDLEWARE_PACKAGE)]
    if middleware:
        findings.ok("setting MIDDLEWARE", f"{middleware[0]} installed")
    else:
        findings.error(
            "setting MIDDLEWARE",
            "MITX_REDIRECT_ENABLED but no openedx_companion_auth middleware",
            "rebuild the openedx image (it installs openedx-companion-auth) and restart",
        )
    login_url = getattr(settings, "MITX_REDIRECT_LOGIN_URL", "")
    match = LOGIN_URL_BACKEND.match(login_url)
    subject = "setting MITX_REDIRECT_LOGIN_URL"
    if match is None:
        findings.error(subject, f"{login_url!r} is not /auth/login/<backend>/", SETTINGS_FIX)
    elif match.group(1) not in all_names:
        findings.error(subject, f"backend {match.group(1)} is not registered", SETTINGS_FIX)
    else:
        findings.ok(subject, f"backend {match.group(1)} registered")


def check_authn_mfe(plan: dict[str, Any], findings: Findings) -> None:
    on = bool(getattr(settings, "ENABLE_AUTHN_MICROFRONTEND", False))
    subject = "setting ENABLE_AUTHN_MICROFRONTEND"
    if not plan.get("expected", {}).get("authn_mfe_off"):
        return
    if on:
        findings.error(
            subject,
            "on, lmsbridge turns it off (login goes through the provider)",
            SETTINGS_FIX,
        )
    else:
        findings.ok(subject, "off")


def check_application(spec: dict[str, Any], findings: Findings) -> None:
    subject = f"OAuth2 application {spec['name']}"
    application = (
        get_application_model()
        .objects.filter(user__username=spec["owner"], name=spec["name"])
        .first()
    )
    if application is None:
        findings.error(subject, f"missing for user {spec['owner']}", INIT_FIX)
        return
    have, want = application.redirect_uris.split(), spec["redirect_uris"].split()
    if have != want:
        missing = [uri for uri in want if uri not in have]
        extra = [uri for uri in have if uri not in want]
        findings.error(
            subject,
            f"redirect_uris differ from the plan ({len(missing)} missing, {len(extra)} "
            "unexpected, or reordered)",
            INIT_FIX,
        )
        return
    findings.ok(subject, f"{len(want)} redirect URI(s) as planned")


def check_token(spec: dict[str, Any], findings: Findings) -> None:
    subject = f"access token for {spec['username']}"
    token = get_access_token_model().objects.filter(token=spec["token"]).first()
    if token is None:
        findings.error(subject, "missing", INIT_FIX)
        return
    if token.user.username != spec["username"] or not token.user.is_active:
        findings.error(subject, "not owned by the active service user", INIT_FIX)
        return
    if token.application is None or token.application.name != spec["application"]:
        findings.error(subject, f"not issued for application {spec['application']}", INIT_FIX)
        return
    if not token.allow_scopes(spec["scope"].split()):
        findings.error(subject, f"lacks scope(s) {spec['scope']}", INIT_FIX)
        return
    now = timezone.now()
    if token.expires <= now:
        findings.error(
            subject,
            f"expired on {token.expires.date()}",
            f"set LMSBRIDGE_{spec['app'].upper()}_TOKEN_EXPIRES to a later date (or rotate "
            "SERVICE_TOKEN), `tutor config save`, then run `do lmsbridge-init`",
        )
        return
    if token.expires - now < TOKEN_WARNING_DAYS * DAY:
        findings.warning(
            subject,
            # Rounded: a token set to expire in 10 days is "in 10 days", not 9 and 23 hours.
            f"expires on {token.expires.date()} (in {round((token.expires - now) / DAY)} days)",
            f"set LMSBRIDGE_{spec['app'].upper()}_TOKEN_EXPIRES to a later date, "
            "`tutor config save`, then run `do lmsbridge-init`",
        )
        return
    findings.ok(subject, f"valid until {token.expires.date()}")


def verify(empty_plan: dict[str, Any]) -> None:
    from social_core.backends.base import BaseAuth
    from social_core.backends.oauth import BaseOAuth2

    plan = getattr(settings, "LMSBRIDGE_INIT_PLAN", None) or empty_plan
    findings = Findings()
    with transaction.atomic():
        check_third_party_auth(plan, findings)
        oauth2_names = loaded_backends(BaseOAuth2)
        for spec in plan["providers"]:
            check_backend(spec, oauth2_names, findings)
        site = lms_site(findings) if plan["providers"] else None
        if site is not None:
            provider_model = django_apps.get_model("third_party_auth", "OAuth2ProviderConfig")
            for spec in plan["providers"]:
                check_provider(spec, provider_model, site, findings)
        check_companion(plan, loaded_backends(BaseAuth), findings)
        check_authn_mfe(plan, findings)
        for spec in plan["applications"]:
            check_application(spec, findings)
        for spec in plan["tokens"]:
            check_token(spec, findings)
        # Verification writes nothing; should a model's read ever write, it is undone.
        transaction.set_rollback(True)
    findings.summary()
    if findings.counts["ERROR"]:
        raise SystemExit(VERIFY_ERRORS_EXIT)
