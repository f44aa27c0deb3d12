"""python-social-auth's Django strategy, resolving backend settings as edx-platform's
third_party_auth.strategy.ConfigurationModelStrategy does.

SAML backends are the exception: edx resolves their settings through the SAML models
(SAMLAuthBackend.setting reads SAMLConfiguration first and comes here only for what that
lacks), never through an OAuth2ProviderConfig row, so they go straight to Django settings."""

from typing import Any

from django.apps import apps
from django.contrib.sites.models import Site
from social_core.backends.saml import SAMLAuth
from social_django.strategy import DjangoStrategy


class ConfigurationModelStrategy(DjangoStrategy):  # type: ignore[misc]
    def setting(self, name: str, default: Any = None, backend: Any = None) -> Any:
        if backend is not None and not isinstance(backend, SAMLAuth):
            model = apps.get_model("third_party_auth", "OAuth2ProviderConfig")
            site = Site.objects.get_current()
            config = model.current(site.id, backend.name)
            if not (config.enabled and config.site_id == site.id):
                raise RuntimeError("Can't fetch setting of a disabled backend/provider.")
            try:
                return config.get_setting(name)
            except KeyError:
                pass
        return super().setting(name, default, backend)
