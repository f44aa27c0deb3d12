"""Course-run delivery against a real Richie 3.5.1 (tests/e2e/richie_process.py): Richie down
during three publishes, then up, gets every update through the real retry code; a dripping
catalog holds neither the publish nor the worker beyond its deadline.

Studio is the in-process Django of the tests with the rendered Studio settings
(``LMSBRIDGE_COURSE_SYNC``, ``LMS_ROOT_URL``); its Celery worker runs each queued message
through Celery's tracer with the test's clock (tests/support/celery_steps.py), so the backoff
between tries costs no real time. Richie is configured only from what `tutor lmsbridge
credentials richie` prints.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from ..support.catalog_server import catalog_server
from ..support.celery_steps import StepWorker
from ..support.edx_settings import load_lms_settings
from ..support.enrollments import enroll, unenroll
from ..support.studio import Course
from ..support.tutor_helpers import run_tutor, saved_root
from .richie_process import RICHIE_HOSTS, RICHIE_PORT, RichieSite, require_richie, richie_site

pytestmark = pytest.mark.e2e

HOST = RICHIE_HOSTS[1]
CONFIG = {
    "LMSBRIDGE_APPS": ["richie"],
    "LMSBRIDGE_RICHIE_URL": "https://richie.local.openedx.io",
    "LMSBRIDGE_RICHIE_INTERNAL_URL": f"http://{HOST}:{RICHIE_PORT}",
}
COURSE_ID = "course-v1:edX+DemoX+2027"


class Richie:
    """The real Richie of this module, started when a test brings it up (and kept up)."""

    def __init__(self, root: Path, workdir: Path, stack: ExitStack) -> None:
        self.root = root
        self.workdir = workdir
        self.stack = stack
        self.site: RichieSite | None = None

    def up(self) -> RichieSite:
        if self.site is None:
            block = run_tutor(
                self.root, "lmsbridge", "credentials", "richie", "--format", "python"
            ).stdout
            self.site = self.stack.enter_context(
                richie_site(self.workdir, "delivery", block, HOST, ["DemoX"])
            )
        return self.site


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_richie()
    return saved_root(tmp_path_factory.mktemp("delivery-root"), CONFIG)


@pytest.fixture(scope="module")
def rendered(root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Studio's settings, as Tutor renders them (cms production.py)."""
    values = load_lms_settings(
        root / "env", "production", tmp_path_factory.mktemp("cms"), service="cms"
    )
    return {key: values[key] for key in ("LMS_ROOT_URL", "LANGUAGE_CODE", "LMSBRIDGE_COURSE_SYNC")}


@pytest.fixture(scope="module")
def richie(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Richie]:
    with ExitStack() as stack:
        yield Richie(root, tmp_path_factory.mktemp("richie-delivery"), stack)


def publish(course: Course, day: int) -> float:
    """Studio publishes the course with a new start date; returns the seconds it took."""
    from django.db import transaction
    from lmsbridge_openedx import receivers

    course.start = datetime(2031, 1, day, tzinfo=timezone.utc)
    started = time.perf_counter()
    with transaction.atomic():
        receivers.course_published(sender=None, course_key=course.id)
    return time.perf_counter() - started


def new_course() -> Course:
    course = Course(language="en")
    course.id = COURSE_ID
    return course


