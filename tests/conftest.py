"""Shared test set-up: one in-process Django serves the database tests (importing the
harness also puts the plugin's in-image Open edX app on the path)."""

import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .support import django_harness
from .support.catalog_server import SYNC_SECRET, Catalog, catalog_server
from .support.celery_steps import FakeClock, StepWorker
from .support.lms_jobs import Lms


@pytest.fixture(scope="session")
def django_ready(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One in-process Django (settings are process-global) on a throwaway SQLite file."""
    django_harness.setup_django(tmp_path_factory.mktemp("django") / "lms.sqlite3")


@pytest.fixture
def db(django_ready: None) -> Iterator[None]:
    """Each test in a transaction that is rolled back."""
    from django.db import transaction

    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def lms(db: None, codes: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Lms:
    """The jobs a module's ``codes`` fixture rendered, run as `tutor local do` runs them."""
    return Lms(codes, tmp_path, capsys)


def pytest_itemcollected(item: pytest.Item) -> None:
    """Under pytest-xdist (`make test`), the e2e tests share one worker: their servers
    listen on fixed loopback addresses (the Open edX stand-in on 127.0.0.2:8000). Marked as
    each is collected, before xdist reads the marks (its collection_modifyitems hook)."""
    if item.nodeid.startswith("tests/e2e/test_richie_"):
        # The real Richie's modules listen on their own addresses (richie_process.RICHIE_HOSTS),
        # which no other e2e test uses: they run beside the others, one after the other.
        item.add_marker(pytest.mark.xdist_group("e2e-richie"))
    elif item.nodeid.startswith("tests/e2e/"):
        item.add_marker(pytest.mark.xdist_group("e2e"))


# ---- Studio and its Celery worker (course-run delivery) -----------------------------------


@pytest.fixture(scope="module")
def catalog() -> Iterator[Catalog]:
    """One test catalog per module, taking SYNC_SECRET (each test resets it: ``reset()``)."""
    with catalog_server([SYNC_SECRET]) as server:
        yield server


@pytest.fixture
def fake_modulestore(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """edx-platform's xmodule.modulestore.django, holding the courses the test puts in
    (``modulestore().get_course(course_key)``, ``get_courses()``)."""
    courses: list[Any] = []

    class Store:
        def get_course(self, course_key: Any) -> Any:
            return next((c for c in courses if c.id == str(course_key)), None)

        def get_courses(self) -> list[Any]:
            return list(courses)

    module = types.ModuleType("xmodule.modulestore.django")
    module.modulestore = Store  # type: ignore[attr-defined]
    for name in ("xmodule", "xmodule.modulestore"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "xmodule.modulestore.django", module)
    return courses


@pytest.fixture
def studio(django_ready: None) -> Iterator[None]:
    from django.test.utils import override_settings

    with override_settings(LMS_ROOT_URL="https://local.openedx.io", LANGUAGE_CODE="en"):
        yield


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The clock the delivery task reads, moved by the test and the step worker."""
    from lmsbridge_openedx import tasks

    fake = FakeClock()
    monkeypatch.setattr(tasks, "clock", fake)
    return fake


@pytest.fixture
def worker(studio: None, clock: FakeClock) -> Iterator[StepWorker]:
    """Studio's Celery worker (queue edx.cms.core.default), one message at a time; the queue
    starts and ends empty."""
    from django.core.cache import cache

    from tests.edx_standin.celery import APP

    cache.clear()  # the latest publish of each course, kept by the delivery task
    steps = StepWorker(APP, "edx.cms.core.default", clock)
    steps.collect()
    steps.pending.clear()
    yield steps
    steps.collect()
    steps.pending.clear()


# ---- learners enrolling (enrollment counts) ------------------------------------------------


@pytest.fixture
def wired(django_ready: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The plugin's LMS receivers, connected by edx_django_utils as edx-platform does at start
    (``connect_plugin_receivers(ProjectType.LMS)``), the sender imported from edx's path
    (common.djangoapps.student.models, here the stand-in)."""
    from django.apps import apps
    from django.db.models import signals
    from edx_django_utils.plugins import plugin_signals
    from lmsbridge_openedx.apps import enrollment_dispatch_uid

    from tests.edx_standin.student import models

    for name in ("common", "common.djangoapps", "common.djangoapps.student"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "common.djangoapps.student.models", models)
    # The registry lists the apps installed from entry points; the plugin's app is installed
    # here from its folder.
    monkeypatch.setattr(
        plugin_signals.registry,
        "get_plugin_app_configs",
        lambda project_type: [apps.get_app_config("lmsbridge_openedx")],
    )
    plugin_signals.connect_plugin_receivers("lms.djangoapp")
    yield
    for signal in ("post_save", "post_delete"):
        getattr(signals, signal).disconnect(
            sender=models.CourseEnrollment,
            dispatch_uid=enrollment_dispatch_uid(signal),
        )


@pytest.fixture
def learners(django_ready: None) -> Iterator[Callable[[int], list[Any]]]:
    """Makes learners; removes them and their enrollments afterwards (the rows are committed:
    the receivers act once the enrollment's transaction commits)."""
    from django.contrib.auth.models import User

    from tests.edx_standin.student.models import CourseEnrollment

    made: list[Any] = []

    def make(count: int) -> list[Any]:
        start = len(made)
        for n in range(start, start + count):
            made.append(User.objects.create(username=f"learner{n}", email=f"l{n}@example.com"))
        return made[start:]

    yield make
    CourseEnrollment.objects.filter(user__in=made).delete()
    User.objects.filter(pk__in=[user.pk for user in made]).delete()
