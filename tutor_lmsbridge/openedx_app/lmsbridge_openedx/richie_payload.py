"""The course run Richie syncs, built from an Open edX course. No edx-platform import here.

This module owns what is sent (the payload); ``sync`` owns how it is sent (signature, POST,
delivery). ``sync.course_run`` stays importable as a re-export of :func:`course_run`.
"""

from datetime import date, datetime
from typing import Any


def iso(value: Any) -> str | None:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return None


def resource_link(lms_root_url: str, course_id: str) -> str:
    """The course's URL on the LMS, which the exported COURSE_REGEX matches."""
    return f"{lms_root_url.rstrip('/')}/courses/{course_id}/course/"


def course_run(
    lms_root_url: str, course_id: str, course: Any, default_language: str
) -> dict[str, Any]:
    """The course-run fields Richie syncs, from a course (modulestore or overview) object."""
    language = getattr(course, "language", None) or default_language
    return {
        "resource_link": resource_link(lms_root_url, course_id),
        "start": iso(getattr(course, "start", None)),
        "end": iso(getattr(course, "end", None)),
        "enrollment_start": iso(getattr(course, "enrollment_start", None)),
        "enrollment_end": iso(getattr(course, "enrollment_end", None)),
        "languages": [language],
    }
