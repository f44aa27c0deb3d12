"""`./manage.py cms lmsbridge_sync_courses` (`tutor local do lmsbridge-sync-courses`): send
every course run to the catalogs, in batches, as the initial full sync."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ... import sync

BATCH_SIZE = 50


def all_courses() -> list[tuple[str, Any]]:
    from xmodule.modulestore.django import modulestore  # edx-platform, only inside Studio

    return [(str(course.id), course) for course in modulestore().get_courses()]


class Command(BaseCommand):  # type: ignore[misc]
    help = "Send every course run to the catalogs of LMSBRIDGE_COURSE_SYNC (Richie)."

    def handle(self, *args: Any, **options: Any) -> None:
        targets = getattr(settings, "LMSBRIDGE_COURSE_SYNC", None)
        if not targets:
            self.stdout.write("lmsbridge: no catalog to sync (LMSBRIDGE_COURSE_SYNC is empty)")
            return
        runs = [
            sync.course_run(settings.LMS_ROOT_URL, course_id, course, settings.LANGUAGE_CODE)
            for course_id, course in all_courses()
        ]
        failed = []
        for target in targets:
            batches = [runs[i : i + BATCH_SIZE] for i in range(0, len(runs), BATCH_SIZE)]
            failures = sum(not sync.post(target, batch) for batch in batches)
            self.stdout.write(
                f"lmsbridge: {target['app']}: {len(runs)} course run(s) in {len(batches)} "
                f"request(s), {failures} failed"
            )
            if failures:
                failed.append(target["app"])
        if failed:
            raise CommandError(f"lmsbridge: course-run sync failed for {', '.join(failed)}")
