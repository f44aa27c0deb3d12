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
# made from the same settings. SAML rows are read from the database, as the init job reads
# them (it clears the SAML caches on commit, so the LMS sees those rows). Read-only, inside a
# transaction that is rolled back anyway.
#
# One line per finding: OK, WARNING or ERROR, the setting or object, and for a problem the
# fix. Never a secret's value. Exits 4 on any error (1 is left to crashes); warnings alone
# exit 0.
#
# This file is included verbatim into a Jinja template: it must not contain Jinja markers.

import base64
import hashlib
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
METADATA_WARNING_DAYS = 7
DAY = timedelta(days=1)


def in_days(left: timedelta) -> str:
    """How long until an expiry, in whole days as people count them ("in 1 day"): rounded,
    so that a token set to expire in 10 days is "in 10 days", not 9 and 23 hours."""
    days = round(left / DAY)
    if days < 1:
        return "in less than a day"
    return f"in {days} day{'s' if days > 1 else ''}"


COMPANION_MIDDLEWARE_PACKAGE = "openedx_companion_auth."
LOGIN_PATH_PREFIX = "/auth/login/"
INIT_FIX = "run `tutor local|dev|k8s do lmsbridge-init`"
# The job that pulls the SAML IdPs' metadata from their URLs, and only that (registered with
# or without a schedule: LMSBRIDGE_SAML_REFRESH_HOURS=0 only drops the service and CronJob).
REFRESH_FIX = "run `tutor local|dev|k8s do lmsbridge-refresh-saml`"
SETTINGS_FIX = (
    "run `tutor config save` and restart the LMS; if it persists, a settings patch loaded "
    "after lmsbridge's overrides it"
)
IMAGE_FIX = "rebuild the openedx image (`tutor images build openedx`) and restart the LMS"
SITES_FIX = "give each Site its own domain in Django admin (Sites)"
PROBE_FIX = "or check the IdP's metadata URL with `tutor lmsbridge check --probe`"
IDP_CERT_FIX = "then give the IdP the certificate `tutor lmsbridge credentials <app>` prints"
EMPTY_VERIFY_PLAN: dict[str, Any] = {
    "authn_mfe_off": False,
    "redirect_enabled": False,
    "providers": [],
    "saml_configurations": [],
    "link_by_email": [],
}
# The plugin's account-linking guard (lmsbridge_openedx/account_link.py), which its Open edX
# app's ready() inserts right before edx-platform's associate_by_email_if_oauth
# (common/djangoapps/third_party_auth/pipeline.py, relative to the third_party_auth app).
GUARD_STEP = "lmsbridge_openedx.account_link.guard_link_by_email"
GUARDED_STEP = "pipeline.associate_by_email_if_oauth"


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
    each provider's model; this table says what that model needs."""

    backend_base: str  # the social-core class third_party_auth requires for this model
    base_label: str
    # (spec, current row) -> the finding on what the row needs besides being enabled and
    # current: (level, text, fix), level "OK" with what is set.
    check_secret: Any
    # The current row read from the database (as the init job reads it) rather than
    # through current(), which may be cached.
    from_database: bool = False


def check_oauth2_secret(spec: dict[str, Any], current: Any) -> tuple[str, str, str]:
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
    return ("OK", "secret set", "")


def newest_row(model: Any, **key: Any) -> Any:
    """The current row as django-config-models defines it (the newest with these key
    fields), read from the database as the init job reads it."""
    return model.objects.filter(**key).order_by("-change_date", "-id").first()


