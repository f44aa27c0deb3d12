"""Enrollment counts (issue #22): when enrollments change, each catalog gets the course's count,
batched: one count per course and catalog per minute, read when it is sent, never in the
enrollment request; retried like a course run while the catalog is down.

The enrollments are saved through the stand-in of edx's CourseEnrollment (its ``enroll``,
``unenroll`` and ``update_enrollment`` save the row as edx's do), with the plugin's receivers
connected by edx_django_utils' own ``connect_plugin_receivers``, as edx-platform connects them.
The catalog answers as Richie 3.5 does (tests/support/catalog_server.py; the real Richie takes
the same partial update in tests/e2e/test_richie_delivery.py). The LMS's Celery worker is
Celery's tracer run one message at a time with the test's clock (tests/support/celery_steps.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .support.catalog_server import SYNC_SECRET as SECRET
from .support.catalog_server import Catalog
from .support.celery_steps import StepWorker
from .support.enrollments import enroll, unenroll
from .support.studio import sync_targets

COURSE = "course-v1:edX+Count+2030"
OTHER = "course-v1:edX+Other+2030"


def link(course_id: str = COURSE) -> str:
    return f"https://local.openedx.io/courses/{course_id}/course/"


@pytest.fixture
def richie(catalog: Catalog) -> Iterator[Catalog]:
    """The catalog, up, with the two courses' runs as their publishes left them."""
    catalog.reset()
    for course_id in (COURSE, OTHER):
        catalog.stored[link(course_id)] = {"resource_link": link(course_id), "languages": ["en"]}
    yield catalog
    catalog.reset()


def targets(richie: Catalog, **extra: Any) -> list[dict[str, Any]]:
    return sync_targets(richie.base, LMSBRIDGE_RICHIE_SYNC_SECRETS=[SECRET], **extra)


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("lmsbridge_openedx")]


def test_the_lms_receives_the_catalogs_with_their_secrets(tmp_path: Any) -> None:
    """The LMS's rendered settings name the catalogs, the signing secret read back from the
    plugin's secrets file (never in the settings file itself)."""
    from .support.edx_settings import load_lms_settings
    from .support.samples import PLATFORM, RICHIE
    from .support.tutor_helpers import saved_root

    config = {**PLATFORM, **RICHIE, "LMSBRIDGE_RICHIE_SYNC_SECRETS": [SECRET]}
    root = saved_root(tmp_path / "root", config)
    values = load_lms_settings(root / "env", "production", tmp_path / "lms", service="lms")
    (entry,) = values["LMSBRIDGE_COURSE_SYNC"]
    assert entry["app"] == "richie"
    assert entry["secret"] == SECRET
    assert entry["url"].endswith("/api/v1.0/course-runs-sync/")
    rendered = (root / "env/apps/openedx/settings/lms/production.py").read_text()
    assert SECRET not in rendered


