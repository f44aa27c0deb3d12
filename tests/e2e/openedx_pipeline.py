"""What edx-platform's registration (pipeline.ensure_user_information, automatic with
skip_registration_form) does that social-core's create_user does not: the learner's profile.
The pipeline itself is edx-platform's, from tests/edx_standin/third_party_auth/settings.py."""

from typing import Any


def save_profile_name(
    user: Any = None, details: dict[str, Any] | None = None, is_new: bool = False, **kwargs: Any
) -> None:
    """A new learner's UserProfile gets the full name the backend read from the provider, as
    edx-platform's registration form (filled from the same details) does."""
    from django.apps import apps

    if user is None or not is_new:
        return
    profile_model = apps.get_model("student", "UserProfile")
    profile_model.objects.update_or_create(
        user=user, defaults={"name": (details or {}).get("fullname") or ""}
    )
