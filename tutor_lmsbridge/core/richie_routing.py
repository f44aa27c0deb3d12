"""What a Richie catalog needs to route course runs to this Open edX, and to show the
learner's Open edX session.

Richie sends each course run to the first ``RICHIE_LMS_BACKENDS`` entry whose ``COURSE_REGEX``
matches the run's URL, so the regex is anchored on this LMS's scheme and host (with the port
in `tutor dev`): several LMSes can then share one catalog. The course-run sync of the
plugin's Open edX app sends ``resource_link`` = ``<LMS>/courses/<course id>/course/``, which
this regex matches (tests check both sides against each other).
"""

from typing import Any

RICHIE_EDX_BACKEND = "richie.apps.courses.lms.edx.EdXLMSBackend"
RICHIE_JS_BACKEND = "openedx-hawthorn"
# Richie's frontend sends a learner to ``<LMS>/login?next=<JS_NEXT_URL><path>``
# (src/frontend/js/api/lms/openedx-hawthorn.ts); the plugin's /richie/<path> on the LMS
# (lmsbridge_openedx/urls.py) sends them back to the first catalog. Another catalog is sent
# its own URL, an absolute ``next`` the LMS allows (its host is in LOGIN_REDIRECT_WHITELIST:
# openedx/core/djangoapps/user_authn/utils.py is_safe_login_or_logout_redirect).
RICHIE_NEXT_URL = "richie"
# Django's default, "same-origin", makes browsers send no Referer on Richie's cross-origin
# enrollment call; edx-platform then refuses the cross-domain CSRF cookie over HTTPS
# (openedx/core/djangoapps/cors_csrf/helpers.py is_cross_domain_request_allowed: no Referer,
# not allowed). The origin is all it needs, so the full URL stays private.
RICHIE_REFERRER_POLICY = "strict-origin-when-cross-origin"


def _anchor(lms_url: str) -> str:
    # Scheme, host and port only contain [a-z0-9.:/-], and the brackets of an IPv6 address;
    # "." and the brackets are the regex metacharacters among them, and escaping only those
    # keeps the pattern valid for both Python and JavaScript.
    return "^" + lms_url.replace(".", r"\.").replace("[", r"\[").replace("]", r"\]")


def course_regex(lms_url: str) -> str:
    return _anchor(lms_url) + r"/courses/(?P<course_id>[^/]+)/course/?$"


def js_course_regex(lms_url: str) -> str:
    return _anchor(lms_url) + r"/courses/([^/]+)/course/?$"


def richie_backend_entry(
    lms_url: str, api_token: str | None, next_url: str = RICHIE_NEXT_URL
) -> dict[str, Any]:
    """One entry of Richie's RICHIE_LMS_BACKENDS setting; API_TOKEN only when Open edX has an
    EDX_API_KEY for it (Richie 2.0+ reads it nowhere: richie/apps/courses/lms/edx.py's
    api_client, which nothing calls since the enrollment proxy left in 2.0.0-beta.17)."""
    entry = {
        "BASE_URL": lms_url,
        "BACKEND": RICHIE_EDX_BACKEND,
        "COURSE_REGEX": course_regex(lms_url),
        "JS_BACKEND": RICHIE_JS_BACKEND,
        "JS_COURSE_REGEX": js_course_regex(lms_url),
        "JS_NEXT_URL": next_url,
        # Runs that Open edX sends are created and published in the catalog, and every field
        # it sends may be updated (richie/apps/courses/api.py sync_course_run).
        "DEFAULT_COURSE_RUN_SYNC_MODE": "sync_to_public",
        "COURSE_RUN_SYNC_NO_UPDATE_FIELDS": [],
    }
    if api_token is not None:
        entry["API_TOKEN"] = api_token
    return entry


def authentication_delegation(lms_url: str) -> dict[str, Any]:
    """Richie's RICHIE_AUTHENTICATION_DELEGATION (2.15 and later show the learner's Open edX
    session with it: richie/apps/core/context_processors.py). The profile links are those of
    Richie's sandbox settings; Richie formats ``{base_url}`` with BASE_URL, and ``(username)``
    in the browser; the LMS redirects each to its MFE when one serves it."""
    return {
        "BASE_URL": lms_url,
        "BACKEND": RICHIE_JS_BACKEND,
        "PROFILE_URLS": {
            "dashboard": {"label": "Dashboard", "href": "{base_url:s}/dashboard/"},
            "profile": {"label": "Profile", "href": "{base_url:s}/u/(username)"},
            "account": {"label": "Account", "href": "{base_url:s}/account/settings"},
        },
    }
