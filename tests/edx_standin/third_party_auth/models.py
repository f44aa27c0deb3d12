"""edx-platform's third_party_auth.OAuth2ProviderConfig: a ConfigurationModel (real
django-config-models) with ProviderConfig's fields, as FACTS.md describes them."""

import json
from typing import Any

from config_models.models import ConfigurationModel
from django.conf import settings
from django.contrib.sites.models import Site
from django.db import models


class OAuth2ProviderConfig(ConfigurationModel):  # type: ignore[misc]
    KEY_FIELDS = ("site_id", "backend_name")

    icon_class = models.CharField(max_length=50, blank=True, default="fa-sign-in")
    name = models.CharField(max_length=50, blank=True)
    slug = models.SlugField(max_length=30, db_index=True, default="default")
    secondary = models.BooleanField(default=False)
    site = models.ForeignKey(
        Site, default=settings.SITE_ID, related_name="%(class)ss", on_delete=models.CASCADE
    )
    skip_hinted_login_dialog = models.BooleanField(default=False)
    skip_registration_form = models.BooleanField(default=False)
    skip_email_verification = models.BooleanField(default=False)
    send_welcome_email = models.BooleanField(default=False)
    visible = models.BooleanField(default=False)
    max_session_length = models.PositiveIntegerField(null=True, blank=True, default=None)
    send_to_registration_first = models.BooleanField(default=False)
    sync_learner_profile_data = models.BooleanField(default=False)
    enable_sso_id_verification = models.BooleanField(default=False)
    disable_for_enterprise_sso = models.BooleanField(default=False)
    was_valid_at = models.DateTimeField(blank=True, null=True)
    backend_name = models.CharField(max_length=50, blank=False, db_index=True)
    key = models.TextField(blank=True)
    secret = models.TextField(blank=True)
    other_settings = models.TextField(blank=True)

    prefix = "oa2"

    class Meta:
        app_label = "third_party_auth"

    @property
    def provider_id(self) -> str:
        return f"{self.prefix}-{self.backend_name}"

    def get_setting(self, name: str) -> Any:
        """edx-platform's lookup: key, then secret (row, else SOCIAL_AUTH_OAUTH_SECRETS),
        then other_settings."""
        if name == "KEY":
            return self.key
        if name == "SECRET":
            if self.secret:
                return self.secret
            return getattr(settings, "SOCIAL_AUTH_OAUTH_SECRETS", {}).get(self.backend_name, "")
        if self.other_settings:
            return json.loads(self.other_settings)[name]
        raise KeyError(name)
