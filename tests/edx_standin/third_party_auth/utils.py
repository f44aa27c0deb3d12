"""edx-platform's SAML metadata helpers (common/djangoapps/third_party_auth/utils.py):
parse_metadata_xml, which finds the entity's IDPSSODescriptor, its signing certificates
(use="signing", else any), its HTTP-Redirect SSO URL and the expiry (validUntil, or a shorter
cacheDuration); and create_or_update_bulk_saml_provider_data, which stores one
SAMLProviderData per certificate, updated in place (fetched_at rewritten every time)."""

from datetime import datetime, timezone
from typing import Any

import dateutil.parser
from django.utils.timezone import now
from lxml import etree
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from .models import SAMLProviderData

SAML_XML_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"


class MetadataParseError(Exception):
    pass


def parse_metadata_xml(xml: Any, entity_id: str) -> tuple[list[str], str, datetime | None]:
    if xml.tag == etree.QName(SAML_XML_NS, "EntityDescriptor"):
        entity = xml
    else:
        if xml.tag != etree.QName(SAML_XML_NS, "EntitiesDescriptor"):
            raise MetadataParseError(
                f"Expected root element to be <EntitiesDescriptor>, not {xml.tag}"
            )
        entity = xml.find(f".//{{{SAML_XML_NS}}}EntityDescriptor[@entityID='{entity_id}']")
        if entity is None:
            raise MetadataParseError(f"Can't find EntityDescriptor for entityID {entity_id}")
    # Like edx: a root EntityDescriptor is not compared with the configured entity id (a
    # wrong one is caught at login, by python3-saml's issuer check).
    expires_at = None
    if "validUntil" in xml.attrib:
        expires_at = dateutil.parser.parse(xml.attrib["validUntil"])
    if "cacheDuration" in xml.attrib:
        seconds = OneLogin_Saml2_Utils.parse_duration(xml.attrib["cacheDuration"])
        cache_expires = datetime.fromtimestamp(seconds, tz=timezone.utc)
        if expires_at is None or cache_expires < expires_at:
            expires_at = cache_expires
    sso = entity.find(etree.QName(SAML_XML_NS, "IDPSSODescriptor"))
    if sso is None:
        raise MetadataParseError("IDPSSODescriptor missing")
    if "urn:oasis:names:tc:SAML:2.0:protocol" not in sso.get("protocolSupportEnumeration"):
        raise MetadataParseError("This IdP does not support SAML 2.0")
    certs = sso.findall(
        f"./{{{SAML_XML_NS}}}KeyDescriptor[@use='signing']//{{{DS}}}X509Certificate"
    )
    if not certs:
        certs = sso.findall(f"./{{{SAML_XML_NS}}}KeyDescriptor//{{{DS}}}X509Certificate")
        if not certs:
            raise MetadataParseError("Public Key missing. Expected an <X509Certificate>")
    public_keys = [cert.text.replace(" ", "") for cert in certs]
    bindings = {
        e.get("Binding"): e.get("Location")
        for e in sso.iterfind(f"./{{{SAML_XML_NS}}}SingleSignOnService")
    }
    if REDIRECT not in bindings:
        raise MetadataParseError("Unable to find SSO URL with HTTP-Redirect binding.")
    return public_keys, bindings[REDIRECT], expires_at


def create_or_update_bulk_saml_provider_data(
    entity_id: str, public_keys: list[str], sso_url: str, expires_at: datetime | None
) -> bool:
    fetched_at = now()
    new_records_created = False
    for key in public_keys:
        existing = SAMLProviderData.objects.filter(public_key=key, entity_id=entity_id)
        if len(existing) > 1:
            for obj in existing:
                obj.sso_url = sso_url
                obj.expires_at = expires_at
                obj.fetched_at = fetched_at
            SAMLProviderData.objects.bulk_update(existing, ["sso_url", "expires_at", "fetched_at"])
            return True
        _, created = SAMLProviderData.objects.update_or_create(
            public_key=key,
            entity_id=entity_id,
            defaults={"sso_url": sso_url, "expires_at": expires_at, "fetched_at": fetched_at},
        )
        if created:
            new_records_created = True
    return new_records_created


def is_oauth_provider(backend_name: str, **kwargs: Any) -> bool:
    """edx-platform utils.is_oauth_provider: the pipeline's provider (Registry) is an oa2-*."""
    from .provider import Registry

    current_provider = Registry.get_from_pipeline({"backend": backend_name, "kwargs": kwargs})
    if current_provider:
        return bool(current_provider.provider_id.startswith("oa2"))
    return False


def get_associated_user_by_email_response(
    backend: Any, details: Any, user: Any, *args: Any, **kwargs: Any
) -> tuple[Any, bool]:
    """edx-platform utils.get_associated_user_by_email_response: social-core's
    associate_by_email (None when the user is known; AuthException when several accounts
    have the email), and whether the account it found is active."""
    from social_core.pipeline.social_auth import associate_by_email

    association_response = associate_by_email(backend, details, user, *args, **kwargs)
    if association_response and association_response.get("user"):
        return (association_response, association_response["user"].is_active)
    return (None, False)
