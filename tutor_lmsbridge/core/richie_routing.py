"""What a Richie catalog needs to route course runs to this Open edX.

Richie sends each course run to the first ``RICHIE_LMS_BACKENDS`` entry whose ``COURSE_REGEX``
matches the run's URL, so the regex is anchored on this LMS's scheme and host (with the port
in `tutor dev`): several LMSes can then share one catalog. The course-run sync of the
plugin's Open edX app sends ``resource_link`` = ``<LMS>/courses/<course id>/course/``, which
this regex matches (tests check both sides against each other).
"""

from typing import Any

RICHIE_EDX_BACKEND = "richie.apps.courses.lms.edx.EdXLMSBackend"
RICHIE_JS_BACKEND = "openedx-hawthorn"


def _anchor(lms_url: str) -> str:
    # Scheme, host and port only contain [a-z0-9.:/-], and the brackets of an IPv6 address;
    # "." and the brackets are the regex metacharacters among them, and escaping only those
    # keeps the pattern valid for both Python and JavaScript.
    return "^" + lms_url.replace(".", r"\.").replace("[", r"\[").replace("]", r"\]")


def course_regex(lms_url: str) -> str:
    return _anchor(lms_url) + r"/courses/(?P<course_id>[^/]+)/course/?$"


def js_course_regex(lms_url: str) -> str:
    return _anchor(lms_url) + r"/courses/([^/]+)/course/?$"


def richie_backend_entry(lms_url: str, api_token: str | None) -> dict[str, Any]:
    """One entry of Richie's RICHIE_LMS_BACKENDS setting; API_TOKEN only when Open edX has an
    EDX_API_KEY for it (Richie 2.0+ reads it nowhere: richie/apps/courses/lms/edx.py's
    api_client, which nothing calls since the enrollment proxy left in 2.0.0-beta.17)."""
    entry = {
        "BASE_URL": lms_url,
        "BACKEND": RICHIE_EDX_BACKEND,
        "COURSE_REGEX": course_regex(lms_url),
        "JS_BACKEND": RICHIE_JS_BACKEND,
        "JS_COURSE_REGEX": js_course_regex(lms_url),
        # Runs that Open edX sends are created and published in the catalog.
        "DEFAULT_COURSE_RUN_SYNC_MODE": "sync_to_public",
    }
    if api_token is not None:
        entry["API_TOKEN"] = api_token
    return entry
