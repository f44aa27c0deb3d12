"""Shared test set-up: one in-process Django serves the database tests (importing the
harness also puts the plugin's in-image Open edX app on the path)."""

import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .support import django_harness
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
    if item.nodeid.startswith("tests/e2e/"):
        item.add_marker(pytest.mark.xdist_group("e2e"))


# ---- Studio and its Celery worker (course-run delivery) -----------------------------------


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
