"""`do lmsbridge-verify` against a real database: a healthy setup reports only OK, and each
finding, broken on purpose, is named with its fix (and nothing is written)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from social_core.backends.base import BaseAuth
from social_core.backends.oauth import BaseOAuth2

from tutor_lmsbridge.core.pipeline import plan_for
from tutor_lmsbridge.output.masking import secret_values
from tutor_lmsbridge.output.reports import fingerprint

from .support.catalog_server import SYNC_SECRET as CATALOG_SECRET
from .support.catalog_server import Catalog
from .support.edx_releases import oauth2_keyed_on_backend_name
from .support.lms_jobs import (
    SEED,
    TASKS,
    Lms,
    Result,
    assert_local_do,
    job_codes,
    local_do,
    name_task,
)
from .support.samples import (
    ADFS,
    MITXONLINE,
    OIDC,
    PLATFORM,
    SHIB,
    combine,
    saml_metadata,
    several_apps,
    sp_private_key,
)
from .support.tutor_helpers import init_python, render_init_task, run_tutor


@pytest.fixture(scope="module")
def codes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return job_codes(tmp_path_factory, ["init", "verify"])


# MITx Online (ol-oauth2, login redirect, service token) and an OpenID Connect app (its own
# in-image backend class), verified on what the real init job made.
HEALTHY_APPS = combine(MITXONLINE, OIDC)
HEALTHY = [
    "lmsbridge: OK setting ENABLE_THIRD_PARTY_AUTH: on",
    "lmsbridge: OK backend ol-oauth2: ol_social_auth.backends.OLOAuth2 in "
    "AUTHENTICATION_BACKENDS, known to third_party_auth",
    "lmsbridge: OK backend sso: lmsbridge_openedx.oidc.OIDC_sso in AUTHENTICATION_BACKENDS, "
    "known to third_party_auth",
    "lmsbridge: OK site 2 (SITE_ID): domain local.openedx.io; requests for local.openedx.io "
    "are served by it",
    "lmsbridge: OK provider oa2-ol-oauth2: enabled and current for Site 2 (local.openedx.io), "
    "secret set",
    "lmsbridge: OK provider oa2-sso: enabled and current for Site 2 (local.openedx.io), secret set",
    "lmsbridge: OK setting SOCIAL_AUTH_PIPELINE: account-linking guard right before "
    "tests.edx_standin.third_party_auth.pipeline.associate_by_email_if_oauth",
    "lmsbridge: OK setting MIDDLEWARE: "
    "openedx_companion_auth.middleware.RedirectAnonymousUsersToLoginMiddleware installed",
    "lmsbridge: OK setting MITX_REDIRECT_LOGIN_URL: backend ol-oauth2 registered",
    "lmsbridge: OK setting ENABLE_AUTHN_MICROFRONTEND: off",
    "lmsbridge: OK OAuth2 application lmsbridge-mitxonline: 2 redirect URI(s) as planned",
    "lmsbridge: OK access token for mitxonline_serviceworker: valid until 2099-12-31",
    "lmsbridge: verify: 12 OK, 0 WARNING, 0 ERROR",
]


@pytest.fixture
def healthy(lms: Lms) -> Lms:
    lms.configure(HEALTHY_APPS)
    assert lms.run("init").status == 0
    return lms


def test_healthy_setup_reports_only_ok(healthy: Lms) -> None:
    result = healthy.run("verify")
    assert result.lines == HEALTHY
    assert result.status == 0
    assert result.queries
    assert not result.writes


class ShadowOLOAuth2(BaseOAuth2):
    """Another plugin's class under our backend's name."""

    name = "ol-oauth2"


class NotOAuth(BaseAuth):
    """A social-auth backend that is not an OAuth one, under the OIDC app's name."""

    name = "sso"


def newest_provider(backend_name: str = "ol-oauth2") -> Any:
    from django.apps import apps

    model = apps.get_model("third_party_auth", "OAuth2ProviderConfig")
    return model.objects.filter(backend_name=backend_name).order_by("-change_date", "-id").first()


def admin_saves_provider(backend_name: str = "ol-oauth2", **changes: Any) -> None:
    """What Django admin does to a ConfigurationModel: a new row, copied and changed."""
    row = newest_provider(backend_name)
    row.pk = None
    for name, value in changes.items():
        setattr(row, name, value)
    row.save()


def set_token_expiry(days: float) -> None:
    from django.utils import timezone
    from oauth2_provider.models import AccessToken

    token = AccessToken.objects.get(user__username="mitxonline_serviceworker")
    token.expires = timezone.now() + timedelta(days=days)
    token.save()


def backends_without(lms: Lms, fragment: str) -> None:
    lms.settings["AUTHENTICATION_BACKENDS"] = [
        b for b in lms.settings["AUTHENTICATION_BACKENDS"] if fragment not in b
    ]


def plan_backend_class(lms: Lms, backend_name: str, class_path: str) -> None:
    """The verify plan and AUTHENTICATION_BACKENDS name ``class_path`` for ``backend_name``
    (as a settings patch pointing at another class would)."""
    checks = json.loads(json.dumps(lms.settings["LMSBRIDGE_VERIFY_PLAN"]))
    spec = next(s for s in checks["providers"] if s["backend_name"] == backend_name)
    old, spec["backend_class"] = spec["backend_class"], class_path
    lms.settings["LMSBRIDGE_VERIFY_PLAN"] = checks
    lms.settings["AUTHENTICATION_BACKENDS"] = [
        class_path if b == old else b for b in lms.settings["AUTHENTICATION_BACKENDS"]
    ]


def rows_on_another_site(lms: Lms) -> None:
    from django.apps import apps
    from django.contrib.sites.models import Site

    Site.objects.get_or_create(pk=1, defaults={"domain": "example.com", "name": "example.com"})
    model = apps.get_model("third_party_auth", "OAuth2ProviderConfig")
    model.objects.filter(backend_name="ol-oauth2").update(site_id=1)


def edit_redirect_uris(lms: Lms) -> None:
    from oauth2_provider.models import Application

    app = Application.objects.get(name="lmsbridge-mitxonline")
    app.redirect_uris = app.redirect_uris.split()[0] + " https://evil.example.com/complete"
    app.save()


def duplicate_site_domain(lms: Lms) -> None:
    from django.contrib.sites.models import Site

    Site.objects.create(pk=3, domain="LOCAL.openedx.io", name="copy")


