# tutor-contrib-lmsbridge SAML refresh (`do lmsbridge-refresh-saml`, and the schedule): included
# after init_objects.py and init_saml.py, whose ensure_saml() it calls. Plain Python, no Jinja
# markers.
#
# Tutor 22 runs no Celery beat, so edx-platform's periodic pull never runs: this is the one
# that does. It is the init job's SAML part and only that (no service user, OAuth2 application
# or token is touched): the SAMLConfiguration and SAMLProviderConfig rows, written only when a
# managed field differs (0 writes when nothing changed), then Open edX's own metadata pull,
# which writes SAMLProviderData (new metadata, or fetched_at: the last successful refresh that
# `do lmsbridge-verify` reports), and the caches that would hide a change.
#
# A provider whose metadata could not be fetched, or was refused, makes the job exit
# REFRESH_FAILED_EXIT once the others are committed: a CronJob's run is then marked failed,
# the compose service's loop says so, and `tutor ... do` fails. The exit is a SystemExit,
# which Django's `shell` command lets through (django/core/management/commands/shell.py,
# handle: exec(sys.stdin.read(), globals())): it is the exit status of the LMS shell,
# and so of the job's `sh -e -c`; no traceback.

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.sites.models import Site
from django.db import transaction

if TYPE_CHECKING:  # defined by init_objects.py and init_saml.py, which come first in the job
    from tutor_lmsbridge.templates.lmsbridge.tasks.lms.init_objects import Report
    from tutor_lmsbridge.templates.lmsbridge.tasks.lms.init_saml import ensure_saml

# The exit status of a refresh that left a provider's metadata as it was (1 is left to
# crashes, 3 and 4 are the init dry run's and verify's).
REFRESH_FAILED_EXIT = 5


def refresh_saml(empty_plan: dict[str, Any]) -> Report:
    plan = getattr(settings, "LMSBRIDGE_INIT_PLAN", None) or empty_plan
    report = Report()
    site = Site.objects.filter(pk=settings.SITE_ID).first()
    if site is None:
        raise RuntimeError(
            f"lmsbridge: no Site with id {settings.SITE_ID} (SITE_ID): run Tutor's own "
            "`init` first, it creates the LMS site"
        )
    if not plan.get("saml_providers"):
        print("lmsbridge: SAML refresh: no SAML app is connected, nothing to refresh")
        return report
    with transaction.atomic():
        ensure_saml(plan, site, report)
    # Committed: what was refreshed stays refreshed, whatever the status says.
    report.summary()
    if report.metadata_failed:
        print(
            "lmsbridge: SAML refresh: not refreshed: "
            + ", ".join(report.metadata_failed)
            + " (the lines above say why, and the fix); everything else was refreshed"
        )
        raise SystemExit(REFRESH_FAILED_EXIT)
    return report
