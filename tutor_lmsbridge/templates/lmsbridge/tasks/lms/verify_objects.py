# tutor-contrib-lmsbridge verification (`do lmsbridge-verify`): Python fed on stdin to the
# LMS's Django `shell` command. Self-contained; no secret in its text. It reads two settings
# the plugin's settings patch writes: LMSBRIDGE_INIT_PLAN (the init job's objects) and
# LMSBRIDGE_VERIFY_PLAN (the providers to check and what the settings should say).
#
# Checks, from inside Open edX, the effective settings and rows that single sign-on and the
# service API access depend on: what the running LMS sees, which the plan alone cannot tell
# (another plugin's patch may come after ours, an admin may edit a row, a token may age
# out). Lookups go through what Open edX itself calls where it can (ConfigurationModel
# current(), the provider's get_setting(), Site.objects.get_current(request)); where Open edX
# computes a value at import (third_party_auth's backend lists), the same computation is
# made from the same settings. Read-only, inside a transaction that is rolled back anyway.
#
# One line per finding: OK, WARNING or ERROR, the setting or object, and for a problem the
# fix. Never a secret's value. Exits 4 on any error (1 is left to crashes); warnings alone
# exit 0.
#
# This file is included verbatim into a Jinja template: it must not contain Jinja markers.

from datetime import timedelta
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.sites.models import Site
from django.core.exceptions import DisallowedHost
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.module_loading import import_string
from oauth2_provider.models import get_access_token_model, get_application_model

VERIFY_ERRORS_EXIT = 4
TOKEN_WARNING_DAYS = 30
DAY = timedelta(days=1)
COMPANION_MIDDLEWARE_PACKAGE = "openedx_companion_auth."
LOGIN_PATH_PREFIX = "/auth/login/"
INIT_FIX = "run `tutor local|dev|k8s do lmsbridge-init`"
SETTINGS_FIX = (
    "run `tutor config save` and restart the LMS; if it persists, a settings patch loaded "
    "after lmsbridge's overrides it"
)
IMAGE_FIX = "rebuild the openedx image (`tutor images build openedx`) and restart the LMS"
SITES_FIX = "give each Site its own domain in Django admin (Sites)"
EMPTY_VERIFY_PLAN: dict[str, Any] = {
    "authn_mfe_off": False,
    "redirect_enabled": False,
    "providers": [],
}


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


class Backends:
    """third_party_auth's view of AUTHENTICATION_BACKENDS.

    edx-platform (common/djangoapps/third_party_auth/models.py) builds, when it is imported,
    ``_PSA_BACKENDS = {cls.name: cls for cls in _load_backend_classes()}`` (every BaseAuth
    subclass of AUTHENTICATION_BACKENDS, so the last class of a name wins, as in
    social-core's load_backends) and ``_PSA_OAUTH2_BACKENDS`` (the names of the OAuthAuth
    subclasses), which the provider Registry and the login views consult. The same, from
    the same settings. An entry that cannot be imported would stop the LMS; it is skipped
    here (and reported for the classes lmsbridge planned)."""

    def __init__(self) -> None:
        from social_core.backends.base import BaseAuth

        self.classes: dict[str, Any] = {}  # backend name -> class, the last one wins
        for class_path in settings.AUTHENTICATION_BACKENDS:
            try:
                backend_class = import_string(class_path)
            except ImportError:
                continue
            if isinstance(backend_class, type) and issubclass(backend_class, BaseAuth):
                self.classes[getattr(backend_class, "name", "")] = backend_class

    def names(self, base: Any) -> list[str]:
        return [name for name, cls in self.classes.items() if issubclass(cls, base)]