def test_a_minute_of_enrollments_costs_each_catalog_one_request(
    wired: None,
    worker: StepWorker,
    richie: Catalog,
    learners: Callable[[int], list[Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from django.test.utils import override_settings

    caplog.set_level(logging.INFO, logger="lmsbridge_openedx")
    with override_settings(LMSBRIDGE_COURSE_SYNC=targets(richie)):
        started = worker.clock()
        enroll(learners(30), COURSE)
        enroll(learners(2), OTHER)
        assert richie.requests == 0  # the enrollments only queued
        worker.collect()
        assert len(worker.pending) == 2  # one count per course, not one per enrollment
        assert worker.next_due() == pytest.approx(started + 60, abs=1)
        assert worker.run() == 2
        assert richie.requests == 2
        assert richie.stored[link()]["enrollment_count"] == 30
        assert richie.stored[link(OTHER)]["enrollment_count"] == 2
        assert richie.stored[link()]["languages"] == ["en"]  # a partial update: the rest stays
        # Later changes queue the next count: 5 leave, 1 changes mode (still enrolled).
        from tests.edx_standin.student.models import CourseEnrollment

        enrolled = list(CourseEnrollment.objects.filter(course_id=COURSE, is_active=True))
        unenroll([e.user for e in enrolled[:5]], COURSE)
        enrolled[6].update_enrollment(mode="verified")
        assert worker.run() == 1
    assert richie.requests == 3
    assert richie.stored[link()]["enrollment_count"] == 25
    assert lines(caplog)[-1] == (
        f"lmsbridge: the enrollment count of {COURSE} (25) delivered to richie (HTTP 200)"
    )


def test_an_enrollment_while_a_count_is_sent_is_counted_by_the_next(
    wired: None,
    worker: StepWorker,
    richie: Catalog,
    learners: Callable[[int], list[Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The task frees the course's turn before it counts: a change after that queues the next
    count, so no change is left uncounted."""
    from django.test.utils import override_settings
    from lmsbridge_openedx import tasks

    real = tasks.enrollment_count
    late = learners(1)

    def count_then_enrol(course_id: str) -> int:
        number = real(course_id)
        if late:
            enroll([late.pop()], COURSE)  # enrolls between the count and the send
        return number

    monkeypatch.setattr(tasks, "enrollment_count", count_then_enrol)
    with override_settings(LMSBRIDGE_COURSE_SYNC=targets(richie)):
        enroll(learners(3), COURSE)
        assert worker.step()
        assert richie.stored[link()]["enrollment_count"] == 3
        assert worker.run() == 1  # the late enrollment's count
    assert richie.stored[link()]["enrollment_count"] == 4


def test_a_catalog_down_gets_the_latest_count_when_back(
    wired: None,
    worker: StepWorker,
    richie: Catalog,
    learners: Callable[[int], list[Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from django.test.utils import override_settings

    caplog.set_level(logging.INFO, logger="lmsbridge_openedx")
    richie.down()
    with override_settings(LMSBRIDGE_COURSE_SYNC=targets(richie)):
        enroll(learners(2), COURSE)
        assert worker.step()  # Richie is down: retried later, holding the course's turn
        for _ in range(3):  # enrollments meanwhile queue nothing more
            worker.clock.advance(20)
            enroll(learners(1), COURSE)
        worker.collect()
        assert len(worker.pending) == 1
        back = worker.ran[0][2] + 10 * 60
        while (due := worker.next_due()) is not None:
            if due >= back:
                richie.up()
            worker.step()
    assert richie.stored[link()]["enrollment_count"] == 5
    said = lines(caplog)
    assert said[0].startswith(
        f"lmsbridge: the enrollment count of {COURSE} not delivered to richie yet: refused the "
        "connection; try 1, next in "
    )
    assert said[0].endswith(" s (retrying until 24 h after the enrollment change)")
    assert sum("delivered to richie (HTTP 200)" in line for line in said) == 1


def test_a_count_is_given_up_at_the_deadline_and_the_next_change_counts_again(
    wired: None,
    worker: StepWorker,
    richie: Catalog,
    learners: Callable[[int], list[Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from django.test.utils import override_settings

    richie.down()
    with override_settings(
        LMSBRIDGE_COURSE_SYNC=targets(richie, LMSBRIDGE_RICHIE_SYNC_RETRY_HOURS=1)
    ):
        enroll(learners(1), COURSE)
        changed = worker.clock()
        runs = worker.run()
        assert worker.clock() - changed == pytest.approx(3600, abs=1)  # 1 h after the change
        assert lines(caplog)[-1] == (
            f"lmsbridge: gave up on the enrollment count of {COURSE} for richie after {runs} "
            "tries over 1 h: refused the connection; run `tutor local do "
            "lmsbridge-sync-courses` once richie is back"
        )
        richie.up()
        enroll(learners(1), COURSE)  # the course's turn was freed: this change queues a count
        assert worker.run() == 1
    assert richie.stored[link()]["enrollment_count"] == 2


def test_a_run_the_catalog_does_not_have_is_refused_by_name(
    wired: None,
    worker: StepWorker,
    richie: Catalog,
    learners: Callable[[int], list[Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A count is a partial update: Richie creates no run from it (a new run needs its
    languages); the run comes with the course's next publish or the full sync."""
    from django.test.utils import override_settings

    richie.stored.clear()
    new = "course-v1:edX+New+2031"
    with override_settings(LMSBRIDGE_COURSE_SYNC=targets(richie)):
        enroll(learners(1), new)
        assert worker.run() == 1
    assert richie.stored == {}
    assert lines(caplog) == [
        f"lmsbridge: richie refused the enrollment count of {new}: answered HTTP 400: "
        '{"languages": ["This field is required."]}; not retried (a run richie does not have '
        "yet comes with the course's next publish or lmsbridge-sync-courses)"
    ]


def test_an_enrollment_never_waits_for_the_catalog_or_the_broker(
    wired: None,
    worker: StepWorker,
    richie: Catalog,
    learners: Callable[[int], list[Any]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A dripping catalog, then an unreachable broker: the enrollment is saved, quickly, and
    the broker's outage is one log line."""
    from django.test.utils import override_settings
    from lmsbridge_openedx import tasks

    from tests.edx_standin.student.models import CourseEnrollment

    richie.mode = "drip"
    users = learners(2)
    with override_settings(LMSBRIDGE_COURSE_SYNC=targets(richie)):
        started = time.perf_counter()
        enroll(users[:1], COURSE)
        assert time.perf_counter() - started < 0.05
        worker.collect()
        worker.pending.clear()

        def unreachable(*args: Any, **kwargs: Any) -> None:
            raise ConnectionError("redis:6379 refused")

        monkeypatch.setattr(tasks.send_enrollment_count, "apply_async", unreachable)
        from django.core.cache import cache

        cache.clear()
        enroll(users[1:], COURSE)
    assert CourseEnrollment.objects.filter(course_id=COURSE, is_active=True).count() == 2
    assert lines(caplog) == [
        f"lmsbridge: could not queue the enrollment count of {COURSE} for richie; the next "
        "enrollment, publish or `tutor local do lmsbridge-sync-courses` sends it"
    ]
    assert richie.requests == 0


def test_with_eager_celery_a_count_is_tried_once(
    wired: None,
    studio: None,
    richie: Catalog,
    learners: Callable[[int], list[Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`tutor dev` runs Celery tasks eagerly: the count is sent from the enrollment's request
    (its countdown ignored, as Celery does), and a failure is not retried there."""
    from django.core.cache import cache
    from django.test.utils import override_settings

    from tests.edx_standin.celery import APP

    cache.clear()
    richie.mode = "error"
    APP.conf.task_always_eager = True
    try:
        with override_settings(LMSBRIDGE_COURSE_SYNC=targets(richie)):
            enroll(learners(1), COURSE)
    finally:
        APP.conf.task_always_eager = False
    assert richie.requests == 1
    assert lines(caplog) == [
        f"lmsbridge: the enrollment count of {COURSE} not delivered to richie: answered HTTP "
        "503: <h1>Service Unavailable</h1>; not retried, Celery runs tasks eagerly here "
        "(CELERY_ALWAYS_EAGER): run lmsbridge-sync-courses once it is back"
    ]


def test_no_catalog_no_count(
    wired: None, worker: StepWorker, learners: Callable[[int], list[Any]]
) -> None:
    from django.test.utils import override_settings

    with override_settings(LMSBRIDGE_COURSE_SYNC=[]):
        enroll(learners(1), COURSE)
    assert worker.next_due() is None


def test_a_published_run_carries_the_count(
    wired: None,
    worker: StepWorker,
    richie: Catalog,
    learners: Callable[[int], list[Any]],
    fake_modulestore: list[Any],
) -> None:
    """As richie-openedx-sync's: every run sent on a publish (and by the full sync, which
    builds runs with the same ``tasks.current_run``) carries the course's count, read when
    it is sent."""
    from django.test.utils import override_settings
    from lmsbridge_openedx import receivers

    from .support.studio import Course

    course = Course()
    course.id = COURSE
    fake_modulestore.append(course)
    with override_settings(LMSBRIDGE_COURSE_SYNC=targets(richie)):
        enroll(learners(4), COURSE)
        worker.collect()
        worker.pending.clear()  # the counts' own task: not what this test is about
        receivers.course_published(sender=None, course_key=COURSE)
        assert worker.run() == 1
    assert richie.stored[link()]["enrollment_count"] == 4
    assert richie.stored[link()]["start"] == "2030-01-01T00:00:00+00:00"
