"""The Celery tasks that keep the catalogs current, until what they send lands:
``deliver_course_run`` (Studio: a published course run) and ``send_enrollment_count`` (the LMS,
and Studio: how many learners a course has, after enrollments changed).

Studio's publish handler (``receivers``) only queues this task, after the transaction commits,
so a publish never waits for a catalog. The task runs on the CMS Celery worker that Tutor
runs (``tutor/plugins/openedx.py``, ``CMS_WORKER_COMMAND``: ``--queues=edx.cms.core.default,
...``): queued from Studio without a queue of its own, it goes to Studio's default queue,
``edx.cms.core.default`` (edx-platform ``cms/envs/common.py``: ``CELERY_DEFAULT_QUEUE =
DEFAULT_PRIORITY_QUEUE``; ``openedx/core/lib/celery/routers.py`` routes only the tasks listed in
``EXPLICIT_QUEUES``/``ALTERNATE_ENV_TASKS``). Celery finds it because the app is a Django app
and edx's Celery app runs ``autodiscover_tasks()`` (``openedx/core/lib/celery/__init__.py``).
Declared the way edx declares its CMS tasks (``cms/djangoapps/contentstore/tasks.py``:
``@shared_task`` then ``@set_code_owner_attribute``).

What a message holds: the course id, the catalog's name and the publish time, never the
signing secret (the broker is Redis, readable by more than Studio) and never the run itself:
each try reads the course as it is now, so tries that land late or out of order all send the
latest dates (Richie keys runs by resource_link, so a repeated send is harmless).

Enrollment counts: edx saves a CourseEnrollment on every enrollment, unenrollment and mode
change (``receivers.enrollment_changed``). Each change only queues, after its transaction
commits, one count per course and catalog COUNT_WINDOW seconds later, unless one is queued
already; the count is read when the task runs. Queued from the LMS, the task goes to the LMS's
default queue, ``edx.lms.core.default`` (lms/envs/common.py), which Tutor's LMS worker consumes
(``LMS_WORKER_COMMAND``: ``--queues=edx.lms.core.default,...``). Every course run sent on a
publish and by the full sync carries the count too, as richie-openedx-sync's does.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Mapping
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from edx_django_utils.monitoring import set_code_owner_attribute

from . import sync

log = logging.getLogger(__name__)

TASK_NAME = "lmsbridge_openedx.tasks.deliver_course_run"
COUNT_TASK_NAME = "lmsbridge_openedx.tasks.send_enrollment_count"
# Enrollment changes of one course within this many seconds make one count per catalog.
COUNT_WINDOW = 60.0
COUNT_KEY_SLACK = 60.0  # the batch's cache key outlives its task's countdown by this much
FIRST_DELAY = 30.0  # seconds before the second try; doubled for each further try
MAX_DELAY = 3600.0  # a catalog down for a day is tried about once an hour
LATEST_KEPT = 8 * 24 * 3600  # longer than the longest SYNC_RETRY_HOURS (168)

# Wall-clock time: the publish time is taken in Studio and compared in the worker. The tests
# replace it to move time forward instead of sleeping.
clock = time.time


def backoff(tries: int) -> float:
    """Seconds to wait after ``tries`` failed tries: exponential, capped, with jitter (between
    half and all of the delay) so that the runs of one outage do not all come back at once."""
    delay = min(MAX_DELAY, FIRST_DELAY * 2.0 ** min(max(tries - 1, 0), 30))
    return random.uniform(delay / 2, delay)  # noqa: S311 (spreading load, not a secret)


def catalog(app: str) -> Mapping[str, Any] | None:
    """The catalog's entry of ``LMSBRIDGE_COURSE_SYNC`` as configured now (so a rotated secret
    is picked up by tries queued before the change)."""
    for target in getattr(settings, "LMSBRIDGE_COURSE_SYNC", None) or ():
        if target["app"] == app:
            return dict(target)
    return None


def load_course(course_id: str) -> Any:
    # edx-platform, only inside Studio and its worker.
    from opaque_keys.edx.keys import CourseKey
    from xmodule.modulestore.django import modulestore

    return modulestore().get_course(CourseKey.from_string(course_id))


def current_run(course_id: str, course: Any = None) -> dict[str, Any] | None:
    """The run as Richie gets it, from the course and its enrollments as they are now; None
    when the course no longer exists."""
    if course is None:
        course = load_course(course_id)
        if course is None:
            return None
    run = sync.course_run(settings.LMS_ROOT_URL, course_id, course, settings.LANGUAGE_CODE)
    return with_enrollment_count(course_id, run)


def latest_key(course_id: str, app: str) -> str:
    return f"lmsbridge:course-run:{app}:{course_id}"


def latest_publish(course_id: str, app: str) -> float | None:
    """When the course was last queued for the catalog (Django's cache, shared by Studio and
    its worker under Tutor); None when unknown (then every try delivers, which is safe)."""
    try:
        value = cache.get(latest_key(course_id, app))
    except Exception:  # a cache outage only costs the deduplication
        return None
    return value if isinstance(value, (int, float)) else None


def enqueue(course_id: str) -> None:
    """Queue one delivery per catalog. Never raises: the publish must go on."""
    published_at = clock()
    for target in getattr(settings, "LMSBRIDGE_COURSE_SYNC", None) or ():
        try:
            # A later publish supersedes the tasks still retrying for this course: during an
            # outage, ten publishes make one delivery, not ten (each try sends the course as
            # it is then, so the latest task carries every update).
            cache.set(latest_key(course_id, target["app"]), published_at, LATEST_KEPT)
        except Exception:  # a cache outage only costs the deduplication
            log.warning("lmsbridge: cache unavailable; tries of %s are not deduplicated", course_id)
        try:
            deliver_course_run.apply_async(args=(course_id, target["app"], published_at))
        except Exception:  # the broker is unreachable: Studio's own tasks fail too
            log.exception(
                "lmsbridge: could not queue course run %s for %s; run "
                "`tutor local do lmsbridge-sync-courses` once Celery's broker is back",
                course_id,
                target["app"],
            )


def enrollment_count(course_id: str) -> int:
    """Active enrollments in the course, as edx counts them (``enrollment_counts``'s
    ``total``, common/djangoapps/student/models/course_enrollment.py): what a catalog shows
    as "already enrolled". Looked up by app label, as in the LMS and Studio (both install the
    student app)."""
    from django.apps import apps
    from opaque_keys.edx.keys import CourseKey

    model = apps.get_model("student", "CourseEnrollment")
    return int(model.objects.enrollment_counts(CourseKey.from_string(course_id))["total"])


def with_enrollment_count(course_id: str, run: dict[str, Any]) -> dict[str, Any]:
    """The run with its enrollment count, as richie-openedx-sync sends it with every publish;
    without one when it cannot be counted (the dates must go out all the same)."""
    try:
        return {**run, "enrollment_count": enrollment_count(course_id)}
    except Exception as exc:
        log.warning(
            "lmsbridge: cannot count the enrollments of %s (%s); its run is sent without them",
            course_id,
            exc.__class__.__name__,
        )
        return run


def not_delivered(
    task: Any, target: Mapping[str, Any], what: str, outcome: sync.Outcome, since: float
) -> float | str:
    """After a try that did not land: the countdown to the next try, or (logged here) why
    there is none: Celery runs tasks eagerly, or ``retry_hours`` after ``since`` have passed."""
    app = target["app"]
    if task.request.is_eager:
        # CELERY_ALWAYS_EAGER (edx's cms/envs/devstack.py, which `tutor dev` imports): the task
        # ran inside the request, and Celery would run each retry at once, countdown ignored,
        # hammering the catalog in the request until the deadline.
        log.warning(
            "lmsbridge: %s not delivered to %s: %s; not retried, Celery runs tasks "
            "eagerly here (CELERY_ALWAYS_EAGER): run lmsbridge-sync-courses once it is back",
            what,
            app,
            outcome.detail,
        )
        return "not retried (eager)"
    tries = task.request.retries + 1
    hours = retry_hours(target)
    left = since + hours * 3600 - clock()
    if left < 1:  # this was the last try (the one scheduled on the deadline, to the second)
        log.error(
            "lmsbridge: gave up on %s for %s after %d tries over %d h: %s; run "
            "`tutor local do lmsbridge-sync-courses` once %s is back",
            what,
            app,
            tries,
            hours,
            outcome.detail,
            app,
        )
        return "given up"
    # The last try falls on the deadline rather than after it.
    countdown: float = min(backoff(tries), left)
    return countdown


def retry_hours(target: Mapping[str, Any]) -> int:
    hours: int = target.get("retry_hours", 24)
    return hours


def retry_later(
    task: Any,
    target: Mapping[str, Any],
    what: str,
    outcome: sync.Outcome,
    countdown: float,
    since: str,
) -> Exception:
    """Log the try that did not land and return Celery's retry in ``countdown`` seconds."""
    log.warning(
        "lmsbridge: %s not delivered to %s yet: %s; try %d, next in %d s "
        "(retrying until %d h after the %s)",
        what,
        target["app"],
        outcome.detail,
        task.request.retries + 1,
        round(countdown),
        retry_hours(target),
        since,
    )
    error: Exception = task.retry(countdown=countdown)
    return error


