"""python-social-auth's Django strategy, resolving backend settings as edx-platform's
third_party_auth.strategy.ConfigurationModelStrategy does
(common/djangoapps/third_party_auth/strategy.py).

An OAuthAuth backend (OAuth2 and OIDC) reads its settings from its OAuth2ProviderConfig row,
OAuth2ProviderConfig.current(backend.name) (edx adds the current request's Site), which must
be enabled for the current Site; a setting the row lacks falls back to Django settings. SAML
backends are not OAuthAuth: edx resolves their settings through the SAML models
(SAMLAuthBackend.setting reads SAMLConfiguration first and comes here only for what that
lacks), so they go straight to Django settings.

Not mirrored, as no test here uses them: the LOGIN_ERROR_URL of a custom auth entry
(AUTH_ENTRY_CUSTOM) and MAX_SESSION_LENGTH read from the running pipeline's provider."""

from typing import Any

from django.apps import apps
from social_core.backends.oauth import OAuthAuth
from social_django.strategy import DjangoStrategy


class ConfigurationModelStrategy(DjangoStrategy):  # type: ignore[misc]
    def setting(self, name: str, default: Any = None, backend: Any = None) -> Any:
        if isinstance(backend, OAuthAuth):
            model = apps.get_model("third_party_auth", "OAuth2ProviderConfig")
            provider_config = model.current(backend.name)
            if not provider_config.enabled_for_current_site:
                raise RuntimeError("Can't fetch setting of a disabled backend/provider.")
            try:
                return provider_config.get_setting(name)
            except KeyError:
                pass
        return super().setting(name, default, backend)
