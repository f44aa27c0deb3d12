"""edx-platform's third_party_auth models (common/djangoapps/third_party_auth/models.py):
OAuth2ProviderConfig, SAMLConfiguration, SAMLProviderConfig and SAMLProviderData, on the real
django-config-models, with edx-platform's fields, KEY_FIELDS, overrides (current(),
provider_id, get_setting, save) and settings lookups. Each class and method names what it
mirrors; tests/test_edx_standin.py holds the cited list of the overridden signatures and
fails when one drifts.

Not mirrored, as nothing here uses them: ProviderConfig.organization (a foreign key to
edx-organizations, not installed here), the admin-form clean() methods, backend_class
(edx computes _PSA_BACKENDS once at import, from AUTHENTICATION_BACKENDS; verify_objects.py
makes the same computation itself), the pipeline helpers (is_active_for_pipeline,
match_social_auth, get_register_form_data ...), LTIProviderConfig and
AppleMigrationUserIdInfo."""

import json
import logging
from typing import Any

from config_models.models import ConfigurationModel, cache
from crum import get_current_request
from django.conf import settings
from django.contrib.sites.models import Site
from django.db import models
from django.utils import timezone
from social_core.exceptions import SocialAuthBaseException

log = logging.getLogger(__name__)


class ProviderConfig(ConfigurationModel):  # type: ignore[misc]
    """edx-platform's abstract ProviderConfig (models.py ProviderConfig): the fields every
    provider row has, keyed on slug unless a subclass says otherwise."""

    KEY_FIELDS: tuple[str, ...] = ("slug",)

    icon_class = models.CharField(max_length=50, blank=True, default="fa-sign-in")
    icon_image = models.FileField(blank=True)
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

    prefix: str | None = None  # a string in each subclass, for provider_id
    backend_name: Any = None  # a field or a fixed value in each subclass
    accepts_logins = True

    class Meta:
        abstract = True
        app_label = "third_party_auth"

    @property
    def provider_id(self) -> str:
        """models.py ProviderConfig.provider_id: the prefix and every KEY_FIELDS value."""
        assert self.prefix is not None
        return "-".join((self.prefix, *(getattr(self, field) for field in self.KEY_FIELDS)))

    @property
    def enabled_for_current_site(self) -> bool:
        """models.py ProviderConfig.enabled_for_current_site: enabled, and bound to the Site
        of the current request (crum's; SITE_ID's without one, as in a shell)."""
        return bool(
            self.enabled and self.site_id == Site.objects.get_current(get_current_request()).id
        )


class OAuth2ProviderConfig(ProviderConfig):
    """models.py OAuth2ProviderConfig: keyed per Site and backend name, its current() takes
    the backend name only and adds the current request's Site itself."""

    KEY_FIELDS = ("site_id", "backend_name")
    prefix = "oa2"

    backend_name = models.CharField(max_length=50, blank=False, db_index=True)
    key = models.TextField(blank=True)
    secret = models.TextField(blank=True)
    other_settings = models.TextField(blank=True)

    class Meta:
        app_label = "third_party_auth"

    @classmethod
    def current(cls, *args: Any) -> Any:
        """models.py OAuth2ProviderConfig.current(cls, *args): the Site of the current
        request (Site.objects.get_current(get_current_request()), crum's request, SITE_ID's
        without one) goes first, then ``args``, to django-config-models' current(), whose
        cache key needs exactly one value per KEY_FIELDS entry: a caller that passes the
        site id as well gets the TypeError the real LMS raises."""
        site_id = Site.objects.get_current(get_current_request()).id
        return super().current(site_id, *args)

    @property
    def provider_id(self) -> str:
        """models.py OAuth2ProviderConfig.provider_id: the KEY_FIELDS but site_id."""
        assert self.prefix is not None
        return "-".join(
            (self.prefix, *(str(getattr(self, f)) for f in self.KEY_FIELDS if f != "site_id"))
        )

    def get_setting(self, name: str) -> Any:
        """models.py OAuth2ProviderConfig.get_setting: key, then secret (row, else
        SOCIAL_AUTH_OAUTH_SECRETS[backend_name]), then other_settings, else KeyError."""
        if name == "KEY":
            return self.key
        if name == "SECRET":
            if self.secret:
                return self.secret
            return getattr(settings, "SOCIAL_AUTH_OAUTH_SECRETS", {}).get(self.backend_name, "")
        if self.other_settings:
            other_settings = json.loads(self.other_settings)
            assert isinstance(other_settings, dict), "other_settings should be a JSON object"
            return other_settings[name]
        raise KeyError


