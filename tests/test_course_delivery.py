"""Course-run delivery (issue #22): a publish only queues; Studio's Celery worker delivers each
run to each catalog, retrying until delivered or SYNC_RETRY_HOURS after the publish; one
deadline covers a whole request; the full sync reports per course.

The catalog is a loopback server answering as Richie 3.5's sync endpoint does (with richie's
own signature check). The worker is Celery's tracer run one message at a time on the
in-memory broker, with the test's clock (tests/support/celery_steps.py): retries take
Celery's real path (a new message with an ETA) and a day of backoff runs in milliseconds."""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from .support.catalog_server import SYNC_SECRET as SECRET
from .support.catalog_server import Catalog, catalog_server
from .support.celery_steps import StepWorker
from .support.provider_server import silent_listener
from .support.studio import COURSE_ID, Course, sync_targets

QUEUE = "edx.cms.core.default"


@pytest.fixture
def richie(catalog: Catalog) -> Iterator[Catalog]:
    """The module's catalog, reset: up, answering, empty."""
    catalog.reset()
    yield catalog
    catalog.reset()


def target(richie: Catalog, **extra: Any) -> dict[str, Any]:
    (entry,) = sync_targets(richie.base, LMSBRIDGE_RICHIE_SYNC_SECRETS=[SECRET], **extra)
    return entry


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("lmsbridge_openedx")]


def link(course_id: str = COURSE_ID) -> str:
    return f"https://local.openedx.io/courses/{course_id}/course/"


# ---- one request: one deadline, what is known --------------------------------------------


def test_a_dripping_catalog_cannot_hold_a_request_beyond_its_deadline(
    studio: None, richie: Catalog
) -> None:
    """One byte every 0.3 s is a 20 s answer; per-read timeouts of 1 s never fire on it."""
    from lmsbridge_openedx import sync

    richie.mode = "drip"
    started = time.monotonic()
    outcome = sync.deliver(target(richie, LMSBRIDGE_RICHIE_SYNC_TIMEOUT=1), {"resource_link": "x"})
    elapsed = time.monotonic() - started
    assert outcome.result == sync.RETRY
    assert outcome.detail == "no answer within 1 s (the run was sent; it may have landed)"
    assert elapsed < 1.5


def test_a_run_that_landed_without_an_answer_is_not_called_failed(
    studio: None, richie: Catalog
) -> None:
    from lmsbridge_openedx import sync

    richie.mode = "silent_after_storing"
    run = {"resource_link": link(), "languages": ["fr"]}
    outcome = sync.deliver(target(richie, LMSBRIDGE_RICHIE_SYNC_TIMEOUT=1), run)
    assert outcome.result == sync.RETRY
    assert "the run was sent; it may have landed" in outcome.detail
    assert "fail" not in outcome.detail
    assert richie.stored == {link(): run}


@pytest.mark.parametrize(
    ("case", "result", "detail"),
    [
        ("wrong secret", "refused", 'answered HTTP 401: "Invalid authentication."'),
        ("language", "refused", 'answered HTTP 400: {"languages": ["\\"de\\" is not a valid'),
        ("5xx", "retry", "answered HTTP 503: <h1>Service Unavailable</h1>"),
        ("down", "retry", "refused the connection"),
        ("silent", "retry", "no answer within 1 s (the run was sent; it may have landed)"),
        ("redirect", "refused", "answered HTTP 301: a redirect to https://richie"),
    ],
)
def test_what_each_answer_means(
    case: str, result: str, detail: str, studio: None, richie: Catalog
) -> None:
    """4xx other than 408/429 is a refusal (retrying cannot help); 5xx, refused connections
    and silence are worth another try. Richie's own answer is kept, never the secret."""
    from lmsbridge_openedx import sync

    entry = target(richie, LMSBRIDGE_RICHIE_SYNC_TIMEOUT=1)
    run = {"resource_link": link(), "languages": ["fr"]}
    if case == "wrong secret":
        entry["secret"] = "not-" + SECRET
    elif case == "language":
        richie.refuse_languages = {"de"}  # a Richie whose ALL_LANGUAGES lacks German
        run["languages"] = ["de"]
    elif case == "5xx":
        richie.mode = "error"
    elif case == "down":
        richie.down()
    if case in ("silent", "redirect"):
        with silent_listener() as silent:
            if case == "silent":
                outcome = sync.deliver({**entry, "url": silent}, run)
            else:
                outcome = redirecting(entry, run)
    else:
        outcome = sync.deliver(entry, run)
    assert (outcome.result, outcome.detail[: len(detail)]) == (result, detail)
    assert SECRET not in outcome.detail