class ProviderKind(NamedTuple):
    """How to check the rows of one third_party_auth provider model. The verify plan names
    each provider's model; this table says what that model needs.

    SAML plugs in here when the plan has SAML providers: model "SAMLProviderConfig" (key
    {"slug": <slug>}, provider id saml-<slug>, backend tpa-saml, base SAMLAuth, whose names
    are edx's _PSA_SAML_BACKENDS), a secret check that reads the SP key pair through the
    SAMLConfiguration the row points to (get_setting("SP_PRIVATE_KEY")), and a check that
    the Site's "default" SAMLConfiguration is enabled (edx refuses every SAML login
    otherwise)."""

    backend_base: str  # the social-core class third_party_auth requires for this model
    base_label: str
    # (spec, current row) -> None when the secret is reachable as lmsbridge keeps it, else
    # the finding: (level, text, fix).
    check_secret: Any


def check_oauth2_secret(spec: dict[str, Any], current: Any) -> tuple[str, str, str] | None:
    """OAuth2ProviderConfig.get_setting("SECRET"): the row's secret, else
    SOCIAL_AUTH_OAUTH_SECRETS[backend_name] (edx-platform models.py)."""
    if current.secret:
        return (
            "WARNING",
            "a secret is stored in the row (lmsbridge keeps it in SOCIAL_AUTH_OAUTH_SECRETS)",
            INIT_FIX + " (it empties the row's secret)",
        )
    if not current.get_setting("SECRET"):
        return (
            "ERROR",
            "no secret: the row's is empty and SOCIAL_AUTH_OAUTH_SECRETS has none for "
            f"{spec['backend_name']}",
            f"set LMSBRIDGE_{spec['app'].upper()}_CLIENT_SECRET, `tutor config save`, then "
            "restart the LMS",
        )
    return None


PROVIDER_KINDS = {
    "OAuth2ProviderConfig": ProviderKind(
        "social_core.backends.oauth.OAuthAuth", "an OAuth2 backend", check_oauth2_secret
    ),
}


def check_third_party_auth(checks: dict[str, Any], findings: Findings) -> None:
    if not checks["providers"]:
        return
    if getattr(settings, "ENABLE_THIRD_PARTY_AUTH", False):
        findings.ok("setting ENABLE_THIRD_PARTY_AUTH", "on")
    else:
        findings.error("setting ENABLE_THIRD_PARTY_AUTH", "off: no provider login", SETTINGS_FIX)


def check_backend(spec: dict[str, Any], backends: Backends, findings: Findings) -> None:
    """The class is listed, importable, named as planned, of the kind its model requires,
    and the one third_party_auth uses for that name."""
    name, class_path = spec["backend_name"], spec["backend_class"]
    kind = PROVIDER_KINDS[spec["model"]]
    subject = f"backend {name}"
    if class_path not in settings.AUTHENTICATION_BACKENDS:
        findings.error(subject, f"{class_path} is not in AUTHENTICATION_BACKENDS", SETTINGS_FIX)
        return
    try:
        backend_class = import_string(class_path)
    except ImportError:
        findings.error(subject, f"{class_path} cannot be imported", IMAGE_FIX)
        return
    if getattr(backend_class, "name", None) != name:
        findings.error(
            subject,
            f"{class_path} is named {getattr(backend_class, 'name', None)!r}",
            f"set LMSBRIDGE_{spec['app'].upper()}_BACKEND to the class's name, then "
            "`tutor config save`",
        )
        return
    used = backends.classes.get(name)
    if used is not backend_class:
        used_path = f"{used.__module__}.{used.__qualname__}" if used else "none"
        findings.error(
            subject,
            f"third_party_auth uses {used_path} for {name}, not {class_path}: the last class of "
            "a name in AUTHENTICATION_BACKENDS wins",
            f"remove {used_path} from AUTHENTICATION_BACKENDS (in the settings patch that adds it)",
        )
        return
    if name not in backends.names(import_string(kind.backend_base)):
        findings.error(
            subject,
            f"{class_path} is not {kind.base_label}: third_party_auth cannot use it for "
            f"{spec['model']}",
            f"set LMSBRIDGE_{spec['app'].upper()}_BACKEND_CLASS to {kind.base_label} class, "
            "then `tutor config save`",
        )
        return
    findings.ok(subject, f"{class_path} in AUTHENTICATION_BACKENDS, known to third_party_auth")