def lms_host_on_another_site(lms: Lms) -> None:
    """Site 1 took the LMS's domain: requests are served by it, not by SITE_ID's Site."""
    from django.contrib.sites.models import Site

    Site.objects.filter(pk=2).update(domain="lms.example.com")
    Site.objects.update_or_create(
        pk=1, defaults={"domain": "local.openedx.io", "name": "local.openedx.io"}
    )


def service_user_not_staff(lms: Lms) -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username="mitxonline_serviceworker").update(is_staff=False)


def site_deleted(lms: Lms) -> None:
    from django.contrib.sites.models import Site

    Site.objects.filter(pk=2).delete()


def application_deleted(lms: Lms) -> None:
    from oauth2_provider.models import Application

    Application.objects.filter(name="lmsbridge-mitxonline").delete()  # its token goes too


def token_scope_reduced(lms: Lms) -> None:
    from oauth2_provider.models import AccessToken

    AccessToken.objects.filter(user__username="mitxonline_serviceworker").update(scope="read")


def setting(name: str, value: Any) -> Callable[[Lms], None]:
    def change(lms: Lms) -> None:
        lms.settings[name] = value

    change.__name__ = f"{name}={value!r}"
    return change


def without_companion_middleware(lms: Lms) -> None:
    lms.settings["MIDDLEWARE"] = [
        m for m in lms.settings["MIDDLEWARE"] if not m.startswith("openedx_companion_auth")
    ]


HERE = __name__  # this module, as AUTHENTICATION_BACKENDS names its classes
GUARD = "lmsbridge_openedx.account_link.guard_link_by_email"


def pipeline_without_guard(lms: Lms) -> None:
    """An LMS whose image lacks the plugin's app: edx-platform's pipeline as is."""
    from django.conf import settings

    lms.settings["SOCIAL_AUTH_PIPELINE"] = [
        step for step in settings.SOCIAL_AUTH_PIPELINE if step != GUARD
    ]


def guard_after_edx_step(lms: Lms) -> None:
    """Another app re-assigned the pipeline after ours and appended the guard at the end."""
    from django.conf import settings

    steps = [step for step in settings.SOCIAL_AUTH_PIPELINE if step != GUARD]
    lms.settings["SOCIAL_AUTH_PIPELINE"] = [*steps, GUARD]


def shadowed_backend(lms: Lms) -> None:
    """Another settings patch appends its own class of the same name (the last one wins)."""
    lms.settings["AUTHENTICATION_BACKENDS"] = [
        *lms.settings["AUTHENTICATION_BACKENDS"],
        f"{HERE}.ShadowOLOAuth2",
    ]


