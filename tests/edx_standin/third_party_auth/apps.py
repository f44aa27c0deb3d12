from django.apps import AppConfig


class ThirdPartyAuthConfig(AppConfig):  # type: ignore[misc]
    name = "tests.edx_standin.third_party_auth"
    label = "third_party_auth"
