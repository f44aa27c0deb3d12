"""The SAML LMS stand-in's URLs: the LMS's own (openedx_urls), and a test hook that runs the
plugin's init job again inside the running LMS process, as a metadata refresh does, so that
a test sees a new IdP certificate taken up without a restart."""

import contextlib
import io
import json
import os
import sys

from django.http import HttpRequest, HttpResponse
from django.test.utils import override_settings
from django.urls import path

from .openedx_urls import urlpatterns as lms_urlpatterns


def rerun_init(request: HttpRequest) -> HttpResponse:
    """POST: the rendered init job, exactly as the runner's seed ran it; its report."""
    with open(os.environ["LMSBRIDGE_E2E_CONFIG"], encoding="utf-8") as config_file:
        config = json.load(config_file)
    output = io.StringIO()
    with (
        contextlib.redirect_stdout(output),
        override_settings(SITE_ID=config["plugin_settings"]["SITE_ID"]),
    ):
        exec(compile(config["init_code"], "lmsbridge-init", "exec"), {"__name__": "lmsbridge_init"})  # noqa: S102
    sys.stderr.write(output.getvalue())  # the LMS log, as the first run's report
    return HttpResponse(output.getvalue(), content_type="text/plain")


# What django.views.decorators.csrf.csrf_exempt sets (it is untyped): a test hook, no form.
rerun_init.csrf_exempt = True  # type: ignore[attr-defined]

urlpatterns = [*lms_urlpatterns, path("lmsbridge-test/rerun-init", rerun_init)]
