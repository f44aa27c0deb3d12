"""edx-platform's third_party_auth settings (common/djangoapps/third_party_auth/settings.py):
``apply_settings`` assigns the whole SOCIAL_AUTH_PIPELINE, called from the app's ready()
(apps.py) when third-party auth is on. Any step added by a settings file is therefore gone;
the plugin's Open edX app inserts its guard from its own, later, ready()."""

from typing import Any

STANDIN = "tests.edx_standin.third_party_auth.pipeline"


def apply_settings(django_settings: Any) -> None:
    """edx-platform's SOCIAL_AUTH_PIPELINE, in its order. The steps that concern registration
    pages, cookies and analytics (set_pipeline_timeout, user_details_force_sync,
    set_id_verification_status, set_logged_in_cookies, login_analytics,
    ensure_redirect_url_is_safe) link no account and are left out; edx's get_username is
    social-core's with edx's username rules; of ensure_user_information, the partial pipeline
    kept in the session for the logout view (keep_running_pipeline); its registration stores
    the profile's full name (save_profile_name)."""
    django_settings.FIELDS_STORED_IN_SESSION = ["auth_entry", "next"]
    django_settings.SOCIAL_AUTH_PIPELINE = [
        f"{STANDIN}.parse_query_params",
        "social_core.pipeline.social_auth.social_details",
        "social_core.pipeline.social_auth.social_uid",
        "social_core.pipeline.social_auth.auth_allowed",
        "social_core.pipeline.social_auth.social_user",
        f"{STANDIN}.associate_by_email_if_login_api",
        f"{STANDIN}.associate_by_email_if_saml",
        f"{STANDIN}.associate_by_email_if_oauth",
        "social_core.pipeline.user.get_username",
        "tests.e2e.openedx_pipeline.keep_running_pipeline",
        "social_core.pipeline.user.create_user",
        "social_core.pipeline.social_auth.associate_user",
        "social_core.pipeline.social_auth.load_extra_data",
        "social_core.pipeline.user.user_details",
        "tests.e2e.openedx_pipeline.save_profile_name",
    ]