def site_for_host(host: str) -> Any:
    """The Site Open edX serves a request for ``host`` from: Site.objects.get_current(request),
    which edx-django-sites-extensions (in the LMS's INSTALLED_APPS) makes look the host up
    among Site domains, falling back to SITE_ID."""
    request = HttpRequest()
    request.META["HTTP_HOST"] = host
    return Site.objects.get_current(request)


def lms_site(findings: Findings) -> Any:
    """The Site of SITE_ID (None if missing), with a finding on whether requests for the
    LMS's host (LMS_BASE, else the Site's domain) resolve to it."""
    site = Site.objects.filter(pk=settings.SITE_ID).first()
    subject = f"site {settings.SITE_ID} (SITE_ID)"
    if site is None:
        findings.error(subject, "no such Site", "run `tutor local|dev|k8s do init`")
        return None
    host = getattr(settings, "LMS_BASE", "") or site.domain
    try:
        resolved = site_for_host(host)
    except DisallowedHost:
        findings.error(subject, f"requests for {host} are refused (ALLOWED_HOSTS)", SETTINGS_FIX)
        return site
    except Site.MultipleObjectsReturned:
        shared = Site.objects.filter(domain__iexact=host).order_by("pk")
        findings.error(
            subject,
            f"requests for {host} fail: Sites "
            + ", ".join(str(pk) for pk in shared.values_list("pk", flat=True))
            + " have that domain",
            SITES_FIX,
        )
        return site
    if resolved.pk != site.pk:
        findings.error(
            subject,
            f"requests for {host} are served by Site {resolved.pk} ({resolved.domain}): the "
            f"providers of Site {site.pk} are off there",
            f"in Django admin (Sites), change the domain of Site {resolved.pk}",
        )
        return site
    findings.ok(subject, f"domain {site.domain}; requests for {host} are served by it")
    return site


def check_provider(spec: dict[str, Any], site: Any, findings: Findings) -> None:
    """The provider's current row for the Site, as the LMS gets it (current(), cached like
    the LMS sees it): present, bound to that Site, enabled, its secret reachable."""
    subject = f"provider {spec['provider_id']}"
    model = django_apps.get_model("third_party_auth", spec["model"])
    known = {"site_id": site.pk, "site": site, **spec["key"]}
    current = model.current(*(known[field] for field in model.KEY_FIELDS))
    if current.pk is None:
        same_key = {f: known[f] for f in model.KEY_FIELDS if f not in ("site_id", "site")}
        elsewhere = sorted(set(model.objects.filter(**same_key).values_list("site_id", flat=True)))
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
    secret = PROVIDER_KINDS[spec["model"]].check_secret(spec, current)
    if secret is not None:
        level, text, fix = secret
        findings.add(level, subject, f"enabled and current, but {text}", fix)
        return
    findings.ok(subject, f"enabled and current for Site {site.pk} ({site.domain}), secret set")


def check_companion(checks: dict[str, Any], backends: Backends, findings: Findings) -> None:
    enabled = bool(getattr(settings, "MITX_REDIRECT_ENABLED", False))
    if checks["redirect_enabled"] and not enabled:
        findings.error("setting MITX_REDIRECT_ENABLED", "off, lmsbridge turns it on", SETTINGS_FIX)
    if not enabled:
        return
    middleware = [m for m in settings.MIDDLEWARE if m.startswith(COMPANION_MIDDLEWARE_PACKAGE)]
    if middleware:
        findings.ok("setting MIDDLEWARE", f"{middleware[0]} installed")
    else:
        findings.error(
            "setting MIDDLEWARE",
            "MITX_REDIRECT_ENABLED but no openedx_companion_auth middleware",
            IMAGE_FIX + " (the image installs openedx-companion-auth)",
        )
    subject = "setting MITX_REDIRECT_LOGIN_URL"
    login_url = str(getattr(settings, "MITX_REDIRECT_LOGIN_URL", ""))
    path = urlsplit(login_url).path
    backend = path.removeprefix(LOGIN_PATH_PREFIX).strip("/")
    if not path.startswith(LOGIN_PATH_PREFIX):
        backend = ""
    if not backend or "/" in backend:
        findings.error(subject, f"{login_url!r} is not /auth/login/<backend>/", SETTINGS_FIX)
    elif backend not in backends.classes:
        findings.error(subject, f"backend {backend} is not registered", SETTINGS_FIX)
    else:
        findings.ok(subject, f"backend {backend} registered")


