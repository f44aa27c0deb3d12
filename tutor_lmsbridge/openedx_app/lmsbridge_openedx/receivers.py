"""Studio: send a course run to the catalogs when its course is published."""

import logging
from typing import Any

from django.conf import settings

from . import sync

log = logging.getLogger(__name__)


def load_course(course_key: Any) -> Any:
    from xmodule.modulestore.django import modulestore  # edx-platform, only inside Studio

    return modulestore().get_course(course_key)


def course_published(sender: Any, course_key: Any, **kwargs: Any) -> None:
    """Receiver of edx-platform's COURSE_PUBLISHED signal. Never raises."""
    targets = getattr(settings, "LMSBRIDGE_COURSE_SYNC", None)
    if not targets:
        return
    try:
        course = load_course(course_key)
        if course is None:
            return
        run = sync.course_run(
            settings.LMS_ROOT_URL, str(course_key), course, settings.LANGUAGE_CODE
        )
    except Exception:  # the publish itself must go on
        log.exception("lmsbridge: cannot read course %s for the course-run sync", course_key)
        return
    sync.send(targets, run)
