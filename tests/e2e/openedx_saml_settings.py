"""The Open edX stand-in as a SAML service provider: openedx_settings, plus social-core's
default pipeline followed by the profile-name step (tests.e2e.openedx_pipeline)."""

from .openedx_settings import *  # noqa: F403 - the same LMS, one pipeline step more
from .openedx_settings import seed as seed  # the runner calls it

SOCIAL_AUTH_PIPELINE = (
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.auth_allowed",
    "social_core.pipeline.social_auth.social_user",
    "social_core.pipeline.user.get_username",
    "social_core.pipeline.user.create_user",
    "social_core.pipeline.social_auth.associate_user",
    "social_core.pipeline.social_auth.load_extra_data",
    "social_core.pipeline.user.user_details",
    "tests.e2e.openedx_pipeline.save_profile_name",
)