class SAMLConfiguration(ConfigurationModel):  # type: ignore[misc]
    """The SP side (edx-platform models.py SAMLConfiguration), keyed on (site_id, slug), on
    django-config-models' own current(). The key pair may live in the settings instead of
    the database; get_setting() falls back to them exactly as edx does. One difference: edx
    reads PLATFORM_NAME and TECH_SUPPORT_EMAIL through the Site's configuration
    (site_configuration.helpers.get_value), which falls back to these same settings."""

    KEY_FIELDS = ("site_id", "slug")

    site = models.ForeignKey(
        Site, default=settings.SITE_ID, related_name="%(class)ss", on_delete=models.CASCADE
    )
    slug = models.SlugField(max_length=30, default="default", blank=True)
    private_key = models.TextField(blank=True)
    public_key = models.TextField(blank=True)
    entity_id = models.CharField(max_length=255, default="http://saml.example.com")
    org_info_str = models.TextField(
        default='{"en-US": {"url": "http://www.example.com", "displayname": "Example Inc.", '
        '"name": "example"}}'
    )
    other_config_str = models.TextField(
        default='{\n"SECURITY_CONFIG": {"metadataCacheDuration": 604800, "signMetadata": false}\n}'
    )
    is_public = models.BooleanField(default=False)

    class Meta:
        app_label = "third_party_auth"

    def get_setting(self, name: str) -> Any:
        """models.py SAMLConfiguration.get_setting: ORG_INFO, SP_ENTITY_ID, the key pair (row,
        else the settings by slug), else other_config_str over the contact defaults."""
        contact = {
            "givenName": f"{getattr(settings, 'PLATFORM_NAME', 'Open edX')} Support",
            "emailAddress": getattr(settings, "TECH_SUPPORT_EMAIL", "technical@example.com"),
        }
        if name == "ORG_INFO":
            return json.loads(self.org_info_str)
        if name == "SP_ENTITY_ID":
            return self.entity_id
        if name in ("SP_PUBLIC_CERT", "SP_PRIVATE_KEY"):
            stored = self.public_key if name == "SP_PUBLIC_CERT" else self.private_key
            if stored:
                return stored
            # edx: slug "default" reads the plain setting, any other slug the _DICT one.
            single = (
                "SOCIAL_AUTH_SAML_SP_PUBLIC_CERT"
                if name == "SP_PUBLIC_CERT"
                else "SOCIAL_AUTH_SAML_SP_PRIVATE_KEY"
            )
            if self.slug == "default":
                return getattr(settings, single, "")
            return getattr(settings, f"{single}_DICT", {}).get(self.slug, "")
        other = {
            "GET_ALL_EXTRA_DATA": True,
            "TECHNICAL_CONTACT": contact,
            "SUPPORT_CONTACT": contact,
        }
        other.update(json.loads(self.other_config_str))
        return other[name]