def check_saml_provider(spec: dict[str, Any], current: Any) -> tuple[str, str, str]:
    """A SAMLProviderConfig row as SAMLProviderConfig.get_config() uses it: its entity id
    (the SAMLProviderData it looks up), its metadata source (what edx's pull fetches), and
    its SAMLConfiguration (the row's own, else the Site's current "default"; the SP key
    pair is checked on that configuration's line)."""
    for field, label in (
        ("backend_name", "backend name"),
        ("entity_id", "entity id"),
        ("metadata_source", "metadata source"),
    ):
        have, want = getattr(current, field), spec[field]
        if have != want:
            return ("ERROR", f"its {label} is {have!r}, not the planned {want!r}", INIT_FIX)
    if current.saml_configuration_id is not None:
        model = django_apps.get_model("third_party_auth", "SAMLConfiguration")
        default = newest_row(model, site_id=current.site_id, slug="default")
        if default is None or current.saml_configuration_id != default.pk:
            return (
                "WARNING",
                f"it uses SAML configuration row {current.saml_configuration_id}, not the "
                "Site's current default one (a later key or entity id change misses it)",
                INIT_FIX + " (it empties the row's SAML configuration)",
            )
    source = f"metadata from {url}" if (url := spec["metadata_source"]) else "inline metadata"
    return ("OK", f"entity id {spec['entity_id']}, {source}", "")


