"""Registered through edx-platform's plugin machinery (entry points lms/cms.djangoapp)."""

from typing import Any, ClassVar

from django.apps import AppConfig
from django.conf import settings
from edx_django_utils.plugins import PluginSignals, PluginURLs


# Enrollment changes, wherever they happen: the LMS (learners, staff, the enrollment API) and
# Studio (a new course's author is enrolled). ``sender`` is edx's model, imported by
# edx_django_utils when it connects the receivers (plugins/plugin_signals.py, _get_sender).
def enrollment_dispatch_uid(signal: str) -> str:
    """The receiver's key for ``signal`` (``do lmsbridge-verify`` looks it up)."""
    return f"lmsbridge_openedx.enrollment_changed.{signal}"


ENROLLMENT_RECEIVERS = [
    {
        PluginSignals.RECEIVER_FUNC_NAME: "enrollment_changed",
        PluginSignals.SIGNAL_PATH: f"django.db.models.signals.{signal}",
        PluginSignals.SENDER_PATH: "common.djangoapps.student.models.CourseEnrollment",
        PluginSignals.DISPATCH_UID: enrollment_dispatch_uid(signal),
    }
    for signal in ("post_save", "post_delete")
]


class LmsBridgeOpenedxConfig(AppConfig):  # type: ignore[misc]
    name = "lmsbridge_openedx"
    verbose_name = "tutor-contrib-lmsbridge"

    plugin_app: ClassVar[dict[str, Any]] = {
        PluginURLs.CONFIG: {
            "lms.djangoapp": {
                PluginURLs.NAMESPACE: "lmsbridge",
                PluginURLs.REGEX: r"^richie/",
                PluginURLs.RELATIVE_PATH: "urls",
            }
        },
        PluginSignals.CONFIG: {
            "lms.djangoapp": {
                PluginSignals.RELATIVE_PATH: "receivers",
                PluginSignals.RECEIVERS: ENROLLMENT_RECEIVERS,
            },
            "cms.djangoapp": {
                PluginSignals.RELATIVE_PATH: "receivers",
                PluginSignals.RECEIVERS: [
                    {
                        PluginSignals.RECEIVER_FUNC_NAME: "course_published",
                        PluginSignals.SIGNAL_PATH: "xmodule.modulestore.django.COURSE_PUBLISHED",
                        PluginSignals.DISPATCH_UID: "lmsbridge_openedx.course_published",
                    },
                    *ENROLLMENT_RECEIVERS,
                ],
            },
        },
    }

    def ready(self) -> None:
        # After third_party_auth's ready() assigned SOCIAL_AUTH_PIPELINE (edx-platform
        # common/djangoapps/third_party_auth/apps.py -> settings.py apply_settings): plugin
        # apps come after the core apps in INSTALLED_APPS, and Django runs ready() in order.
        from .account_link import insert_step

        insert_step(settings)
