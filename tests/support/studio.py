"""Studio's side of the course-run sync in tests: courses as the modulestore returns them,
and the LMSBRIDGE_COURSE_SYNC entries the plugin renders for a catalog at a given URL."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from tutor_lmsbridge.core.pipeline import plan_for

from .samples import PLATFORM, RICHIE

COURSE_ID = "course-v1:edX+DemoX+Demo_Course"


class Course:
    """The fields of edx's CourseBlock the payload reads (xmodule/course_block.py)."""

    def __init__(self, number: int = 0, language: str = "fr") -> None:
        self.id = f"course-v1:edX+C{number}+run" if number else COURSE_ID
        self.start = datetime(2030, 1, 1, tzinfo=timezone.utc)
        self.end = datetime(2030, 6, 1, tzinfo=timezone.utc)
        self.enrollment_start = datetime(2029, 12, 1, tzinfo=timezone.utc)
        self.enrollment_end = None
        self.language = language


def sync_targets(base: str, **extra: Any) -> list[dict[str, Any]]:
    """LMSBRIDGE_COURSE_SYNC as rendered for a Richie whose internal URL is ``base``."""
    config = {**PLATFORM, "ENABLE_HTTPS": True, **RICHIE, "LMSBRIDGE_RICHIE_INTERNAL_URL": base}
    targets: list[dict[str, Any]] = plan_for({**config, **extra}).cms_settings_data()
    return targets
