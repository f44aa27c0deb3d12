"""edx-platform's student.UserProfile, reduced to what the init job touches."""

from django.conf import settings
from django.db import models


class UserProfile(models.Model):  # type: ignore[misc]
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    name = models.CharField(max_length=255, blank=True)

    class Meta:
        app_label = "student"
