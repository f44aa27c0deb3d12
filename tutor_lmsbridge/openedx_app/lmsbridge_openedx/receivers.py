"""Queue what the catalogs must learn, and send nothing here: Studio's course publishes, and
enrollment changes (in the LMS, and in Studio, which enrols a new course's author).

The receiver runs inside Studio's publish request, so it only queues Celery tasks (``tasks``),
and only once the transaction commits (``django.db.transaction.on_commit``, as edx's own
publish handlers do: ``cms/djangoapps/contentstore/signals/handlers.py``,
``listen_for_course_publish``): a worker never reads a course the publish then rolled back,
and the publish never waits for a catalog.
"""

import functools
import logging
from typing import Any

from django.conf import settings
from django.db import transaction

from . import tasks

log = logging.getLogger(__name__)


def course_published(sender: Any, course_key: Any, **kwargs: Any) -> None:
    """Receiver of edx-platform's COURSE_PUBLISHED signal. Never raises."""
    if not getattr(settings, "LMSBRIDGE_COURSE_SYNC", None):
        return
    try:
        transaction.on_commit(functools.partial(tasks.enqueue, str(course_key)))
    except Exception:  # the publish itself must go on
        log.exception("lmsbridge: cannot queue the course-run sync of %s", course_key)


def enrollment_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Receiver of post_save and post_delete for edx's CourseEnrollment (every enrollment,
    unenrollment and mode change saves the row: common/djangoapps/student/models/
    course_enrollment.py, ``update_enrollment``). Never raises."""
    if not getattr(settings, "LMSBRIDGE_COURSE_SYNC", None):
        return
    if kwargs.get("created") and not instance.is_active:
        # ``enroll()`` first creates the row inactive (``get_or_create_enrollment``), then
        # activates it: only the second save changes the count.
        return
    try:
        course_id = str(instance.course_id)
        transaction.on_commit(functools.partial(tasks.enqueue_enrollment_count, course_id))
    except Exception:  # the enrollment itself must go on
        log.exception("lmsbridge: cannot queue the enrollment count of %s", instance)