@shared_task(  # type: ignore[untyped-decorator]
    bind=True, name=TASK_NAME, ignore_result=True, max_retries=None
)
@set_code_owner_attribute  # type: ignore[untyped-decorator]
def deliver_course_run(self: Any, course_id: str, app: str, published_at: float) -> str:
    """Send the course's run to one catalog; retry what did not land until
    ``<APP>_SYNC_RETRY_HOURS`` after the publish. Returns what happened, for the logs and tests:
    delivered, refused, given up, gone (course deleted) or dropped (catalog removed)."""
    target = catalog(app)
    if target is None:
        log.warning(
            "lmsbridge: course run %s for %s dropped: %s is no longer in LMSBRIDGE_COURSE_SYNC",
            course_id,
            app,
            app,
        )
        return "dropped"
    latest = latest_publish(course_id, app)
    if latest is not None and latest > published_at:
        log.info(
            "lmsbridge: course run %s for %s superseded by a later publish (its task sends it)",
            course_id,
            app,
        )
        return "superseded"
    tries = self.request.retries + 1
    try:
        run = current_run(course_id)
    except Exception as exc:  # the modulestore is down: as good a reason to retry as any
        outcome = sync.Outcome(sync.RETRY, f"cannot read the course ({exc.__class__.__name__})")
    else:
        if run is None:
            log.info("lmsbridge: course %s no longer exists; nothing to send to %s", course_id, app)
            return "gone"
        outcome = sync.deliver(target, run)
    if outcome.result == sync.DELIVERED:
        log.info(
            "lmsbridge: course run %s delivered to %s (%s, try %d)",
            course_id,
            app,
            outcome.detail,
            tries,
        )
        return "delivered"
    if outcome.result == sync.REFUSED:
        log.warning(
            "lmsbridge: %s refused course run %s: %s; not retried (fix the cause, then publish "
            "again or run lmsbridge-sync-courses)",
            app,
            course_id,
            outcome.detail,
        )
        return "refused"
    what = f"course run {course_id}"
    countdown = not_delivered(self, target, what, outcome, published_at)
    if isinstance(countdown, str):
        return countdown
    raise retry_later(self, target, what, outcome, countdown, "publish")