def check_authn_mfe(checks: dict[str, Any], findings: Findings) -> None:
    if not checks["authn_mfe_off"]:
        return
    subject = "setting ENABLE_AUTHN_MICROFRONTEND"
    if getattr(settings, "ENABLE_AUTHN_MICROFRONTEND", False):
        findings.error(
            subject, "on, lmsbridge turns it off (login goes through the provider)", SETTINGS_FIX
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
    expiry_key = f"LMSBRIDGE_{spec['app'].upper()}_TOKEN_EXPIRES"
    token = get_access_token_model().objects.filter(token=spec["token"]).first()
    if token is None:
        findings.error(subject, "missing", INIT_FIX)
        return
    user = token.user
    if user.username != spec["username"] or not (user.is_active and user.is_staff):
        findings.error(subject, "not owned by the active staff service user", INIT_FIX)
        return
    if token.application is None or token.application.name != spec["application"]:
        findings.error(subject, f"not issued for application {spec['application']}", INIT_FIX)
        return
    if not token.allow_scopes(spec["scope"].split()):
        findings.error(subject, f"lacks scope(s) of {spec['scope']}", INIT_FIX)
        return
    now = timezone.now()
    if token.expires <= now:
        findings.error(
            subject,
            f"expired on {token.expires.date()}",
            f"set {expiry_key} to a later date, `tutor config save`, then {INIT_FIX}",
        )
        return
    if token.expires - now < TOKEN_WARNING_DAYS * DAY:
        findings.warning(
            subject,
            # Rounded: a token set to expire in 10 days is "in 10 days", not 9 and 23 hours.
            f"expires on {token.expires.date()} (in {round((token.expires - now) / DAY)} days)",
            f"set {expiry_key} to a later date, `tutor config save`, then {INIT_FIX}",
        )
        return
    findings.ok(subject, f"valid until {token.expires.date()}")


def checkable(checks: dict[str, Any], findings: Findings) -> list[dict[str, Any]]:
    """The providers of the verify plan this verification knows how to check."""
    known = []
    for spec in checks["providers"]:
        if spec["model"] in PROVIDER_KINDS:
            known.append(spec)
        else:
            findings.error(
                f"provider {spec['provider_id']}",
                f"this verification has no check for {spec['model']} rows",
                "run the `do lmsbridge-verify` of the lmsbridge version that rendered the "
                "LMS settings",
            )
    return known


def verify() -> None:
    plan = getattr(settings, "LMSBRIDGE_INIT_PLAN", None) or {"applications": [], "tokens": []}
    checks = getattr(settings, "LMSBRIDGE_VERIFY_PLAN", None) or EMPTY_VERIFY_PLAN
    findings = Findings()
    if plan.get("providers") and checks is EMPTY_VERIFY_PLAN:
        # LMS settings rendered by an lmsbridge version without verification.
        findings.error(
            "setting LMSBRIDGE_VERIFY_PLAN",
            "missing while LMSBRIDGE_INIT_PLAN names providers",
            "run `tutor config save` and restart the LMS",
        )
    with transaction.atomic():
        check_third_party_auth(checks, findings)
        backends = Backends()
        providers = checkable(checks, findings)
        for spec in providers:
            check_backend(spec, backends, findings)
        site = lms_site(findings) if providers else None
        if site is not None:
            for spec in providers:
                check_provider(spec, site, findings)
        check_companion(checks, backends, findings)
        check_authn_mfe(checks, findings)
        for spec in plan["applications"]:
            check_application(spec, findings)
        for spec in plan["tokens"]:
            check_token(spec, findings)
        # Verification writes nothing; should a read ever write, it is undone.
        transaction.set_rollback(True)
    findings.summary()
    if findings.counts["ERROR"]:
        raise SystemExit(VERIFY_ERRORS_EXIT)
