"""edx-platform's SAML backend (common/djangoapps/third_party_auth/saml.py): social-core's
SAMLAuth whose identity providers are SAMLProviderConfig rows and whose service-provider
settings come from the SAMLConfiguration the provider points to (else the Site's "default").

Kept to what a login needs: get_idp, the settings lookups, generate_saml_config(idp), the
metadata generator with an optional IdP, auth_url's refusal (404) while the Site's
"default" SAMLConfiguration is not enabled — edx checks that one, whatever the provider uses
— auth_complete's missing-RelayState error, and the requiredEntitlements check. Not
mirrored, as nothing here uses them: get_user_id's IncorrectConfigurationException,
disconnect's enterprise unlinking, debug_mode's logging (_create_saml_auth) and the SAP
SuccessFactors identity provider.
"""

import logging
from functools import cached_property
from typing import Any

from crum import get_current_request
from django.contrib.sites.models import Site
from django.http import Http404
from django.utils.datastructures import MultiValueDictKeyError
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from social_core.backends.saml import OID_EDU_PERSON_ENTITLEMENT, SAMLAuth, SAMLIdentityProvider
from social_core.exceptions import AuthForbidden, AuthMissingParameter

HTTP_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
log = logging.getLogger(__name__)


class SAMLAuthBackend(SAMLAuth):
    name = "tpa-saml"

    def get_idp(self, idp_name: str | None) -> Any:
        from .models import SAMLProviderConfig

        # edx calls get_config() without the backend: see SAMLProviderConfig.get_config.
        return SAMLProviderConfig.current(idp_name).get_config(self)

    def setting(self, name: str, default: Any = None) -> Any:
        try:
            return self._config.get_setting(name)
        except KeyError:
            return self.strategy.setting(name, default, backend=self)

    def get_idp_setting(self, idp: Any, name: str, default: Any = None) -> Any:
        try:
            return idp.saml_sp_configuration.get_setting(name)
        except KeyError:
            return self.setting(name, default)

    def generate_saml_config(self, idp: Any = None) -> Any:
        if not idp:
            return super().generate_saml_config()
        config: dict[str, Any] = {
            "contactPerson": {
                "technical": self.get_idp_setting(idp, "TECHNICAL_CONTACT"),
                "support": self.get_idp_setting(idp, "SUPPORT_CONTACT"),
            },
            "debug": True,
            "idp": idp.saml_config_dict,
            "organization": self.get_idp_setting(idp, "ORG_INFO"),
            "security": {"metadataValidUntil": "", "metadataCacheDuration": "P10D"},
            "sp": {
                "assertionConsumerService": {"url": self.redirect_uri, "binding": HTTP_POST},
                "entityId": self.get_idp_setting(idp, "SP_ENTITY_ID"),
                "x509cert": self.get_idp_setting(idp, "SP_PUBLIC_CERT"),
                "privateKey": self.get_idp_setting(idp, "SP_PRIVATE_KEY"),
            },
            "strict": True,
        }
        config["security"].update(self.get_idp_setting(idp, "SECURITY_CONFIG", {}))
        config["sp"].update(self.get_idp_setting(idp, "SP_EXTRA", {}))
        return config

    def generate_metadata_xml(self, idp_name: str | None = None) -> tuple[str, list[str]]:
        idp = self.get_idp(idp_name) if idp_name else None
        saml_settings = OneLogin_Saml2_Settings(
            self.generate_saml_config(idp), sp_validation_only=True
        )
        metadata = saml_settings.get_sp_metadata()
        errors: list[str] = saml_settings.validate_metadata(metadata)
        return metadata, errors

    def auth_complete(self, *args: Any, **kwargs: Any) -> Any:
        """saml.py auth_complete: a response without RelayState is AuthMissingParameter."""
        try:
            return super().auth_complete(*args, **kwargs)  # type: ignore[no-untyped-call]
        except MultiValueDictKeyError as error:
            raise AuthMissingParameter(self, error.args[0]) from error

    def auth_url(self) -> str:
        if not self._config.enabled:
            log.error("[THIRD_PARTY_AUTH] SAML authentication is not enabled")
            raise Http404
        url: str = super().auth_url()  # type: ignore[no-untyped-call]
        return url

    def _check_entitlements(self, idp: Any, attributes: dict[str, Any]) -> None:
        """saml.py _check_entitlements: every entitlement of the provider's other_settings
        requiredEntitlements must be among the response's eduPersonEntitlement values."""
        if "requiredEntitlements" in idp.conf:
            entitlements = attributes.get(OID_EDU_PERSON_ENTITLEMENT, [])
            for expected in idp.conf["requiredEntitlements"]:
                if expected not in entitlements:
                    log.warning(
                        "[THIRD_PARTY_AUTH] SAML user rejected due to missing "
                        "eduPersonEntitlement. Provider: %s, Entitlement: %s",
                        idp.name,
                        expected,
                    )
                    raise AuthForbidden(self)

    @cached_property
    def _config(self) -> Any:
        """saml.py _config: the "default" SAMLConfiguration of the current request's Site,
        looked up with the Site object (so cached under its domain, see init_saml.py)."""
        from .models import SAMLConfiguration

        return SAMLConfiguration.current(Site.objects.get_current(get_current_request()), "default")


class EdXSAMLIdentityProvider(SAMLIdentityProvider):
    """edx's IdP: a mapped attribute missing from the response falls back to the row's
    default_* value. edx's get_attr expects one default attribute name; social-core 4.8 passes
    a tuple of candidates, which edx's lookup never finds, so the plugin should always set
    the attr_* fields. This stand-in accepts both, so as not to hide other faults."""

    def get_attr(
        self,
        attributes: dict[str, str | list[str] | None],
        conf_key: str,
        default_attributes: tuple[str, ...],
        *,
        validate_defaults: bool = False,
    ) -> str | None:
        configured = self.conf.get(conf_key)
        for name in [configured] if configured else default_attributes:
            value = attributes.get(name)
            if isinstance(value, list) and value:
                return value[0]
            if isinstance(value, str) and value:
                return value
        default: str | None = self.conf["attr_defaults"].get(conf_key) or None
        return default

    def get_user_details(self, attributes: dict[str, Any]) -> dict[str, Any]:
        """saml.py EdXSAMLIdentityProvider.get_user_details: social-core's details plus one
        per extra_field_definitions entry of the provider's other_settings."""
        details: dict[str, Any] = super().get_user_details(attributes)
        for field in self.conf.get("extra_field_definitions", []):
            urn = field["urn"]
            details[field["name"]] = attributes[urn][0] if urn in attributes else None
        return details

    @property
    def saml_sp_configuration(self) -> Any:
        return self.conf["saml_sp_configuration"]
