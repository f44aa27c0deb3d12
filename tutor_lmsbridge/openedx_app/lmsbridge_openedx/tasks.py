"""Studio's Celery task that delivers a published course run to each catalog, until it lands.

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
    """The run as Richie gets it, from the course as it is now; None when it no longer exists."""
    if course is None:
        course = load_course(course_id)
        if course is None:
            return None
    return sync.course_run(settings.LMS_ROOT_URL, course_id, course, settings.LANGUAGE_CODE)


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
    if self.request.is_eager:
        # CELERY_ALWAYS_EAGER (edx's cms/envs/devstack.py, which `tutor dev` imports): the task
        # ran inside the publish, and Celery would run each retry at once, countdown ignored,
        # hammering the catalog in the publish request until the deadline.
        log.warning(
            "lmsbridge: course run %s not delivered to %s: %s; not retried, Celery runs tasks "
            "eagerly here (CELERY_ALWAYS_EAGER): run lmsbridge-sync-courses once it is back",
            course_id,
            app,
            outcome.detail,
        )
        return "not retried (eager)"
    hours = target.get("retry_hours", 24)
    left = published_at + hours * 3600 - clock()
    if left < 1:  # this was the last try (the one scheduled on the deadline, to the second)
        log.error(
            "lmsbridge: gave up on course run %s for %s after %d tries over %d h: %s; run "
            "`tutor local do lmsbridge-sync-courses` once %s is back",
            course_id,
            app,
            tries,
            hours,
            outcome.detail,
            app,
        )
        return "given up"
    # The last try falls on the deadline rather than after it.
    countdown = min(backoff(tries), left)
    log.warning(
        "lmsbridge: course run %s not delivered to %s yet: %s; try %d, next in %d s "
        "(retrying until %d h after the publish)",
        course_id,
        app,
        outcome.detail,
        tries,
        round(countdown),
        hours,
    )
    raise self.retry(countdown=countdown)