# (id, breakage, exit status, fragments each of which one problem line must contain)
BREAKS: list[tuple[str, Callable[[Lms], None], int, list[str]]] = [
    (
        "account-link-guard-missing",
        pipeline_without_guard,
        4,
        [
            f"ERROR setting SOCIAL_AUTH_PIPELINE: the account-linking guard {GUARD} is "
            "missing: any identity provider's login is linked to the existing account with "
            "the same email, staff included; fix: rebuild the openedx image"
        ],
    ),
    (
        "account-link-guard-misplaced",
        guard_after_edx_step,
        4,
        [
            "ERROR setting SOCIAL_AUTH_PIPELINE: the account-linking guard is not right before "
            "tests.edx_standin.third_party_auth.pipeline.associate_by_email_if_oauth"
        ],
    ),
    (
        "link-policies-overridden",
        setting("LMSBRIDGE_LINK_BY_EMAIL", {}),
        4,
        ["ERROR setting LMSBRIDGE_LINK_BY_EMAIL: differs from the plan; fix: run"],
    ),
    (
        "backend-missing",
        lambda lms: backends_without(lms, "ol_social_auth"),
        4,
        [
            "ERROR backend ol-oauth2: ol_social_auth.backends.OLOAuth2 is not in "
            "AUTHENTICATION_BACKENDS; fix: run `tutor config save`",
            "ERROR setting MITX_REDIRECT_LOGIN_URL: backend ol-oauth2 is not registered",
        ],
    ),
    (
        "oidc-backend-missing",
        lambda lms: backends_without(lms, "lmsbridge_openedx.oidc"),
        4,
        [
            "ERROR backend sso: lmsbridge_openedx.oidc.OIDC_sso is not in "
            "AUTHENTICATION_BACKENDS; fix: run `tutor config save`"
        ],
    ),
    (
        "backend-unimportable",
        lambda lms: plan_backend_class(lms, "ol-oauth2", "ol_social_auth.gone.OLOAuth2"),
        4,
        [
            "ERROR backend ol-oauth2: ol_social_auth.gone.OLOAuth2 cannot be imported; "
            "fix: rebuild the openedx image",
            # The companion's login URL names a backend nothing registers any more.
            "ERROR setting MITX_REDIRECT_LOGIN_URL: backend ol-oauth2 is not registered",
        ],
    ),
    (
        "backend-renamed",
        lambda lms: plan_backend_class(
            lms, "ol-oauth2", "social_auth_mitxpro.backends.MITxProOAuth2"
        ),
        4,
        [
            "ERROR backend ol-oauth2: social_auth_mitxpro.backends.MITxProOAuth2 is named "
            "'mitxpro-oauth2'; fix: set LMSBRIDGE_MITXONLINE_BACKEND to the class's name",
            "ERROR setting MITX_REDIRECT_LOGIN_URL: backend ol-oauth2 is not registered",
        ],
    ),
    (
        "backend-shadowed",
        shadowed_backend,
        4,
        [
            f"ERROR backend ol-oauth2: third_party_auth uses {HERE}.ShadowOLOAuth2 for "
            "ol-oauth2, not ol_social_auth.backends.OLOAuth2: the last class of a name in "
            f"AUTHENTICATION_BACKENDS wins; fix: remove {HERE}.ShadowOLOAuth2 from "
            "AUTHENTICATION_BACKENDS"
        ],
    ),
    (
        "backend-not-oauth",
        lambda lms: plan_backend_class(lms, "sso", f"{HERE}.NotOAuth"),
        4,
        [
            f"ERROR backend sso: {HERE}.NotOAuth is not an OAuth2 backend: third_party_auth "
            "cannot use it for OAuth2ProviderConfig; fix: set LMSBRIDGE_SSO_BACKEND_CLASS"
        ],
    ),
    (
        "third-party-auth-off",
        setting("ENABLE_THIRD_PARTY_AUTH", False),
        4,
        ["ERROR setting ENABLE_THIRD_PARTY_AUTH: off"],
    ),
    (
        "provider-rows-on-another-site",
        rows_on_another_site,
        4,
        [
            "ERROR provider oa2-ol-oauth2: no configuration for Site 2 (local.openedx.io); "
            "rows exist for Site(s) 1; fix: run `tutor local|dev|k8s do lmsbridge-init`"
        ],
    ),
    (
        "site-missing",
        site_deleted,
        4,
        ["ERROR site 2 (SITE_ID): no such Site; fix: run `tutor local|dev|k8s do init`"],
    ),
    (
        "duplicate-site-domain",
        duplicate_site_domain,
        4,
        [
            "ERROR site 2 (SITE_ID): requests for local.openedx.io fail: Sites 2, 3 have that "
            "domain; fix: give each Site its own domain"
        ],
    ),
    (
        "lms-host-served-by-another-site",
        lms_host_on_another_site,
        4,
        [
            "ERROR site 2 (SITE_ID): requests for local.openedx.io are served by Site 1 "
            "(local.openedx.io): the providers of Site 2 are off there; fix: in Django admin "
            "(Sites), change the domain of Site 1"
        ],
    ),
    (
        "lms-host-not-allowed",
        setting("ALLOWED_HOSTS", ["studio.local.openedx.io"]),
        4,
        ["ERROR site 2 (SITE_ID): requests for local.openedx.io are refused (ALLOWED_HOSTS)"],
    ),
    (
        "provider-disabled",
        lambda lms: admin_saves_provider(enabled=False),
        4,
        ["ERROR provider oa2-ol-oauth2: current configuration is disabled; fix: run"],
    ),
    (
        "oidc-provider-disabled",
        lambda lms: admin_saves_provider("sso", enabled=False),
        4,
        ["ERROR provider oa2-sso: current configuration is disabled; fix: run"],
    ),
    (
        "secret-missing",
        setting("SOCIAL_AUTH_OAUTH_SECRETS", {"sso": "oidc-secret-value"}),
        4,
        [
            "ERROR provider oa2-ol-oauth2: enabled and current, but no secret: the row's is "
            "empty and "
            "SOCIAL_AUTH_OAUTH_SECRETS has none for ol-oauth2; fix: set "
            "LMSBRIDGE_MITXONLINE_CLIENT_SECRET"
        ],
    ),
    (
        "secret-in-row",
        lambda lms: admin_saves_provider(secret="pasted-in-admin"),
        0,
        [
            "WARNING provider oa2-ol-oauth2: enabled and current, but a secret is stored in "
            "the row (lmsbridge keeps it in SOCIAL_AUTH_OAUTH_SECRETS); fix: run"
        ],
    ),
    (
        "login-url-unregistered-backend",
        setting("MITX_REDIRECT_LOGIN_URL", "/auth/login/nope-oauth2/?auth_entry=login"),
        4,
        ["ERROR setting MITX_REDIRECT_LOGIN_URL: backend nope-oauth2 is not registered"],
    ),
    (
        "login-url-not-a-login-path",
        setting("MITX_REDIRECT_LOGIN_URL", "/login?next=/dashboard"),
        4,
        ["ERROR setting MITX_REDIRECT_LOGIN_URL: '/login?next=/dashboard' is not /auth/login/"],
    ),
    (
        "companion-middleware-missing",
        without_companion_middleware,
        4,
        [
            "ERROR setting MIDDLEWARE: MITX_REDIRECT_ENABLED but no openedx_companion_auth "
            "middleware; fix: rebuild the openedx image"
        ],
    ),
    (
        "redirect-off",
        setting("MITX_REDIRECT_ENABLED", False),
        4,
        ["ERROR setting MITX_REDIRECT_ENABLED: off, lmsbridge turns it on"],
    ),
    (
        "authn-mfe-on",
        setting("ENABLE_AUTHN_MICROFRONTEND", True),
        4,
        ["ERROR setting ENABLE_AUTHN_MICROFRONTEND: on, lmsbridge turns it off"],
    ),
    (
        "redirect-uris-edited",
        edit_redirect_uris,
        4,
        [
            "ERROR OAuth2 application lmsbridge-mitxonline: redirect_uris differ from the plan "
            "(1 missing, 1 unexpected, or reordered); fix: run"
        ],
    ),
    (
        "application-missing",
        application_deleted,
        4,
        [
            "ERROR OAuth2 application lmsbridge-mitxonline: missing for user "
            "mitxonline_serviceworker; fix: run",
            "ERROR access token for mitxonline_serviceworker: missing; fix: run",
        ],
    ),
    (
        "token-scope-reduced",
        token_scope_reduced,
        4,
        ["ERROR access token for mitxonline_serviceworker: lacks scope(s) of read write; fix: run"],
    ),
    (
        "service-user-not-staff",
        service_user_not_staff,
        4,
        [
            "ERROR access token for mitxonline_serviceworker: not owned by the active staff "
            "service user; fix: run"
        ],
    ),
    (
        "token-expires-in-10-days",
        lambda lms: set_token_expiry(10),
        0,
        [
            "WARNING access token for mitxonline_serviceworker: expires on ",
            " (in 10 days); fix: set LMSBRIDGE_MITXONLINE_TOKEN_EXPIRES to a later date",
        ],
    ),
    # Trust nobody chose (issue #19): warnings, each with its fix.
    (
        "sso-id-verification-on-an-oidc-provider",
        lambda lms: admin_saves_provider("sso", enable_sso_id_verification=True),
        0,
        [
            "WARNING provider oa2-sso: enable_sso_id_verification is on: every learner who logs "
            "in through this provider gets an approved identity verification, and anyone can "
            "have an account there; fix: `tutor lmsbridge set "
            "LMSBRIDGE_SSO_ENABLE_SSO_ID_VERIFICATION=false` (unless only a directory that "
            "checked each person's identity signs in there), then run `tutor local|dev|k8s do "
            "lmsbridge-init`"
        ],
    ),
    (
        "edx-api-key-set",
        setting("EDX_API_KEY", "a-key-richie-never-sends"),
        0,
        [
            "WARNING setting EDX_API_KEY: set: whoever holds it calls the LMS APIs that accept "
            "X-Edx-Api-Key; fix: unless a Richie older than 2.0.0-beta.17 uses it, `tutor "
            "lmsbridge set LMSBRIDGE_<APP>_API_KEY=false`"
        ],
    ),
    (
        "token-expired",
        lambda lms: set_token_expiry(-1),
        4,
        ["ERROR access token for mitxonline_serviceworker: expired on "],
    ),
]


