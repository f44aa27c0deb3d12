"""What edx-platform's pipeline does that social-core's steps do not, in the stand-in's
pipeline (tests/edx_standin/third_party_auth/settings.py): the running pipeline kept in the
session (ensure_user_information) and, on registration, the learner's profile."""

from typing import Any

from social_core.pipeline.partial import partial


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


@partial  # type: ignore[untyped-decorator]
def keep_running_pipeline(strategy: Any, current_partial: Any = None, **kwargs: Any) -> None:
    """What edx-platform's ensure_user_information (third_party_auth/pipeline.py, a partial
    step after get_username) does with the login's partial pipeline: the token goes into the
    session as ``partial_pipeline_token_`` and the partial into storage, so that the logout
    view can tell which provider the learner came through
    (get_idp_logout_url_from_running_pipeline). The rest of that step (registration and
    activation forms) is not modelled: the e2e logins skip the form."""
    if current_partial:
        strategy.session_set("partial_pipeline_token_", current_partial.token)
        strategy.storage.partial.store(current_partial)