class SAMLProviderConfig(ProviderConfig):
    """The IdP side (edx-platform models.py SAMLProviderConfig): ProviderConfig's KEY_FIELDS
    (slug alone) and provider_id ("saml-<slug>"), django-config-models' own current(). Its
    SAML-specific flag defaults differ from OAuth2's: edx skips the registration form and
    email verification by default for SAML."""

    prefix = "saml"

    # SAML's own defaults for these flags.
    skip_hinted_login_dialog = models.BooleanField(default=True)
    skip_registration_form = models.BooleanField(default=True)
    skip_email_verification = models.BooleanField(default=True)
    send_to_registration_first = models.BooleanField(default=True)
    display_name = models.CharField(max_length=35, blank=True)
    backend_name = models.CharField(max_length=50, default="tpa-saml", blank=True)
    entity_id = models.CharField(max_length=255, blank=True)
    metadata_source = models.CharField(max_length=255, blank=True)
    attr_user_permanent_id = models.CharField(max_length=128, blank=True)
    attr_full_name = models.CharField(max_length=128, blank=True)
    default_full_name = models.CharField(max_length=255, blank=True)
    attr_first_name = models.CharField(max_length=128, blank=True)
    default_first_name = models.CharField(max_length=255, blank=True)
    attr_last_name = models.CharField(max_length=128, blank=True)
    default_last_name = models.CharField(max_length=255, blank=True)
    attr_username = models.CharField(max_length=128, blank=True)
    default_username = models.CharField(max_length=255, blank=True)
    attr_email = models.CharField(max_length=128, blank=True)
    default_email = models.CharField(max_length=255, blank=True)
    automatic_refresh_enabled = models.BooleanField(default=True)
    identity_provider_type = models.CharField(
        max_length=128, blank=True, default="standard_saml_provider"
    )
    debug_mode = models.BooleanField(default=False)
    country = models.CharField(max_length=128, blank=True)
    other_settings = models.TextField(blank=True)
    archived = models.BooleanField(default=False)
    saml_configuration = models.ForeignKey(
        SAMLConfiguration, on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        app_label = "third_party_auth"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """models.py SAMLProviderConfig.save: another current, unarchived provider with the
        same entity id is logged, not refused, then django-config-models' save() (always a
        new row, its cache keys cleared)."""
        shared = (
            SAMLProviderConfig.objects.current_set()
            .filter(entity_id=self.entity_id, archived=False)
            .exclude(slug=self.slug)
        )
        if shared:
            log.warning("Entity ID: %s already in use", self.entity_id)
        super().save(*args, **kwargs)

    def get_setting(self, name: str) -> Any:
        """models.py SAMLProviderConfig.get_setting: other_settings, else KeyError."""
        if self.other_settings:
            return json.loads(self.other_settings)[name]
        raise KeyError

    def get_config(self, backend: Any = None) -> Any:
        """The IdP for SAMLAuthBackend: this row's attribute mapping plus the valid
        SAMLProviderData rows of its entity id (every valid signing key is accepted).

        Differs from edx-platform in one point: edx builds `idp_class(self.slug, **conf)`,
        but social-auth-core 4.8's SAMLIdentityProvider takes (backend, name, **conf) — with
        the pinned 4.8.3 edx's call raises TypeError at every SAML login (a known
        incompatibility, edx/edx-platform#108). The stand-in passes the backend."""
        from .saml import EdXSAMLIdentityProvider

        conf: dict[str, Any] = json.loads(self.other_settings) if self.other_settings else {}
        defaults = {
            "attr_full_name": "default_full_name",
            "attr_first_name": "default_first_name",
            "attr_last_name": "default_last_name",
            "attr_username": "default_username",
            "attr_email": "default_email",
        }
        conf["attr_defaults"] = {}
        for field in (
            "attr_user_permanent_id",
            "attr_full_name",
            "attr_first_name",
            "attr_last_name",
            "attr_username",
            "attr_email",
            "entity_id",
            "country",
        ):
            if getattr(self, field):
                conf[field] = getattr(self, field)
            conf["attr_defaults"][field] = (
                getattr(self, defaults[field]) if field in defaults else None
            )
        records = [
            r for r in SAMLProviderData.objects.filter(entity_id=self.entity_id) if r.is_valid()
        ]
        if not records:
            log.error(
                'No SAMLProviderData found for provider "%s" with entity id "%s" and IdP slug '
                '"%s". Run "manage.py saml pull" to fix or debug.',
                self.name,
                self.entity_id,
                self.slug,
            )
            raise AuthNotConfigured(provider_name=self.name)
        conf["x509certMulti"] = {"signing": [r.public_key for r in records]}
        conf["x509cert"] = ""
        conf["url"] = records[-1].sso_url
        conf["saml_sp_configuration"] = self.saml_configuration or SAMLConfiguration.current(
            self.site.id, "default"
        )
        return EdXSAMLIdentityProvider(backend, self.slug, **conf)


class AuthNotConfigured(SocialAuthBaseException):
    """models.py AuthNotConfigured: no usable SAMLProviderData for a provider (a social-core
    exception, which social_django's middleware turns into a message)."""

    def __init__(self, provider_name: str) -> None:
        super().__init__()
        self.provider_name = provider_name

    def __str__(self) -> str:
        return f"Authentication with {self.provider_name} is currently unavailable."


class SAMLProviderData(models.Model):  # type: ignore[misc]
    """What the metadata pull stored (edx-platform models.py SAMLProviderData): not a
    ConfigurationModel; its own current(entity_id), cached in the Django cache."""

    cache_timeout = 600
    fetched_at = models.DateTimeField(db_index=True, null=False)
    expires_at = models.DateTimeField(db_index=True, null=True)
    entity_id = models.CharField(max_length=255, db_index=True)
    sso_url = models.URLField()
    public_key = models.TextField()

    class Meta:
        app_label = "third_party_auth"
        ordering = ("-fetched_at",)

    def is_valid(self) -> bool:
        if self.expires_at and timezone.now() > self.expires_at:
            return False
        return bool(self.entity_id and self.sso_url and self.public_key)

    @classmethod
    def cache_key_name(cls, entity_id: str) -> str:
        return f"configuration/{cls.__name__}/current/{entity_id}"

    @classmethod
    def current(cls, entity_id: str) -> Any:
        cached = cache.get(cls.cache_key_name(entity_id))
        if cached is not None:
            return cached
        current = cls.objects.filter(entity_id=entity_id).order_by("-fetched_at").first()
        cache.set(cls.cache_key_name(entity_id), current, cls.cache_timeout)
        return current