def test_trusted_link_policy_on_an_oidc_app_is_a_warning(lms: Lms) -> None:
    lms.configure({**HEALTHY_APPS, "LMSBRIDGE_SSO_LINK_BY_EMAIL": "trusted"})
    assert lms.run("init").status == 0
    result = lms.run("verify")
    assert problems(result) == [
        "lmsbridge: WARNING provider oa2-sso: links a first login to the account with the same "
        "email although nothing says sso verified that email; fix: set "
        "LMSBRIDGE_SSO_LINK_BY_EMAIL=verified (OpenID Connect) or never, `tutor config save`, "
        "then restart the LMS"
    ]
    assert result.status == 0
    # The MITx app's trusted default is no finding: MITx Online verifies every email.
    assert lms.settings["LMSBRIDGE_LINK_BY_EMAIL"] == {
        "oa2-ol-oauth2": "trusted",
        "oa2-sso": "trusted",
    }


def problems(result: Result) -> list[str]:
    return [line for line in result.lines[:-1] if not line.startswith("lmsbridge: OK ")]


def assert_named(result: Result, status: int, expected: list[str]) -> None:
    """Each expected problem is on a line of its own, every other finding stays OK, the
    summary counts the errors, and nothing was written."""
    found = problems(result)
    for fragment in expected:
        assert any(fragment in line for line in found), (fragment, result.lines)
    subjects = {fragment.split(":")[0] for fragment in expected if not fragment.startswith(" ")}
    assert all(
        any(line.startswith(f"lmsbridge: {subject}") for subject in subjects) for line in found
    ), found
    assert result.status == status
    assert not result.writes
    errors = sum(" ERROR " in line for line in result.lines[:-1])
    assert result.lines[-1].endswith(f", {errors} ERROR")


@pytest.mark.parametrize(
    ("breakage", "status", "expected"),
    [case[1:] for case in BREAKS],
    ids=[case[0] for case in BREAKS],
)
def test_each_breakage_is_named_with_its_fix(
    healthy: Lms, breakage: Callable[[Lms], None], status: int, expected: list[str]
) -> None:
    assert healthy.run("verify").lines == HEALTHY
    breakage(healthy)
    assert_named(healthy.run("verify"), status, expected)


def test_skip_email_verification_where_the_provider_does_not_verify_is_named(lms: Lms) -> None:
    """An OpenID Provider the operator does not rely on for email_verified (LINK_BY_EMAIL
    never): the init job leaves skip_email_verification off; an admin's row turning it on is
    what the LMS then uses, and verify names it."""
    lms.configure({**OIDC, "LMSBRIDGE_SSO_LINK_BY_EMAIL": "never"})
    assert lms.run("init").status == 0
    assert not newest_provider("sso").skip_email_verification
    assert not problems(lms.run("verify"))
    admin_saves_provider("sso", skip_email_verification=True)
    assert_named(
        lms.run("verify"),
        0,
        [
            "WARNING provider oa2-sso: skip_email_verification is on, but the provider is not "
            "known to verify emails: a first login creates an active account with an email "
            "nobody confirmed; fix: `tutor lmsbridge set "
            "LMSBRIDGE_SSO_SKIP_EMAIL_VERIFICATION=false`, then run `tutor local|dev|k8s do "
            "lmsbridge-init`"
        ],
    )
    assert lms.run("init").status == 0  # the init job puts the planned value back
    assert not problems(lms.run("verify"))


def catalog_app(catalog: Catalog, **extra: Any) -> dict[str, Any]:
    """Richie, whose internal URL is the test catalog, signing with its secret."""
    from .support.samples import RICHIE

    return {
        **RICHIE,
        "LMSBRIDGE_RICHIE_INTERNAL_URL": catalog.base,
        "LMSBRIDGE_RICHIE_SYNC_SECRETS": [CATALOG_SECRET],
        **extra,
    }


def test_a_catalog_is_sent_a_signed_empty_batch_and_the_receiver_checked(
    lms: Lms, catalog: Catalog, wired: None
) -> None:
    """Verify signs an empty batch to each catalog, as the workers sign runs (Richie checks
    the signature and stores nothing), and checks edx connected the enrollment receiver."""
    catalog.reset()
    lms.configure(combine(OIDC, catalog_app(catalog)))
    assert lms.run("init").status == 0
    result = lms.run("verify")
    url = f"{catalog.base}/api/v1.0/course-runs-sync/"
    assert "lmsbridge: OK enrollment counts: sent to richie as enrollments change" in result.lines
    assert f"lmsbridge: OK catalog richie: {url} takes signed course runs (HTTP 200)" in (
        result.lines
    )
    assert not problems(result)
    assert catalog.requests == 1
    assert catalog.stored == {}
    lms.settings["LMSBRIDGE_COURSE_SYNC"][0]["secret"] = "not-" + CATALOG_SECRET
    result = lms.run("verify")
    assert_named(
        result,
        4,
        [
            f"ERROR catalog richie: {url} refuses the signature (answered HTTP 401: "
            '"Invalid authentication."): no course run or enrollment count reaches it; fix: '
            "give richie the RICHIE_COURSE_RUN_SYNC_SECRETS that `tutor lmsbridge credentials "
            "richie` prints, then restart richie"
        ],
    )
    assert "not-" + CATALOG_SECRET not in "\n".join(result.lines)
    catalog.down()
    try:
        result = lms.run("verify")
    finally:
        catalog.up()
    assert_named(
        result,
        0,
        [
            f"WARNING catalog richie: {url} refused the connection; course runs and counts "
            "wait and are retried for 24 h; fix: if richie is up, set "
            "LMSBRIDGE_RICHIE_INTERNAL_URL to where richie answers from inside the LMS "
            "container, `tutor config save`, then restart"
        ],
    )


