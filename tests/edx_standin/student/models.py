"""edx-platform's student app, reduced to what the plugin touches.

UserProfile (common/djangoapps/student/models/user.py), reduced to what the init job and the
e2e pipeline touch: the learner's one profile and its full name,
in edx's table. Its other fields (language, location, year_of_birth ...) are all optional
there, so a profile created with a name alone is valid in edx too."""

from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Count
from opaque_keys.edx.django.models import CourseKeyField


class UserProfile(models.Model):  # type: ignore[misc]
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        unique=True,
        db_index=True,
        related_name="profile",
        on_delete=models.CASCADE,
    )
    name = models.CharField(blank=True, max_length=255, db_index=True)

    class Meta:
        app_label = "student"
        db_table = "auth_userprofile"


class CourseEnrollmentManager(models.Manager):  # type: ignore[misc]
    """edx's CourseEnrollmentManager (common/djangoapps/student/models/course_enrollment.py),
    the one method the plugin calls."""

    def enrollment_counts(self, course_id: Any) -> dict[str, int]:
        """As edx's: active enrollments per mode, and their ``total`` (edx wraps the query in
        ``use_read_replica_if_available``, which is the default database without a replica)."""
        query = (
            super()
            .get_queryset()
            .filter(course_id=course_id, is_active=True)
            .values("mode")
            .order_by()
            .annotate(Count("mode"))
        )
        total = 0
        counts: dict[str, int] = defaultdict(int)
        for item in query:
            counts[item["mode"]] = item["mode__count"]
            total += item["mode__count"]
        counts["total"] = total
        return counts


class CourseEnrollment(models.Model):  # type: ignore[misc]
    """edx's student.CourseEnrollment (common/djangoapps/student/models/course_enrollment.py),
    in edx's table, with the fields and the two methods every enrollment path goes through:
    ``enroll()`` calls ``get_or_create_enrollment`` (a row created inactive) then
    ``update_enrollment(is_active=True, mode=...)``; ``unenroll()`` and the enrollment API call
    ``update_enrollment``, which saves only when the activation or the mode changed.

    edx's ``course`` is a ForeignKey to CourseOverview with ``db_constraint=False``: its column
    ``course_id`` holds the course key, as this CourseKeyField does (edx's history table, the
    request-cache and event emission of those methods are left out: nothing here reads them).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    course_id = CourseKeyField(max_length=255, db_index=True)  # type: ignore[no-untyped-call]
    created = models.DateTimeField(auto_now_add=True, null=True, db_index=True)
    is_active = models.BooleanField(default=True)
    mode = models.CharField(default="audit", max_length=100)

    objects = CourseEnrollmentManager()

    class Meta:
        app_label = "student"
        db_table = "student_courseenrollment"
        unique_together = (("user", "course_id"),)
        ordering = ("user", "course_id")

    @classmethod
    def get_or_create_enrollment(cls, user: Any, course_key: Any) -> "CourseEnrollment":
        enrollment: CourseEnrollment
        enrollment, _ = cls.objects.get_or_create(
            user=user, course_id=course_key, defaults={"mode": "audit", "is_active": False}
        )
        return enrollment

    def update_enrollment(
        self,
        mode: str | None = None,
        is_active: bool | None = None,
        skip_refund: bool = False,
        enterprise_uuid: Any = None,
    ) -> None:
        activation_changed = is_active is not None and self.is_active != is_active
        if activation_changed:
            self.is_active = bool(is_active)
        mode_changed = mode is not None and self.mode != mode
        if mode_changed:
            self.mode = str(mode)
        if activation_changed or mode_changed:
            self.save()

    @classmethod
    def enroll(cls, user: Any, course_key: Any, mode: str | None = None) -> "CourseEnrollment":
        enrollment = cls.get_or_create_enrollment(user, course_key)
        enrollment.update_enrollment(is_active=True, mode=mode or "audit")
        return enrollment

    @classmethod
    def unenroll(cls, user: Any, course_id: Any, skip_refund: bool = False) -> None:
        cls.objects.get(user=user, course_id=course_id).update_enrollment(
            is_active=False, skip_refund=skip_refund
        )
