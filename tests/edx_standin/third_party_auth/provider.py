"""edx-platform's provider Registry (common/djangoapps/third_party_auth/provider.py), the one
lookup the pipeline makes: get_from_pipeline, the enabled provider of the current Site whose
is_active_for_pipeline() holds (models.py): an OAuth2ProviderConfig whose backend_name is the
pipeline's backend, a SAMLProviderConfig of the tpa-saml backend whose slug is the SAML
response's idp_name."""

from typing import Any

from django.contrib.sites.models import Site

from .models import OAuth2ProviderConfig, SAMLProviderConfig


class Registry:
    @classmethod
    def get_from_pipeline(cls, running_pipeline: dict[str, Any]) -> Any:
        backend = running_pipeline["backend"]
        site = Site.objects.get_current()
        if backend == "tpa-saml":
            response = running_pipeline["kwargs"].get("response") or {}
            provider = SAMLProviderConfig.current(response.get("idp_name"))
        else:
            provider = OAuth2ProviderConfig.current(backend)
        if provider.pk is None or not provider.enabled or provider.site_id != site.id:
            return None
        return provider
