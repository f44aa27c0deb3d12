"""The one step of edx-platform's account creation the SAML round trip checks: the full
name the identity provider sent ("fullname" detail) becomes the learner's profile name, as
edx's registration does with the provider's details when the registration form is skipped."""

from typing import Any


def save_profile_name(details: dict[str, Any], user: Any = None, **_: Any) -> None:
    if user is None or not details.get("fullname"):
        return
    from tests.edx_standin.student.models import UserProfile

    UserProfile.objects.update_or_create(user=user, defaults={"name": details["fullname"]})