PROVIDER_KINDS = {
    "OAuth2ProviderConfig": ProviderKind(
        "social_core.backends.oauth.OAuthAuth", "an OAuth2 backend", check_oauth2_secret
    ),
    # edx's _PSA_SAML_BACKENDS: the SAMLAuth subclasses of AUTHENTICATION_BACKENDS.
    "SAMLProviderConfig": ProviderKind(
        "social_core.backends.saml.SAMLAuth", "a SAML backend", check_saml_provider, True
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
    the LMS sees it; a SAML row from the database): present, bound to that Site, enabled,
    and what its kind needs (OAuth2: the secret reachable; SAML: entity id, metadata
    source, configuration)."""
    subject = f"provider {spec['provider_id']}"
    kind = PROVIDER_KINDS[spec["model"]]
    model = django_apps.get_model("third_party_auth", spec["model"])
    known = {"site_id": site.pk, "site": site, **spec["key"]}
    key = {field: known[field] for field in model.KEY_FIELDS}
    if kind.from_database:
        current = newest_row(model, **key) or model(**key)
    else:
        # edx-platform's OAuth2ProviderConfig.current(*args) takes the key without the Site
        # and adds the current request's Site itself (SITE_ID's in a shell): passing the
        # site id too raises TypeError there (common/djangoapps/third_party_auth/models.py).
        # Releases that keyed these rows on backend_name alone had no such override; the
        # same call suits both.
        current = model.current(*(key[field] for field in model.KEY_FIELDS if field != "site_id"))
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
    level, text, fix = kind.check_secret(spec, current)
    if level != "OK":
        findings.add(level, subject, f"enabled and current, but {text}", fix)
        return
    findings.ok(subject, f"enabled and current for Site {site.pk} ({site.domain}), {text}")
    check_trust(spec, current, findings)


def check_trust(spec: dict[str, Any], current: Any, findings: Findings) -> None:
    """Flags of the row the LMS uses (an admin may have turned them on) that grant trust the
    provider cannot back: what `tutor lmsbridge check` says of the configuration
    (tutor_lmsbridge/core/trust.py), said of the running LMS. edx-platform reads both in
    common/djangoapps/third_party_auth/pipeline.py (set_id_verification_status,
    ensure_user_information) and openedx/core/djangoapps/user_authn/views/register.py."""
    trust = spec.get("trust")
    if trust is None:
        return  # a verify plan rendered before these checks
    subject = f"provider {spec['provider_id']}"
    key = f"LMSBRIDGE_{spec['app'].upper()}_"
    if trust["consumer"] and current.enable_sso_id_verification:
        findings.warning(
            subject,
            "enable_sso_id_verification is on: every learner who logs in through this "
            "provider gets an approved identity verification, and anyone can have an account "
            "there",
            f"`tutor lmsbridge set {key}ENABLE_SSO_ID_VERIFICATION=false` (unless only a "
            f"directory that checked each person's identity signs in there), then {INIT_FIX}",
        )
    if not trust["verifies_email"] and current.skip_email_verification:
        findings.warning(
            subject,
            "skip_email_verification is on, but the provider is not known to verify emails: "
            "a first login creates an active account with an email nobody confirmed",
            f"`tutor lmsbridge set {key}SKIP_EMAIL_VERIFICATION=false`, then {INIT_FIX}",
        )


def check_edx_api_key(findings: Findings) -> None:
    """EDX_API_KEY (edx-platform's default is None, lms/envs/common.py): whoever sends it as
    X-Edx-Api-Key passes the API checks that accept it; Richie 2.0.0-beta.17 and later never
    send it. Its value is never shown."""
    if getattr(settings, "EDX_API_KEY", None):
        findings.warning(
            "setting EDX_API_KEY",
            "set: whoever holds it calls the LMS APIs that accept X-Edx-Api-Key",
            "unless a Richie older than 2.0.0-beta.17 uses it, `tutor lmsbridge set "
            "LMSBRIDGE_<APP>_API_KEY=false` (or remove the settings patch that sets it) and "
            "restart the LMS",
        )


def pem_body(text: str) -> bytes:
    """The DER bytes of a PEM block or of its base64 body (edx's clean() strips the PEM
    lines; python3-saml takes either)."""
    lines = [line for line in text.strip().splitlines() if not line.startswith("-----")]
    return base64.b64decode("".join("".join(lines).split()), validate=True)


def key_pair_problem(private_key: str, certificate: str) -> str:
    """Why the SP private key and certificate are not a pair ("" when they are). Never
    says anything of the key's value."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    try:
        key = serialization.load_der_private_key(pem_body(private_key), password=None)
    except (ValueError, TypeError):  # binascii.Error is a ValueError; so is a bad structure
        return "the SP private key cannot be read (not an unencrypted RSA key)"
    try:
        cert = x509.load_der_x509_certificate(pem_body(certificate))
    except ValueError:
        return "the SP certificate cannot be read"
    if key.public_key().public_bytes(*spki) != cert.public_key().public_bytes(*spki):
        return "the SP private key does not belong to the SP certificate"
    return ""


def certificate_body(text: str) -> str:
    return "".join(line.strip() for line in text.splitlines() if not line.startswith("-----"))


def check_saml_configuration(spec: dict[str, Any], site: Any, findings: Findings) -> None:
    """The Site's SAMLConfiguration of the plan (slug "default"), as edx-platform uses it:
    current and enabled (its SAML backend answers every login and the SP metadata with a
    404 otherwise, and its metadata pull skips every provider), the planned SP entity id,
    and the SP key pair that get_setting() gives: the row's private key, else
    SOCIAL_AUTH_SAML_SP_PRIVATE_KEY (slug "default") or SOCIAL_AUTH_SAML_SP_PRIVATE_KEY_DICT
    [slug]; the certificate likewise. Presence and match only, never a key."""
    slug = spec["slug"]
    subject = f"SAML configuration {slug}"
    model = django_apps.get_model("third_party_auth", "SAMLConfiguration")
    current = newest_row(model, site_id=site.pk, slug=slug)
    if current is None:
        elsewhere = sorted(set(model.objects.filter(slug=slug).values_list("site_id", flat=True)))
        text = f"no configuration for Site {site.pk} ({site.domain})"
        if elsewhere:
            text += "; rows exist for Site(s) " + ", ".join(map(str, elsewhere))
        findings.error(subject, text, INIT_FIX)
        return
    if not current.enabled:
        findings.error(
            subject,
            "current configuration is disabled: Open edX refuses every SAML login (404)",
            INIT_FIX,
        )
        return
    if current.entity_id != spec["entity_id"]:
        findings.error(
            subject,
            f"its SP entity id is {current.entity_id!r}, not the planned {spec['entity_id']!r}",
            INIT_FIX,
        )
        return
    setting = "SOCIAL_AUTH_SAML_SP_{}" if slug == "default" else "SOCIAL_AUTH_SAML_SP_{}_DICT"
    private_key = current.get_setting("SP_PRIVATE_KEY")
    certificate = current.get_setting("SP_PUBLIC_CERT")
    if not private_key:
        where = setting.format("PRIVATE_KEY") + ("" if slug == "default" else f" [{slug}]")
        findings.error(
            subject,
            f"no SP private key: the row's is empty and {where} is not set",
            SETTINGS_FIX,
        )
        return
    if not certificate:
        where = setting.format("PUBLIC_CERT") + ("" if slug == "default" else f" [{slug}]")
        findings.error(
            subject, f"no SP certificate: the row's is empty and {where} is not set", INIT_FIX
        )
        return
    problem = key_pair_problem(private_key, certificate)
    if problem:
        # A key the settings hold comes from LMSBRIDGE_SP_PRIVATE_KEY, checked when saved.
        unreadable = "cannot be read" in problem and not current.private_key
        fix = SETTINGS_FIX if unreadable else f"{INIT_FIX}, {IDP_CERT_FIX}"
        findings.error(subject, problem, fix)
        return
    if certificate_body(certificate) != certificate_body(spec["public_key"]):
        findings.error(
            subject,
            "the SP certificate is not the planned one (from LMSBRIDGE_SP_PRIVATE_KEY)",
            f"{INIT_FIX}, {IDP_CERT_FIX}",
        )
        return
    if current.private_key:
        findings.warning(
            subject,
            "a private key is stored in the row (lmsbridge keeps it in "
            + setting.format("PRIVATE_KEY")
            + ")",
            INIT_FIX + " (it empties the row's private key)",
        )
        return
    # Which certificate is live, and the next one the SP metadata announces during a key
    # rollover (SP_EXTRA.x509certNew, LMSBRIDGE_SP_NEXT_PRIVATE_KEY): what the IdPs' admins
    # compare with what they hold.
    live = f"live SP certificate SHA-256 {sha256_fingerprint(certificate)}"
    try:
        extra = current.get_setting("SP_EXTRA")  # other_config_str's, as edx reads it
    except (KeyError, ValueError):
        extra = {}
    upcoming = extra.get("x509certNew") if isinstance(extra, dict) else None
    if upcoming:
        live += (
            f"; next certificate SHA-256 {sha256_fingerprint(upcoming)} published in the SP "
            "metadata (switch once every IdP has it: docs/security.rst)"
        )
    findings.ok(
        subject,
        f"enabled and current for Site {site.pk} ({site.domain}), SP entity id "
        f"{current.entity_id}, SP key pair set (private key from the settings), {live}",
    )


def sha256_fingerprint(certificate: str) -> str:
    """As IdP consoles and `tutor lmsbridge credentials` show it (AB:CD:...)."""
    digest = hashlib.sha256(base64.b64decode(certificate_body(certificate))).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def refreshed(row: Any) -> str:
    """When Open edX's pull last stored this metadata (fetched_at: it rewrites it on each
    successful pull, the scheduled refresh's included)."""
    return f"last refreshed {row.fetched_at:%Y-%m-%d %H:%M} UTC" if row.fetched_at else ""


def check_saml_metadata(spec: dict[str, Any], findings: Findings, refresh_hours: int = 0) -> None:
    """The IdP's metadata as SAMLProviderConfig.get_config() reads it: the SAMLProviderData
    rows of the entity id that are valid (is_valid(): not expired, an SSO URL and a signing
    certificate); with none, every login fails (AuthNotConfigured). Metadata from a URL must
    outlive the next scheduled refresh (``refresh_hours``, LMSBRIDGE_SAML_REFRESH_HOURS):
    else logins fail between its expiry and that refresh, and verify says so before a
    learner meets it."""
    subject = f"SAML metadata {spec['provider_id']}"
    model = django_apps.get_model("third_party_auth", "SAMLProviderData")
    rows = list(model.objects.filter(entity_id=spec["entity_id"]).order_by("-fetched_at"))
    valid = [row for row in rows if row.is_valid()]
    if spec["inline_metadata"]:
        fix = (
            f"set LMSBRIDGE_{spec['app'].upper()}_METADATA to the IdP's current metadata, "
            f"`tutor config save`, then {INIT_FIX}"
        )
        missing_fix = f"{INIT_FIX}, which stores LMSBRIDGE_{spec['app'].upper()}_METADATA"
    else:
        # The refresh job: the SAML configuration and provider rows as init writes them, then
        # the pull, and nothing else (init also goes through every user, application, token).
        fix = missing_fix = f"{REFRESH_FIX}, which pulls it, {PROBE_FIX}"
    now = timezone.now()
    if not rows:
        findings.error(
            subject, f"none stored for {spec['entity_id']}: every login fails", missing_fix
        )
        return
    if not valid:
        expired = [row.expires_at for row in rows if row.expires_at and row.expires_at <= now]
        text = (
            f"expired on {max(expired).date()}: every login fails"
            if expired
            else "incomplete (no SSO URL or signing certificate): every login fails"
        )
        findings.error(subject, text, fix)
        return
    newest = valid[0]
    count = f"{len(valid)} signing certificate(s), SSO URL {newest.sso_url}"
    last = "" if spec["inline_metadata"] else f", {refreshed(newest)}"
    if newest.expires_at is None:
        findings.ok(subject, f"{count}, no expiry{last}")
        return
    scheduled = not spec["inline_metadata"] and refresh_hours > 0
    if scheduled and newest.expires_at <= now + timedelta(hours=refresh_hours):
        findings.error(
            subject,
            f"expires at {newest.expires_at:%Y-%m-%d %H:%M} UTC, before the next scheduled "
            f"refresh (every {refresh_hours} h{last}): logins fail from then until the IdP "
            "publishes metadata valid for longer",
            f"{REFRESH_FIX} now; if it stays, set "
            "LMSBRIDGE_SAML_REFRESH_HOURS lower than the metadata's validity, or ask the "
            "IdP's admin for a longer validUntil",
        )
        return
    if newest.expires_at - now < METADATA_WARNING_DAYS * DAY:
        findings.warning(
            subject,
            f"expires on {newest.expires_at.date()} ({in_days(newest.expires_at - now)}{last})",
            fix,
        )
        return
    findings.ok(subject, f"{count}, valid until {newest.expires_at.date()}{last}")


def check_account_link_guard(checks: dict[str, Any], findings: Findings) -> None:
    """SOCIAL_AUTH_PIPELINE as the running LMS has it (third_party_auth assigns it at
    start-up, the plugin's app then inserts the guard), and the policies it reads."""
    links = checks.get("link_by_email") or []
    if not links:
        return
    subject = "setting SOCIAL_AUTH_PIPELINE"
    pipeline = list(getattr(settings, "SOCIAL_AUTH_PIPELINE", None) or [])
    guarded = f"{django_apps.get_app_config('third_party_auth').name}.{GUARDED_STEP}"
    if GUARD_STEP not in pipeline:
        findings.error(
            subject,
            f"the account-linking guard {GUARD_STEP} is missing: any identity provider's "
            "login is linked to the existing account with the same email, staff included",
            IMAGE_FIX + " (the image installs lmsbridge_openedx, whose start-up inserts it)",
        )
    elif guarded not in pipeline or pipeline.index(guarded) != pipeline.index(GUARD_STEP) + 1:
        findings.error(
            subject,
            f"the account-linking guard is not right before {guarded}: that step may link "
            "logins by email before the guard decides",
            "find the plugin or settings that reorder SOCIAL_AUTH_PIPELINE after start-up; "
            "lmsbridge_openedx must be the last app to change it",
        )
    else:
        findings.ok(subject, f"account-linking guard right before {guarded}")
    planned = {link["provider_id"]: link["policy"] for link in links}
    if getattr(settings, "LMSBRIDGE_LINK_BY_EMAIL", None) != planned:
        findings.error("setting LMSBRIDGE_LINK_BY_EMAIL", "differs from the plan", SETTINGS_FIX)
    for link in links:
        if link["unverified"]:
            findings.warning(
                f"provider {link['provider_id']}",
                "links a first login to the account with the same email although nothing "
                f"says {link['app']} verified that email",
                f"set LMSBRIDGE_{link['app'].upper()}_LINK_BY_EMAIL=verified (OpenID "
                "Connect) or never, `tutor config save`, then restart the LMS",
            )


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
            f"expires on {token.expires.date()} ({in_days(token.expires - now)})",
            f"set {expiry_key} to a later date, `tutor config save`, then {INIT_FIX}",
        )
        return
    findings.ok(subject, f"valid until {token.expires.date()}")


def check_catalogs(findings: Findings) -> None:
    """The catalogs the LMS and Studio send course runs and enrollment counts to, checked from
    here, where the workers' network is: each gets a signed empty batch, which Richie answers
    after checking the signature and stores nothing from (richie/apps/courses/api.py,
    ``sync_course_runs_from_request``: a list, each entry synced; none, ``{}``, HTTP 200).
    And the enrollment receiver must be connected (edx connects it from the plugin's app)."""
    targets = getattr(settings, "LMSBRIDGE_COURSE_SYNC", None) or []
    if not targets:
        return
    from django.db.models.signals import post_save
    from lmsbridge_openedx import sync
    from lmsbridge_openedx.apps import enrollment_dispatch_uid

    # Django keys a receiver by (dispatch_uid, id(sender)) (django/dispatch/dispatcher.py).
    key = (
        enrollment_dispatch_uid("post_save"),
        id(django_apps.get_model("student", "CourseEnrollment")),
    )
    connected = any(entry[0] == key for entry in post_save.receivers)
    names = ", ".join(target["app"] for target in targets)
    if connected:
        findings.ok("enrollment counts", f"sent to {names} as enrollments change")
    else:
        findings.error(
            "enrollment counts",
            f"the receiver of enrollment changes is not connected: no count reaches {names}",
            IMAGE_FIX + " (the image installs lmsbridge_openedx, which edx connects at start-up)",
        )
    for target in targets:
        app = target["app"]
        subject = f"catalog {app}"
        outcome = sync.deliver(target, [])
        url_fix = (
            f"set LMSBRIDGE_{app.upper()}_INTERNAL_URL to where {app} answers from inside the "
            "LMS container, `tutor config save`, then restart"
        )
        if outcome.result == sync.DELIVERED:
            findings.ok(subject, f"{target['url']} takes signed course runs ({outcome.detail})")
        elif outcome.status == 401:
            findings.error(
                subject,
                f"{target['url']} refuses the signature ({outcome.detail}): no course run or "
                "enrollment count reaches it",
                f"give {app} the RICHIE_COURSE_RUN_SYNC_SECRETS that `tutor lmsbridge "
                f"credentials {app}` prints, then restart {app}",
            )
        elif outcome.result == sync.REFUSED:
            findings.error(subject, f"{target['url']} {outcome.detail}", url_fix)
        else:
            findings.warning(
                subject,
                f"{target['url']} {outcome.detail}; course runs and counts wait and are "
                f"retried for {target.get('retry_hours', 24)} h",
                f"if {app} is up, {url_fix}",
            )


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
    if (plan.get("providers") or plan.get("saml_providers")) and checks is EMPTY_VERIFY_PLAN:
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
        # One line per backend (the SAML providers share tpa-saml).
        for spec in {spec["backend_name"]: spec for spec in providers}.values():
            check_backend(spec, backends, findings)
        site = lms_site(findings) if providers else None
        if site is not None:
            for spec in checks.get("saml_configurations", []):
                check_saml_configuration(spec, site, findings)
            for spec in providers:
                check_provider(spec, site, findings)
                if spec["model"] == "SAMLProviderConfig":
                    check_saml_metadata(spec, findings, checks.get("saml_refresh_hours", 0))
        check_account_link_guard(checks, findings)
        check_companion(checks, backends, findings)
        check_authn_mfe(checks, findings)
        check_edx_api_key(findings)
        check_catalogs(findings)
        for spec in plan["applications"]:
            check_application(spec, findings)
        for spec in plan["tokens"]:
            check_token(spec, findings)
        # Verification writes nothing; should a read ever write, it is undone.
        transaction.set_rollback(True)
    findings.summary()
    if findings.counts["ERROR"]:
        raise SystemExit(VERIFY_ERRORS_EXIT)