# ---- enrollment counts (the LMS, where learners enrol) --------------------------------------


def count_key(course_id: str, app: str) -> str:
    return f"lmsbridge:enrollment-count:{app}:{course_id}"


def enqueue_enrollment_count(course_id: str) -> None:
    """After an enrollment changed: queue one count of the course per catalog, COUNT_WINDOW
    seconds from now, unless one is already queued (it will read this change too). So a
    course that gets a thousand enrollments in a minute costs each catalog one request, and
    the enrollment request only a cache write. Never raises: the enrollment must go on."""
    changed_at = clock()
    for target in getattr(settings, "LMSBRIDGE_COURSE_SYNC", None) or ():
        key = count_key(course_id, target["app"])
        try:
            first = cache.add(key, changed_at, COUNT_WINDOW + COUNT_KEY_SLACK)
        except Exception:  # without the cache: one count per change, rather than none
            first = True
        if not first:
            continue
        try:
            send_enrollment_count.apply_async(
                args=(course_id, target["app"], changed_at), countdown=COUNT_WINDOW
            )
        except Exception:  # the broker is unreachable: the LMS's own tasks fail too
            _forget(key)  # so that the next change tries to queue again
            log.exception(
                "lmsbridge: could not queue the enrollment count of %s for %s; the next "
                "enrollment, publish or `tutor local do lmsbridge-sync-courses` sends it",
                course_id,
                target["app"],
            )


def _forget(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:  # a cache outage only costs the batching
        log.warning("lmsbridge: cache unavailable; enrollment counts are not batched")


@shared_task(  # type: ignore[untyped-decorator]
    bind=True, name=COUNT_TASK_NAME, ignore_result=True, max_retries=None
)
@set_code_owner_attribute  # type: ignore[untyped-decorator]
def send_enrollment_count(self: Any, course_id: str, app: str, changed_at: float) -> str:
    """Send the course's enrollment count to one catalog, as a partial update of its run
    (Richie updates only the fields sent to a run it has: richie/apps/courses/api.py
    ``sync_course_run``, ``partial=bool(draft_course_runs)``). Retried like a run, until
    ``<APP>_SYNC_RETRY_HOURS`` after the first change of the batch."""
    target = catalog(app)
    if target is None:
        return "dropped"
    key = count_key(course_id, app)
    # Changes from here on queue the next count: this one may be read before them.
    _forget(key)
    try:
        count = enrollment_count(course_id)
    except Exception as exc:  # the database is down: as good a reason to retry as any
        outcome = sync.Outcome(
            sync.RETRY, f"cannot count the enrollments ({exc.__class__.__name__})"
        )
    else:
        link = sync.resource_link(settings.LMS_ROOT_URL, course_id)
        outcome = sync.deliver(target, {"resource_link": link, "enrollment_count": count})
    what = f"the enrollment count of {course_id}"
    if outcome.result == sync.DELIVERED:
        log.info("lmsbridge: %s (%d) delivered to %s (%s)", what, count, app, outcome.detail)
        return "delivered"
    if outcome.result == sync.REFUSED:
        log.warning(
            "lmsbridge: %s refused %s: %s; not retried (a run %s does not have yet comes with "
            "the course's next publish or lmsbridge-sync-courses)",
            app,
            what,
            outcome.detail,
            app,
        )
        return "refused"
    countdown = not_delivered(self, target, what, outcome, changed_at)
    if isinstance(countdown, str):
        return countdown
    try:
        # This task keeps the course's turn while it waits, so that changes meanwhile do not
        # queue another count; unless one already did (it reads a newer count).
        mine = cache.add(key, changed_at, countdown + COUNT_WINDOW + COUNT_KEY_SLACK)
    except Exception:
        mine = True
    if not mine:
        log.info("lmsbridge: %s for %s superseded by a later count", what, app)
        return "superseded"
    raise retry_later(self, target, what, outcome, countdown, "enrollment change")
