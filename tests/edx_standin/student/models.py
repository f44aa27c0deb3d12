"""edx-platform's student.UserProfile (common/djangoapps/student/models/user.py), reduced to
what the init job and the e2e pipeline touch: the learner's one profile and its full name,
in edx's table. Its other fields (language, location, year_of_birth ...) are all optional
there, so a profile created with a name alone is valid in edx too."""

from django.conf import settings
from django.db import models


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