def redirecting(entry: dict[str, Any], run: Any) -> Any:
    """A catalog URL that answers with a redirect (http -> https, a wrong INTERNAL_URL)."""
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from threading import Thread

    from lmsbridge_openedx import sync

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.send_response(301)
            self.send_header("Location", "https://richie/api/v1.0/course-runs-sync/")
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = Thread(target=server.handle_request, daemon=True)
    thread.start()
    try:
        return sync.deliver({**entry, "url": f"http://127.0.0.1:{server.server_port}/"}, run)
    finally:
        thread.join(timeout=5)
        server.server_close()


def test_send_once_to_several_catalogs_names_each_that_missed(
    studio: None, richie: Catalog, caplog: pytest.LogCaptureFixture
) -> None:
    from lmsbridge_openedx import sync

    good = target(richie)
    with silent_listener() as silent:
        down = {**good, "app": "other", "url": silent, "timeout": 1}
        assert sync.send([good, down], {"resource_link": link(), "languages": ["fr"]}) == 1
    assert link() in richie.stored
    assert lines(caplog) == [
        "lmsbridge: course run not delivered to other (retry): no answer within 1 s (the run "
        "was sent; it may have landed)"
    ]


def test_an_answer_is_logged_on_one_line_without_the_secret() -> None:
    from lmsbridge_openedx import sync

    said = sync.answer_text(f'{{"error": "bad\\n"}}\nFAKE LOG LINE {SECRET}'.encode(), SECRET)
    assert said == '{"error": "bad\\n"} FAKE LOG LINE [secret]'
    assert sync.answer_text(b"x" * 1000, SECRET) == "x" * sync.BODY_SHOWN + "..."
    assert sync.answer_text(b"", SECRET) == "(empty body)"


def test_backoff_doubles_with_jitter_up_to_an_hour() -> None:
    from lmsbridge_openedx import tasks

    for tries, delay in [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (40, 3600)]:
        waits = [tasks.backoff(tries) for _ in range(200)]
        assert all(delay / 2 <= w <= delay for w in waits), tries
        assert max(waits) - min(waits) > delay / 10  # jittered, not one fixed value


# ---- the publish only queues ----------------------------------------------------------------


def test_a_publish_queues_after_commit_and_sends_nothing(
    worker: StepWorker, fake_modulestore: list[Any], richie: Catalog
) -> None:
    """Inside the publish's transaction nothing is queued; at commit one message per catalog
    goes to the queue Tutor's CMS worker consumes, without the secret or the run."""
    import tutor.plugins.openedx  # noqa: F401 (declares CMS_WORKER_COMMAND)
    from django.db import transaction
    from django.test.utils import override_settings
    from lmsbridge_openedx import receivers, tasks
    from tutor import hooks

    fake_modulestore.append(Course())
    entry = target(richie)
    with override_settings(LMSBRIDGE_COURSE_SYNC=[entry]):
        with transaction.atomic():
            receivers.course_published(sender=None, course_key=COURSE_ID)
            assert worker.collect() == 0  # not before the commit
        with transaction.atomic():
            receivers.course_published(sender=None, course_key=COURSE_ID)
            transaction.set_rollback(True)  # a publish that did not happen queues nothing
        assert worker.collect() == 1
        (_, _, message) = worker.pending[0]
        assert message.headers["task"] == tasks.TASK_NAME
        assert message.delivery_info["routing_key"] == QUEUE
        assert message.decode()[0] == [COURSE_ID, "richie", worker.clock()]
        assert SECRET not in json.dumps([message.headers, message.decode()])
        assert richie.requests == 0
        worker.run()
    assert richie.stored[link()]["start"] == "2030-01-01T00:00:00+00:00"
    command = list(hooks.Filters.CMS_WORKER_COMMAND.iterate())
    queues = next(arg for arg in command if arg.startswith("--queues=")).split("=", 1)[1]
    assert QUEUE in queues.split(",")