def test_richie_down_during_three_publishes_then_up_gets_every_update(
    rendered: dict[str, Any],
    richie: Richie,
    worker: StepWorker,
    fake_modulestore: list[Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from django.test.utils import override_settings

    course = new_course()
    fake_modulestore.append(course)
    caplog.set_level(logging.INFO, logger="lmsbridge_openedx")
    with override_settings(**rendered):
        publish(course, 2)
        assert worker.step()  # the first try: Richie is down
        worker.clock.advance(60)
        publish(course, 3)
        worker.clock.advance(60)
        publish(course, 4)
        back = worker.ran[0][2] + 20 * 60  # Richie comes up after 20 minutes
        while (due := worker.next_due()) is not None:
            if due >= back:
                site = richie.up()
            worker.step()
    run = site.run("DemoX", f"{rendered['LMS_ROOT_URL']}/courses/{COURSE_ID}/course/")
    assert run["start"] == "2031-01-04T00:00:00+00:00"  # the last publish's date
    said = [r.getMessage() for r in caplog.records]
    assert sum("not delivered to richie yet: refused the connection" in s for s in said) >= 3
    # The last publish's task delivers; the two earlier ones stand down at their next try.
    assert sum(f"course run {COURSE_ID} delivered to richie (HTTP 200" in s for s in said) == 1
    assert sum("superseded by a later publish" in s for s in said) == 2
    assert not [s for s in said if "gave up" in s or "refused course run" in s]


def test_a_dripping_catalog_holds_neither_the_publish_nor_the_worker(
    rendered: dict[str, Any], richie: Richie, worker: StepWorker, fake_modulestore: list[Any]
) -> None:
    from django.test.utils import override_settings

    site = richie.up()
    course = new_course()
    fake_modulestore.append(course)
    with catalog_server(["x"]) as dripping:
        dripping.mode = "drip"  # one byte every 0.3 s: a 20 s answer
        drip_target = {
            **rendered["LMSBRIDGE_COURSE_SYNC"][0],
            "app": "dripping",
            "url": dripping.base + "/api/v1.0/course-runs-sync/",
            "timeout": 1,
        }
        targets = [drip_target, *rendered["LMSBRIDGE_COURSE_SYNC"]]
        with override_settings(**{**rendered, "LMSBRIDGE_COURSE_SYNC": targets}):
            took = publish(course, 9)
            assert took < 0.05  # the publish only queued
            started = time.perf_counter()
            assert worker.step()  # the dripping catalog's try: cut at its 1 s deadline
            assert time.perf_counter() - started < 1.5
            assert worker.step()  # Richie's
    run = site.run("DemoX", f"{rendered['LMS_ROOT_URL']}/courses/{COURSE_ID}/course/")
    assert run["start"] == "2031-01-09T00:00:00+00:00"


def test_enrollment_counts_reach_richie_as_partial_updates(
    root: Path,
    rendered: dict[str, Any],
    richie: Richie,
    worker: StepWorker,
    fake_modulestore: list[Any],
    wired: None,
    learners: Callable[[int], list[Any]],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    """Studio publishes the run; then learners enrol and one leaves, in the LMS, whose own
    rendered settings name the catalog: one count reaches the real Richie, which updates that
    field alone. A course Richie has no run for is refused with Richie's own reason."""
    from django.test.utils import override_settings

    lms = load_lms_settings(root / "env", "production", tmp_path, service="lms")
    site = richie.up()
    course = new_course()
    fake_modulestore.append(course)
    with override_settings(**rendered):
        publish(course, 12)
        assert worker.run() == 1
    link = f"{rendered['LMS_ROOT_URL']}/courses/{COURSE_ID}/course/"
    assert site.run("DemoX", link)["enrollment_count"] == 0
    caplog.set_level(logging.INFO, logger="lmsbridge_openedx")
    unknown = "course-v1:edX+DemoX+2099"
    with override_settings(
        LMS_ROOT_URL=lms["LMS_ROOT_URL"], LMSBRIDGE_COURSE_SYNC=lms["LMSBRIDGE_COURSE_SYNC"]
    ):
        users = learners(4)
        enroll(users[:3], COURSE_ID)
        unenroll(users[:1], COURSE_ID)
        enroll(users[3:], unknown)
        assert worker.run() == 2  # one count per course
    run = site.run("DemoX", link)
    assert run["enrollment_count"] == 2
    assert run["start"] == "2031-01-12T00:00:00+00:00"  # the rest of the run stays
    said = [r.getMessage() for r in caplog.records if r.name.startswith("lmsbridge_openedx")]
    assert (
        f"lmsbridge: the enrollment count of {COURSE_ID} (2) delivered to richie (HTTP 200)" in said
    )
    assert (
        f"lmsbridge: richie refused the enrollment count of {unknown}: answered HTTP 400: "
        '{"languages":["This field is required."]}; not retried (a run richie does not have '
        "yet comes with the course's next publish or lmsbridge-sync-courses)"
    ) in said
    assert [r["resource_link"] for r in site.catalog("DemoX")["runs"]] == [link]


def test_full_sync_of_twelve_runs_in_batches_under_the_default_timeout(
    studio: None, rendered: dict[str, Any], richie: Richie, fake_modulestore: list[Any]
) -> None:
    """The real Richie stores each run (draft, public page, search index) in ~0.25-0.5 s: a
    batch of 10 would overrun one 5 s deadline; with 5 s per run of the batch it lands."""
    from io import StringIO

    from django.core.management import call_command
    from django.test.utils import override_settings

    site = richie.up()
    for number in range(12):
        course = new_course()
        course.id = f"course-v1:edX+DemoX+S{number:02d}"
        fake_modulestore.append(course)
    out = StringIO()
    started = time.monotonic()
    with override_settings(**rendered):
        call_command("lmsbridge_sync_courses", stdout=out)
    elapsed = time.monotonic() - started
    assert out.getvalue().splitlines()[-1] == (
        "lmsbridge: richie: 12 course run(s): 12 delivered, 0 refused, 0 not delivered"
    )
    links = {r["resource_link"] for r in site.catalog("DemoX")["runs"]}
    assert {f"{rendered['LMS_ROOT_URL']}/courses/{c.id}/course/" for c in fake_modulestore} <= links
    print(f"full sync of 12 runs to the real Richie: {elapsed:.2f} s")