def test_an_unconnected_enrollment_receiver_is_named(lms: Lms, catalog: Catalog) -> None:
    """An image without the plugin's app (or an edx that did not connect its receivers):
    no enrollment count would ever reach the catalog."""
    catalog.reset()
    lms.configure(combine(OIDC, catalog_app(catalog)))
    assert lms.run("init").status == 0
    assert_named(
        lms.run("verify"),
        4,
        [
            "ERROR enrollment counts: the receiver of enrollment changes is not connected: no "
            "count reaches richie; fix: rebuild the openedx image"
        ],
    )


def test_an_edx_api_key_the_plugin_renders_is_named(
    lms: Lms, catalog: Catalog, wired: None
) -> None:
    """A catalog with API_KEY on renders EDX_API_KEY; the running LMS has it, and verify says
    so without showing it. By default nothing renders it and nothing is said."""
    catalog.reset()
    lms.configure(combine(OIDC, catalog_app(catalog)))
    assert lms.run("init").status == 0
    assert "EDX_API_KEY" not in lms.settings
    assert not problems(lms.run("verify"))
    config = combine(OIDC, catalog_app(catalog, LMSBRIDGE_RICHIE_API_KEY=True))
    lms.configure(config)
    key = lms.settings["EDX_API_KEY"]
    assert key == plan_for({**PLATFORM, **config, **SEED}).lms.edx_api_key
    result = lms.run("verify")
    assert_named(result, 0, ["WARNING setting EDX_API_KEY: set: whoever holds it"])
    assert key not in "\n".join(result.lines)


