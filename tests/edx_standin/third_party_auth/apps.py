from django.apps import AppConfig
from django.conf import settings


class ThirdPartyAuthConfig(AppConfig):  # type: ignore[misc]
    name = "tests.edx_standin.third_party_auth"
    label = "third_party_auth"

    def ready(self) -> None:
        # edx-platform common/djangoapps/third_party_auth/apps.py: with third-party auth on,
        # settings.apply_settings() assigns SOCIAL_AUTH_PIPELINE at start-up. (edx reads
        # FEATURES["ENABLE_THIRD_PARTY_AUTH"]; Verawood flattened FEATURES into top-level
        # settings, which is what the plugin writes.)
        if getattr(settings, "ENABLE_THIRD_PARTY_AUTH", False):
            from .settings import apply_settings

            apply_settings(settings)
