"""`./manage.py cms lmsbridge_sync_courses` (`tutor local do lmsbridge-sync-courses`): send
every course run to the catalogs, in batches, as the initial full sync, and say per course
what became of it.

Richie answers a list with one entry per resource link (``{"success": true}`` or the
run's errors) and HTTP 400 when any was refused (richie/apps/courses/api.py,
``sync_course_runs_from_request``): the runs it took are stored all the same. So a course
is *delivered*, *refused* (Richie's reason), or *not delivered* (the catalog was down, timed
out, or turned the whole request away, e.g. a wrong secret). The command fails only when a
course was not delivered: a refusal is Richie's answer about that course's data.
"""

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ... import sync, tasks

# The real Richie takes ~0.25-0.5 s per run (it saves each run's draft and public version and
# reindexes the course), so a batch gets SYNC_TIMEOUT seconds per run it holds: the deadline a
# publish gives one run. Ten runs keep a batch's worst case (a silent catalog) near a minute.
BATCH_SIZE = 10
DELIVERED, REFUSED, NOT_DELIVERED = "delivered", "refused", "not delivered"


def all_courses() -> list[tuple[str, Any]]:
    from xmodule.modulestore.django import modulestore  # edx-platform, only inside Studio

    return [(str(course.id), course) for course in modulestore().get_courses()]


def per_run(outcome: sync.Outcome, links: list[str], secret: str) -> dict[str, tuple[str, str]]:
    """What became of each run of one batch: (delivered/refused/not delivered, reason)."""
    results: Any = None
    if outcome.status in (200, 400):
        try:
            results = json.loads(outcome.body)
        except ValueError:
            results = None
    if isinstance(results, dict) and all(link in results for link in links):
        said: dict[str, tuple[str, str]] = {}
        for link in links:
            entry = results[link]
            if isinstance(entry, Mapping) and entry.get("success") is True:
                said[link] = (DELIVERED, "")
            else:
                reason = sync.answer_text(json.dumps(entry).encode("utf-8"), secret)
                said[link] = (REFUSED, reason)
        return said
    if outcome.result == sync.DELIVERED:
        return dict.fromkeys(links, (DELIVERED, ""))
    return dict.fromkeys(links, (NOT_DELIVERED, outcome.detail))


class Command(BaseCommand):  # type: ignore[misc]
    help = (
        "Send every course run to the catalogs of LMSBRIDGE_COURSE_SYNC (Richie); report "
        "each course; fail only when a course was not delivered."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        targets = getattr(settings, "LMSBRIDGE_COURSE_SYNC", None)
        if not targets:
            self.stdout.write("lmsbridge: no catalog to sync (LMSBRIDGE_COURSE_SYNC is empty)")
            return
        runs: list[tuple[str, dict[str, Any]]] = []
        for course_id, course in all_courses():
            run = tasks.current_run(course_id, course)
            if run is not None:
                runs.append((course_id, run))
        failed: list[str] = []
        for target in targets:
            app = target["app"]
            counts = dict.fromkeys((DELIVERED, REFUSED, NOT_DELIVERED), 0)
            silent = ""  # why the catalog answered nothing, once it did not
            for start in range(0, len(runs), BATCH_SIZE):
                batch = runs[start : start + BATCH_SIZE]
                links = [run["resource_link"] for _, run in batch]
                if silent:
                    said = dict.fromkeys(links, (NOT_DELIVERED, f"not sent: {silent}"))
                else:
                    # The deadline a publish gives one run, for each run of the batch.
                    batch_target = {**target, "timeout": target["timeout"] * len(batch)}
                    outcome = sync.deliver(batch_target, [run for _, run in batch])
                    said = per_run(outcome, links, target["secret"])
                    if outcome.status is None:
                        silent = f"{app} did not answer an earlier batch ({outcome.detail})"
                for course_id, run in batch:
                    result, reason = said[run["resource_link"]]
                    counts[result] += 1
                    line = f"lmsbridge: {app}: {course_id}: {result}"
                    self.stdout.write(f"{line}: {reason}" if reason else line)
            self.stdout.write(
                f"lmsbridge: {app}: {len(runs)} course run(s): {counts[DELIVERED]} delivered, "
                f"{counts[REFUSED]} refused, {counts[NOT_DELIVERED]} not delivered"
            )
            if counts[NOT_DELIVERED]:
                failed.append(f"{app} ({counts[NOT_DELIVERED]} not delivered)")
        if failed:
            raise CommandError(f"lmsbridge: course-run sync failed for {', '.join(failed)}")