def test_newest_provider_row_on_another_site_is_named(
    healthy: Lms, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Releases that keyed provider rows on the backend name only: the newest row is the
    current one, whatever its Site."""
    from django.contrib.sites.models import Site

    Site.objects.get_or_create(pk=1, defaults={"domain": "example.com", "name": "example.com"})
    oauth2_keyed_on_backend_name(monkeypatch)
    admin_saves_provider(site_id=1)
    assert_named(
        healthy.run("verify"),
        4,
        [
            "ERROR provider oa2-ol-oauth2: current configuration is bound to Site 1, not 2 "
            "(local.openedx.io); fix: run"
        ],
    )


def test_settings_of_another_version_are_named(healthy: Lms) -> None:
    """LMS settings rendered by an lmsbridge without verification (no verify plan), or by
    one whose verify plan holds a kind of provider row this verification cannot check."""
    verify_plan = healthy.settings.pop("LMSBRIDGE_VERIFY_PLAN")
    result = healthy.run("verify")
    assert result.lines[0] == (
        "lmsbridge: ERROR setting LMSBRIDGE_VERIFY_PLAN: missing while LMSBRIDGE_INIT_PLAN "
        "names providers; fix: run `tutor config save` and restart the LMS"
    )
    assert result.status == 4
    newer = json.loads(json.dumps(verify_plan))
    newer["providers"][1]["model"] = "FutureProviderConfig"
    healthy.settings["LMSBRIDGE_VERIFY_PLAN"] = newer
    result = healthy.run("verify")
    assert (
        "lmsbridge: ERROR provider oa2-sso: this verification has no check for "
        "FutureProviderConfig rows; fix: run the `do lmsbridge-verify` of the lmsbridge version "
        "that rendered the LMS settings"
    ) in result.lines
    assert not [line for line in result.lines if "backend sso" in line or "sso: enabled" in line]
    assert result.status == 4


def test_nothing_connected_verifies_nothing(lms: Lms) -> None:
    lms.configure({})
    assert "LMSBRIDGE_VERIFY_PLAN" not in lms.settings  # the patch writes nothing
    lms.settings = {"LMSBRIDGE_INIT_PLAN": None, "LMSBRIDGE_VERIFY_PLAN": None}
    result = lms.run("verify")
    assert result.lines == ["lmsbridge: verify: 0 OK, 0 WARNING, 0 ERROR"]
    assert result.status == 0


# ---- SAML identity providers ---------------------------------------------------------------

# A Shibboleth IdP that publishes its metadata and an ADFS whose metadata is inline, with the
# SP key `tutor config save` would have generated.
SAML_APPS = {**combine(SHIB, ADFS), "LMSBRIDGE_SP_PRIVATE_KEY": sp_private_key()}
SHIB_ENTITY = SHIB["LMSBRIDGE_SHIB_ENTITY_ID"]
SHIB_SSO = "https://idp.example.edu/idp/profile/SAML2/Redirect/SSO"
# What the Shibboleth IdP publishes at its metadata URL (LMSBRIDGE_SHIB_URL).
SHIB_METADATA = saml_metadata(SHIB_ENTITY, SHIB_SSO).replace(
    "entityID=", 'validUntil="2099-12-31T00:00:00Z" entityID=', 1
)
EDX_SAML_BACKEND = "common.djangoapps.third_party_auth.saml.SAMLAuthBackend"
HEALTHY_SAML = [
    "lmsbridge: OK setting ENABLE_THIRD_PARTY_AUTH: on",
    f"lmsbridge: OK backend tpa-saml: {EDX_SAML_BACKEND} in AUTHENTICATION_BACKENDS, known to "
    "third_party_auth",
    "lmsbridge: OK site 2 (SITE_ID): domain local.openedx.io; requests for local.openedx.io "
    "are served by it",
    "lmsbridge: OK SAML configuration default: enabled and current for Site 2 "
    "(local.openedx.io), SP entity id http://local.openedx.io/saml, SP key pair set (private "
    "key from the settings), live SP certificate SHA-256 {live}",
    "lmsbridge: OK provider saml-shib: enabled and current for Site 2 (local.openedx.io), "
    f"entity id {SHIB_ENTITY}, metadata from {SHIB['LMSBRIDGE_SHIB_URL']}",
    f"lmsbridge: OK SAML metadata saml-shib: 1 signing certificate(s), SSO URL {SHIB_SSO}, "
    "valid until 2099-12-31, last refreshed {refreshed}",
    "lmsbridge: OK provider saml-adfs: enabled and current for Site 2 (local.openedx.io), "
    "entity id http://adfs.example.com/adfs/services/trust, inline metadata",
    "lmsbridge: OK SAML metadata saml-adfs: 1 signing certificate(s), SSO URL "
    "https://adfs.example.com/adfs/ls/, no expiry",
    "lmsbridge: OK setting SOCIAL_AUTH_PIPELINE: account-linking guard right before "
    "tests.edx_standin.third_party_auth.pipeline.associate_by_email_if_oauth",
    "lmsbridge: verify: 9 OK, 0 WARNING, 0 ERROR",
]


def healthy_saml() -> list[str]:
    """HEALTHY_SAML with the time Open edX's pull last stored the Shibboleth IdP's metadata
    (issue #24: verify reports the last successful refresh)."""
    from django.apps import apps

    model = apps.get_model("third_party_auth", "SAMLProviderData")
    fetched = model.objects.get(entity_id=SHIB_ENTITY).fetched_at
    refreshed = f"{fetched:%Y-%m-%d %H:%M} UTC"
    sp = plan_for({**PLATFORM, **SAML_APPS}).bridge.saml_sp
    assert sp is not None
    live = fingerprint(sp.certificate)  # as `credentials` prints it
    return [line.replace("{refreshed}", refreshed).replace("{live}", live) for line in HEALTHY_SAML]


def fake_idp_get(url: str, **_: Any) -> Any:
    """The Shibboleth IdP's metadata URL, as the metadata pull fetches it: a real requests
    Response over the document (read whole, or streamed)."""
    import io

    import requests

    if url != SHIB["LMSBRIDGE_SHIB_URL"]:
        raise requests.ConnectionError(f"no route to {url}")
    response = requests.Response()
    response.status_code, response.url = 200, url
    response.raw = io.BytesIO(SHIB_METADATA.encode())
    return response


@pytest.fixture
def saml(lms: Lms, monkeypatch: pytest.MonkeyPatch) -> Lms:
    """Open edX with the two SAML apps, as the init job left it. edx-platform's backend is
    importable at its own path (the stand-in's module), as AUTHENTICATION_BACKENDS names it."""
    import types

    from .edx_standin import third_party_auth
    from .edx_standin.third_party_auth import saml as standin_saml

    for name in ("common", "common.djangoapps"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "common.djangoapps.third_party_auth", third_party_auth)
    monkeypatch.setitem(sys.modules, "common.djangoapps.third_party_auth.saml", standin_saml)
    monkeypatch.setattr("requests.get", fake_idp_get)
    lms.configure(SAML_APPS)
    init = lms.run("init")
    assert init.status == 0
    assert "lmsbridge: SAML metadata: 1 fetched, 1 new, 0 failed" in " ".join(init.lines)
    return lms


def private_key_fragments() -> list[str]:
    """Pieces of the SP private key's private part (past the modulus, which the certificate
    holds too) in every form it takes: the PEM the operator's config holds and the PKCS#8
    body the settings hold."""
    from tutor_lmsbridge.core.pipeline import plan_for

    body = plan_for({**PLATFORM, **SAML_APPS}).lms.saml_sp_private_key
    pem = "".join(SAML_APPS["LMSBRIDGE_SP_PRIVATE_KEY"].splitlines()[1:-1])
    return [body[800:840], body[-80:-40], pem[800:840], pem[-80:-40], "PRIVATE KEY"]


def assert_no_private_key(lines: list[str]) -> None:
    text = "\n".join(lines)
    for fragment in private_key_fragments():
        assert fragment not in text


def test_healthy_saml_setup_reports_only_ok(saml: Lms) -> None:
    result = saml.run("verify")
    assert result.lines == healthy_saml()
    assert result.status == 0
    assert not result.writes
    assert_no_private_key(result.lines)


def test_verify_plan_holds_no_private_key(saml: Lms) -> None:
    checks = saml.settings["LMSBRIDGE_VERIFY_PLAN"]
    assert_no_private_key([repr(checks)])
    (configuration,) = checks["saml_configurations"]
    assert set(configuration) == {"slug", "entity_id", "public_key"}  # the certificate
    # The key is where edx reads it, and only there.
    assert saml.settings["SOCIAL_AUTH_SAML_SP_PRIVATE_KEY"]


def admin_saves(model_name: str, key: dict[str, Any], **changes: Any) -> None:
    """What Django admin does to a ConfigurationModel: a new row, copied and changed."""
    from django.apps import apps

    model = apps.get_model("third_party_auth", model_name)
    row = model.objects.filter(**key).order_by("-change_date", "-id").first()
    row.pk = None
    for name, value in changes.items():
        setattr(row, name, value)
    row.save()


def sp_configuration_saved(**changes: Any) -> Callable[[Lms], None]:
    return lambda lms: admin_saves("SAMLConfiguration", {"slug": "default"}, **changes)


def shib_saved(**changes: Any) -> Callable[[Lms], None]:
    def change(lms: Lms) -> None:
        from django.contrib.sites.models import Site

        Site.objects.get_or_create(pk=1, defaults={"domain": "example.com", "name": "example"})
        admin_saves("SAMLProviderConfig", {"slug": "shib"}, **changes)

    return change


def metadata_of(entity_id: str, **changes: Any) -> Callable[[Lms], None]:
    """The stored metadata of ``entity_id`` changed (``expires_in`` days from now), or
    deleted (no change given)."""

    def change(lms: Lms) -> None:
        from django.apps import apps
        from django.utils import timezone

        rows = apps.get_model("third_party_auth", "SAMLProviderData").objects.filter(
            entity_id=entity_id
        )
        assert rows.exists()
        if not changes:
            rows.delete()
            return
        days = changes.pop("expires_in", None)
        if days is not None:
            changes["expires_at"] = timezone.now() + timedelta(days=days)
        rows.update(**changes)

    return change


def sp_configuration_moved_to_site_1(lms: Lms) -> None:
    from django.apps import apps
    from django.contrib.sites.models import Site

    Site.objects.get_or_create(pk=1, defaults={"domain": "example.com", "name": "example"})
    model = apps.get_model("third_party_auth", "SAMLConfiguration")
    model.objects.filter(slug="default").update(site_id=1)


def shib_pinned_then_sp_changed(lms: Lms) -> None:
    """An admin chose the configuration row in the provider's form, then the SP changed:
    the provider keeps the old row."""
    from django.apps import apps

    model = apps.get_model("third_party_auth", "SAMLConfiguration")
    pinned = model.objects.get(slug="default").pk
    shib_saved(saml_configuration_id=pinned)(lms)
    sp_configuration_saved(other_config_str="{}")(lms)


def sp_key_rotated_in_settings_only(lms: Lms) -> None:
    """LMSBRIDGE_SP_PRIVATE_KEY changed and `config save` run, but not the init job."""
    from tutor_lmsbridge.core.pipeline import plan_for

    rotated = {**PLATFORM, **SAML_APPS, "LMSBRIDGE_SP_PRIVATE_KEY": sp_private_key("rotated")}
    lms.settings["SOCIAL_AUTH_SAML_SP_PRIVATE_KEY"] = plan_for(rotated).lms.saml_sp_private_key


INIT = "fix: run `tutor local|dev|k8s do lmsbridge-init`"
# Metadata from a URL: the job that pulls it, and only that (inline metadata: init stores it).
REFRESH = "fix: run `tutor local|dev|k8s do lmsbridge-refresh-saml`"
PULL_FIX = (
    f"{REFRESH}, which pulls it, or check the IdP's metadata URL with "
    "`tutor lmsbridge check --probe`"
)
SAML_BREAKS: list[tuple[str, Callable[[Lms], None], int, list[str]]] = [
    (
        "saml-backend-missing",
        lambda lms: backends_without(lms, "third_party_auth.saml"),
        4,
        [
            f"ERROR backend tpa-saml: {EDX_SAML_BACKEND} is not in AUTHENTICATION_BACKENDS; "
            "fix: run `tutor config save`"
        ],
    ),
    (
        "sp-configuration-disabled",
        sp_configuration_saved(enabled=False),
        4,
        [
            "ERROR SAML configuration default: current configuration is disabled: Open edX "
            f"refuses every SAML login (404); {INIT}"
        ],
    ),
    (
        "sp-configuration-on-another-site",
        sp_configuration_moved_to_site_1,
        4,
        [
            "ERROR SAML configuration default: no configuration for Site 2 (local.openedx.io); "
            f"rows exist for Site(s) 1; {INIT}"
        ],
    ),
    (
        "sp-entity-id-edited",
        sp_configuration_saved(entity_id="https://lms.example.edu/shibboleth"),
        4,
        [
            "ERROR SAML configuration default: its SP entity id is "
            "'https://lms.example.edu/shibboleth', not the planned "
            f"'http://local.openedx.io/saml'; {INIT}"
        ],
    ),
    (
        "sp-private-key-setting-missing",
        setting("SOCIAL_AUTH_SAML_SP_PRIVATE_KEY", ""),
        4,
        [
            "ERROR SAML configuration default: no SP private key: the row's is empty and "
            "SOCIAL_AUTH_SAML_SP_PRIVATE_KEY is not set; fix: run `tutor config save` and "
            "restart the LMS"
        ],
    ),
    (
        "sp-private-key-unreadable",
        setting("SOCIAL_AUTH_SAML_SP_PRIVATE_KEY", "not-base64!"),
        4,
        [
            "ERROR SAML configuration default: the SP private key cannot be read (not an "
            "unencrypted RSA key); fix: run `tutor config save` and restart the LMS"
        ],
    ),
    (
        "sp-key-rotated-init-not-run",
        sp_key_rotated_in_settings_only,
        4,
        [
            "ERROR SAML configuration default: the SP private key does not belong to the SP "
            f"certificate; {INIT}, then give the IdP the certificate `tutor lmsbridge "
            "credentials <app>` prints"
        ],
    ),
    (
        "sp-certificate-missing",
        sp_configuration_saved(public_key=""),
        4,
        [
            "ERROR SAML configuration default: no SP certificate: the row's is empty and "
            f"SOCIAL_AUTH_SAML_SP_PUBLIC_CERT is not set; {INIT}"
        ],
    ),
    (
        "sp-private-key-in-row",
        lambda lms: sp_configuration_saved(
            private_key=lms.settings["SOCIAL_AUTH_SAML_SP_PRIVATE_KEY"]
        )(lms),
        0,
        [
            "WARNING SAML configuration default: a private key is stored in the row (lmsbridge "
            f"keeps it in SOCIAL_AUTH_SAML_SP_PRIVATE_KEY); {INIT} (it empties the row's "
            "private key)"
        ],
    ),
    (
        "saml-provider-disabled",
        shib_saved(enabled=False),
        4,
        [f"ERROR provider saml-shib: current configuration is disabled; {INIT}"],
    ),
    (
        "saml-provider-on-another-site",
        shib_saved(site_id=1),
        4,
        [
            "ERROR provider saml-shib: current configuration is bound to Site 1, not 2 "
            f"(local.openedx.io); {INIT}"
        ],
    ),
    (
        "saml-provider-entity-id-edited",
        shib_saved(entity_id="https://idp.example.edu/other"),
        4,
        [
            "ERROR provider saml-shib: enabled and current, but its entity id is "
            f"'https://idp.example.edu/other', not the planned '{SHIB_ENTITY}'; {INIT}"
        ],
    ),
    (
        "saml-provider-pinned-to-an-old-configuration",
        shib_pinned_then_sp_changed,
        0,
        [
            "WARNING provider saml-shib: enabled and current, but it uses SAML configuration row ",
            " not the Site's current default one (a later key or entity id change misses it); "
            f"{INIT} (it empties the row's SAML configuration)",
        ],
    ),
    (
        "saml-metadata-missing",
        metadata_of(SHIB_ENTITY),
        4,
        [
            f"ERROR SAML metadata saml-shib: none stored for {SHIB_ENTITY}: every login "
            f"fails; {PULL_FIX}"
        ],
    ),
    (
        "saml-metadata-expired",
        metadata_of(SHIB_ENTITY, expires_in=-1),
        4,
        ["ERROR SAML metadata saml-shib: expired on ", f": every login fails; {PULL_FIX}"],
    ),
    (
        "saml-metadata-expires-in-3-days",
        metadata_of(SHIB_ENTITY, expires_in=3),
        0,
        [
            "WARNING SAML metadata saml-shib: expires on ",
            " (in 3 days, last refreshed ",
            f" UTC); {PULL_FIX}",
        ],
    ),
    (
        "saml-metadata-expires-in-1-day",
        metadata_of(SHIB_ENTITY, expires_in=1),
        0,
        [
            "WARNING SAML metadata saml-shib: expires on ",
            " (in 1 day, last refreshed ",
            f" UTC); {PULL_FIX}",
        ],
    ),
    (
        # 12 hours: after the next scheduled refresh (every 6 hours by default).
        "saml-metadata-expires-within-hours",
        metadata_of(SHIB_ENTITY, expires_in=0.5),
        0,
        [
            "WARNING SAML metadata saml-shib: expires on ",
            " (in less than a day, last refreshed ",
            f" UTC); {PULL_FIX}",
        ],
    ),
    (
        # Issue #24: 4.8 hours, before the next scheduled refresh: an error before any
        # learner meets it.
        "saml-metadata-expires-before-the-next-refresh",
        metadata_of(SHIB_ENTITY, expires_in=0.2),
        4,
        [
            "ERROR SAML metadata saml-shib: expires at ",
            " UTC, before the next scheduled refresh (every 6 h, last refreshed ",
            " UTC): logins fail from then until the IdP publishes metadata valid for longer; fix: "
            "run `tutor local|dev|k8s do lmsbridge-refresh-saml` now; if it stays, set "
            "LMSBRIDGE_SAML_REFRESH_HOURS lower than the metadata's validity, or ask the IdP's "
            "admin for a longer validUntil",
        ],
    ),
    (
        "saml-metadata-incomplete",
        metadata_of(SHIB_ENTITY, sso_url=""),
        4,
        [
            "ERROR SAML metadata saml-shib: incomplete (no SSO URL or signing certificate): "
            f"every login fails; {PULL_FIX}"
        ],
    ),
    (
        "inline-saml-metadata-expired",
        metadata_of(ADFS["LMSBRIDGE_ADFS_ENTITY_ID"], expires_in=-2),
        4,
        [
            "ERROR SAML metadata saml-adfs: expired on ",
            ": every login fails; fix: set LMSBRIDGE_ADFS_METADATA to the IdP's current "
            "metadata, `tutor config save`, then run `tutor local|dev|k8s do lmsbridge-init`",
        ],
    ),
    (
        "inline-saml-metadata-missing",
        metadata_of(ADFS["LMSBRIDGE_ADFS_ENTITY_ID"]),
        4,
        [
            "ERROR SAML metadata saml-adfs: none stored for "
            "http://adfs.example.com/adfs/services/trust: every login fails; fix: run `tutor "
            "local|dev|k8s do lmsbridge-init`, which stores LMSBRIDGE_ADFS_METADATA"
        ],
    ),
]


@pytest.mark.parametrize(
    ("breakage", "status", "expected"),
    [case[1:] for case in SAML_BREAKS],
    ids=[case[0] for case in SAML_BREAKS],
)
def test_each_saml_breakage_is_named_with_its_fix(
    saml: Lms, breakage: Callable[[Lms], None], status: int, expected: list[str]
) -> None:
    assert saml.run("verify").lines == healthy_saml()
    breakage(saml)
    result = saml.run("verify")
    assert_named(result, status, expected)
    assert_no_private_key(result.lines)


# ---- the rendered script, through the real Tutor ------------------------------------------


def test_rendered_script_boots_the_lms_once_and_holds_no_secret(tmp_path: Path) -> None:
    config = {**several_apps(3), **SEED}
    script = render_init_task(tmp_path, config, name_task("verify"))
    assert script.count("manage.py") == 1
    assert script.count("./manage.py lms shell") == 1
    plan = plan_for({**PLATFORM, **config})
    secrets = secret_values(plan)
    assert len(secrets) >= 3
    for secret in secrets:
        assert secret not in script
    # The Python is the shipped file, verbatim (Jinja did not touch it), then one call.
    python = init_python(script)
    assert (TASKS / "verify_objects.py").read_text() in python
    call = python.strip().splitlines()[-1]
    assert call == "verify()"


@pytest.mark.parametrize(("manage_exit", "fails"), [(4, True), (0, False)])
def test_local_do_verify_status_reaches_tutor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, manage_exit: int, fails: bool
) -> None:
    done = local_do(tmp_path, monkeypatch, ["lmsbridge-verify"], manage_exit)
    assert_local_do(done, fails, "verify()")


def test_verify_is_offered_by_tutor(tmp_path: Path) -> None:
    run_tutor(tmp_path, "plugins", "enable", "lmsbridge")
    verify_help = run_tutor(tmp_path, "local", "do", "lmsbridge-verify", "--help").stdout
    assert "OK/WARNING/ERROR" in verify_help


@pytest.mark.parametrize(("hours", "status"), [(0, 0), (6, 4), (24, 4)])
def test_metadata_must_outlive_the_next_scheduled_refresh(
    saml: Lms, hours: int, status: int
) -> None:
    """Issue #24: metadata valid for 12 more hours is an error when the next refresh is 24
    hours away, a warning when it is 6 hours away or when no schedule runs (0)."""
    saml.settings["LMSBRIDGE_VERIFY_PLAN"]["saml_refresh_hours"] = hours
    metadata_of(SHIB_ENTITY, expires_in=0.5 if hours != 6 else 0.2)(saml)
    result = saml.run("verify")
    assert result.status == status
    (line,) = [line for line in result.lines if "SAML metadata saml-shib" in line]
    level = "ERROR" if status else "WARNING"
    assert line.startswith(f"lmsbridge: {level} SAML metadata saml-shib: "), line
    # With or without a schedule, the fix is the refresh job (registered either way:
    # test_saml_refresh.py).
    assert "; fix: run `tutor local|dev|k8s do lmsbridge-refresh-saml`" in line, line


def test_a_key_rollover_shows_the_live_and_the_next_certificate(saml: Lms) -> None:
    """Issue #24 item 6: LMSBRIDGE_SP_NEXT_PRIVATE_KEY set, `config save` and the init job
    run: the live certificate is still the current key's, and the next one is announced."""
    rolling = {**SAML_APPS, "LMSBRIDGE_SP_NEXT_PRIVATE_KEY": sp_private_key("next")}
    saml.configure(rolling)
    assert saml.run("init").status == 0
    sp = plan_for({**PLATFORM, **rolling}).bridge.saml_sp
    assert sp is not None
    assert sp.next_certificate
    (line,) = [line for line in saml.run("verify").lines if "SAML configuration" in line]
    assert line.startswith("lmsbridge: OK SAML configuration default: ")
    assert f"live SP certificate SHA-256 {fingerprint(sp.certificate)}; " in line
    assert f"next certificate SHA-256 {fingerprint(sp.next_certificate)} published" in line
