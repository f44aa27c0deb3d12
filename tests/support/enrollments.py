"""Learners enrolling, as edx-platform's enrollment paths do it: through the stand-in of edx's
CourseEnrollment (tests/edx_standin/student/models.py), whose ``enroll`` and ``unenroll``
save the row as edx's do. The fixtures that connect the plugin's receivers and make learners
are ``wired`` and ``learners`` (tests/conftest.py)."""

from __future__ import annotations

from typing import Any


def enroll(users: list[Any], course_id: str) -> None:
    from opaque_keys.edx.keys import CourseKey

    from tests.edx_standin.student.models import CourseEnrollment

    for user in users:
        CourseEnrollment.enroll(user, CourseKey.from_string(course_id))


def unenroll(users: list[Any], course_id: str) -> None:
    from opaque_keys.edx.keys import CourseKey

    from tests.edx_standin.student.models import CourseEnrollment

    for user in users:
        CourseEnrollment.unenroll(user, CourseKey.from_string(course_id))