def test_celery_finds_the_task_in_the_plugin_app(django_ready: None) -> None:
    """edx's Celery app runs autodiscover_tasks() over INSTALLED_APPS (related name 'tasks')."""
    from django.apps import apps

    from tests.edx_standin.celery import APP

    names = [config.name for config in apps.get_app_configs()]
    APP.loader.autodiscover_tasks(names, related_name="tasks")
    assert "lmsbridge_openedx.tasks" in APP.loader.task_modules


def test_a_broken_broker_costs_a_log_line_not_the_publish(
    worker: StepWorker, fake_modulestore: list[Any], richie: Catalog,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    from django.test.utils import override_settings
    from lmsbridge_openedx import receivers, tasks

    def unreachable(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("redis:6379 refused")

    monkeypatch.setattr(tasks.deliver_course_run, "apply_async", unreachable)
    with override_settings(LMSBRIDGE_COURSE_SYNC=[target(richie)]):
        receivers.course_published(sender=None, course_key=COURSE_ID)  # does not raise
    assert lines(caplog) == [
        f"lmsbridge: could not queue course run {COURSE_ID} for richie; run "
        "`tutor local do lmsbridge-sync-courses` once Celery's broker is back"
    ]


# ---- the worker: never lose an update -------------------------------------------------------


def publish(course: Course, day: int) -> None:
    from datetime import datetime, timezone

    from lmsbridge_openedx import receivers

    course.start = datetime(2030, 1, day, tzinfo=timezone.utc)
    receivers.course_published(sender=None, course_key=course.id)


def test_richie_down_during_three_publishes_then_up_every_update_arrives(
    worker: StepWorker,
    fake_modulestore: list[Any],
    richie: Catalog,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from django.test.utils import override_settings

    course = Course()
    other = Course(2)
    fake_modulestore.extend([course, other])
    richie.down()
    caplog.set_level(logging.INFO)
    with override_settings(LMSBRIDGE_COURSE_SYNC=[target(richie)]):
        publish(course, 2)
        publish(other, 5)
        assert worker.step()
        assert worker.step()
        worker.collect()
        assert len(worker.pending) == 2
        assert richie.stored == {}
        worker.clock.advance(60)
        publish(course, 3)  # published again a minute later, Richie still down
        back = worker.ran[0][2] + 15 * 60  # Richie is back after a quarter of an hour
        while (due := worker.next_due()) is not None:
            if due >= back:
                richie.up()
            worker.step()
    assert richie.stored[link()]["start"] == "2030-01-03T00:00:00+00:00"  # the latest
    assert richie.stored[link(other.id)]["start"] == "2030-01-05T00:00:00+00:00"
    said = lines(caplog)
    assert said[0].startswith(
        f"lmsbridge: course run {COURSE_ID} not delivered to richie yet: refused the "
        "connection; try 1, next in "
    )
    assert said[0].endswith(" s (retrying until 24 h after the publish)")
    delivered = [line for line in said if "delivered to richie (HTTP 200" in line]
    assert len(delivered) == 2  # one per course: the later publish carries the first's update
    assert (
        said.count(
            f"lmsbridge: course run {COURSE_ID} for richie superseded by a later publish (its task "
            "sends it)"
        )
        == 1
    )
    assert all("gave up" not in line for line in said)
    # Delivered at the first try after Richie came back (tries then are at most 32 min apart).
    assert 15 * 60 < worker.clock() - worker.ran[0][2] < (15 + 32) * 60


def test_a_catalog_down_for_good_is_given_up_at_the_deadline(
    worker: StepWorker,
    fake_modulestore: list[Any],
    richie: Catalog,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from django.test.utils import override_settings

    fake_modulestore.append(Course())
    richie.down()
    with override_settings(
        LMSBRIDGE_COURSE_SYNC=[target(richie, LMSBRIDGE_RICHIE_SYNC_RETRY_HOURS=2)]
    ):
        publish(fake_modulestore[0], 2)
        published = worker.clock()
        runs = worker.run()
    times = [at - published for _, _, at in worker.ran]
    assert times[-1] == pytest.approx(2 * 3600, abs=1)  # the last try falls on the deadline
    gaps = [b - a for a, b in itertools.pairwise(times)]
    for n, gap in enumerate(gaps[:-1], start=1):
        delay = min(3600.0, 30.0 * 2 ** (n - 1))
        assert delay / 2 - 1 <= gap <= delay + 1, (n, gaps)
    last = lines(caplog)[-1]
    assert last == (
        f"lmsbridge: gave up on course run {COURSE_ID} for richie after {runs} tries over 2 h: "
        "refused the connection; run `tutor local do lmsbridge-sync-courses` once richie is back"
    )
    assert 8 <= runs <= 14


def test_a_refusal_is_logged_with_richies_reason_and_not_retried(
    worker: StepWorker,
    fake_modulestore: list[Any],
    richie: Catalog,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from django.test.utils import override_settings

    fake_modulestore.append(Course(language="de"))
    richie.refuse_languages = {"de"}  # a Richie whose ALL_LANGUAGES lacks German
    with override_settings(LMSBRIDGE_COURSE_SYNC=[target(richie)]):
        publish(fake_modulestore[0], 2)
        assert worker.run() == 1
    assert lines(caplog) == [
        f"lmsbridge: richie refused course run {COURSE_ID}: answered HTTP 400: "
        '{"languages": ["\\"de\\" is not a valid choice."]}; not retried (fix the cause, '
        "then publish again or run lmsbridge-sync-courses)"
    ]


def test_an_unreadable_course_is_retried_and_a_deleted_one_dropped(
    worker: StepWorker,
    fake_modulestore: list[Any],
    richie: Catalog,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from django.test.utils import override_settings
    from lmsbridge_openedx import tasks

    fake_modulestore.append(Course())
    real = tasks.load_course
    calls: list[str] = []

    def flaky(course_id: str) -> Any:
        calls.append(course_id)
        if len(calls) == 1:
            raise RuntimeError("modulestore is down")
        return real(course_id)

    monkeypatch.setattr(tasks, "load_course", flaky)
    caplog.set_level(logging.INFO)
    with override_settings(LMSBRIDGE_COURSE_SYNC=[target(richie)]):
        publish(fake_modulestore[0], 2)
        assert worker.run() == 2
        assert link() in richie.stored
        fake_modulestore.clear()
        publish(Course(), 3)
        assert worker.run() == 1
    said = lines(caplog)
    assert "not delivered to richie yet: cannot read the course (RuntimeError)" in said[0]
    assert said[-1] == f"lmsbridge: course {COURSE_ID} no longer exists; nothing to send to richie"


def test_with_eager_celery_a_down_catalog_is_tried_once_not_hammered(
    studio: None,
    fake_modulestore: list[Any],
    richie: Catalog,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`tutor dev` imports edx's cms/envs/devstack.py, where CELERY_ALWAYS_EAGER is on: the
    task runs inside the publish, and an eager retry would run again at once."""
    from django.test.utils import override_settings

    from tests.edx_standin.celery import APP

    fake_modulestore.append(Course())
    richie.mode = "error"
    APP.conf.task_always_eager = True
    try:
        with override_settings(LMSBRIDGE_COURSE_SYNC=[target(richie)]):
            publish(fake_modulestore[0], 2)
    finally:
        APP.conf.task_always_eager = False
    assert richie.requests == 1
    assert lines(caplog) == [
        f"lmsbridge: course run {COURSE_ID} not delivered to richie: answered HTTP 503: "
        "<h1>Service Unavailable</h1>; not retried, Celery runs tasks eagerly here "
        "(CELERY_ALWAYS_EAGER): run lmsbridge-sync-courses once it is back"
    ]


# ---- the full sync --------------------------------------------------------------------------


def test_full_sync_reports_each_course_and_fails_only_when_one_was_not_delivered(
    studio: None, fake_modulestore: list[Any], richie: Catalog
) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command
    from django.test.utils import override_settings

    fake_modulestore.extend([Course(1), Course(2, language="de"), Course(3)])
    richie.refuse_languages = {"de"}
    out = StringIO()
    with override_settings(LMSBRIDGE_COURSE_SYNC=[target(richie)]):
        call_command("lmsbridge_sync_courses", stdout=out)  # a refusal is not a failure
    assert out.getvalue().splitlines() == [
        "lmsbridge: richie: course-v1:edX+C1+run: delivered",
        "lmsbridge: richie: course-v1:edX+C2+run: refused: "
        '{"languages": ["\\"de\\" is not a valid choice."]}',
        "lmsbridge: richie: course-v1:edX+C3+run: delivered",
        "lmsbridge: richie: 3 course run(s): 2 delivered, 1 refused, 0 not delivered",
    ]
    assert sorted(richie.stored) == [link("course-v1:edX+C1+run"), link("course-v1:edX+C3+run")]
    richie.down()
    out = StringIO()
    with (
        override_settings(LMSBRIDGE_COURSE_SYNC=[target(richie)]),
        pytest.raises(CommandError, match=r"failed for richie \(3 not delivered\)"),
    ):
        call_command("lmsbridge_sync_courses", stdout=out)
    assert "course-v1:edX+C2+run: not delivered: refused the connection" in out.getvalue()


def test_full_sync_gives_each_batch_the_deadline_of_its_runs(
    studio: None, fake_modulestore: list[Any], richie: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A catalog that takes 0.4 s per run answers a 3-run batch in 1.2 s: more than one run's
    1 s deadline, within the batch's 3 s."""
    from io import StringIO

    from django.core.management import call_command
    from django.test.utils import override_settings
    from lmsbridge_openedx.management.commands import lmsbridge_sync_courses

    monkeypatch.setattr(lmsbridge_sync_courses, "BATCH_SIZE", 3)
    fake_modulestore.extend([Course(1), Course(2), Course(3)])
    richie.seconds_per_run = 0.4  # reset by the fixture
    out = StringIO()
    with override_settings(LMSBRIDGE_COURSE_SYNC=[target(richie, LMSBRIDGE_RICHIE_SYNC_TIMEOUT=1)]):
        call_command("lmsbridge_sync_courses", stdout=out)
    assert out.getvalue().splitlines()[-1] == (
        "lmsbridge: richie: 3 course run(s): 3 delivered, 0 refused, 0 not delivered"
    )


def test_full_sync_stops_sending_to_a_catalog_that_answered_nothing(
    studio: None, fake_modulestore: list[Any], richie: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A silent catalog costs one batch's deadline, not one per batch; the other catalog still
    gets everything."""
    from io import StringIO

    from django.core.management import CommandError, call_command
    from django.test.utils import override_settings
    from lmsbridge_openedx.management.commands import lmsbridge_sync_courses

    monkeypatch.setattr(lmsbridge_sync_courses, "BATCH_SIZE", 2)
    fake_modulestore.extend([Course(n) for n in range(1, 6)])
    out = StringIO()
    with catalog_server([SECRET]) as other:
        other.mode = "silent_after_storing"
        silent = {
            **target(richie, LMSBRIDGE_RICHIE_SYNC_TIMEOUT=1),
            "app": "other",
            "url": other.base + "/api/v1.0/course-runs-sync/",
        }
        started = time.monotonic()
        with (
            override_settings(LMSBRIDGE_COURSE_SYNC=[silent, target(richie)]),
            pytest.raises(CommandError, match=r"failed for other \(5 not delivered\)$"),
        ):
            call_command("lmsbridge_sync_courses", stdout=out)
        elapsed = time.monotonic() - started
        assert other.requests == 1
    assert elapsed < 3.5  # the first batch's 2 s deadline, then no more tries
    said = out.getvalue().splitlines()
    assert said[0] == (
        "lmsbridge: other: course-v1:edX+C1+run: not delivered: no answer within 2 s (the run "
        "was sent; it may have landed)"
    )
    assert said[2] == (
        "lmsbridge: other: course-v1:edX+C3+run: not delivered: not sent: other did not answer "
        "an earlier batch (no answer within 2 s (the run was sent; it may have landed))"
    )
    assert said[5] == "lmsbridge: other: 5 course run(s): 0 delivered, 0 refused, 5 not delivered"
    assert said[-1] == "lmsbridge: richie: 5 course run(s): 5 delivered, 0 refused, 0 not delivered"
