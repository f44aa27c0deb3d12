"""edx-platform's metadata pull (common/djangoapps/third_party_auth/tasks.py
fetch_saml_metadata, with utils.py parse_metadata_xml and
create_or_update_bulk_saml_provider_data): for each enabled provider whose SAMLConfiguration
is enabled, fetch metadata_source, find the entity's IDPSSODescriptor, its signing
certificates, its HTTP-Redirect SSO URL and validUntil, and store one SAMLProviderData per
certificate. Failures are counted and described, never raised, as in edx.
"""

import logging
from datetime import datetime
from typing import Any

import requests
from django.utils.timezone import now
from lxml import etree

from .models import SAMLConfiguration, SAMLProviderConfig, SAMLProviderData

log = logging.getLogger(__name__)
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"


class MetadataParseError(Exception):
    pass


def fetch_saml_metadata() -> tuple[int, int, int, int, int, list[str]]:
    """(total, skipped, attempted, updated, failed, failure messages), as edx returns."""
    slugs = SAMLProviderConfig.key_values("slug", flat=True)
    skipped = 0
    url_map: dict[str, list[str]] = {}
    for slug in slugs:
        config = SAMLProviderConfig.current(slug)
        sp_slug = config.saml_configuration.slug if config.saml_configuration else "default"
        if (
            not config.enabled
            or not config.automatic_refresh_enabled
            or not SAMLConfiguration.is_enabled(config.site, sp_slug)
        ):
            skipped += 1
            continue
        entity_ids = url_map.setdefault(config.metadata_source, [])
        if config.entity_id not in entity_ids:
            entity_ids.append(config.entity_id)
    updated = 0
    failures: list[str] = []
    for url, entity_ids in url_map.items():
        try:
            if not url.lower().startswith("https"):
                log.warning("This SAML metadata URL is not secure! It should use HTTPS. (%s)", url)
            response = requests.get(url, verify=True, timeout=30)
            response.raise_for_status()
            xml = etree.fromstring(
                response.content, etree.XMLParser(remove_comments=True, resolve_entities=False)
            )
            for entity_id in entity_ids:
                keys, sso_url, expires_at = parse_metadata_xml(xml, entity_id)
                if store(entity_id, keys, sso_url, expires_at):
                    updated += 1
        except (requests.RequestException, MetadataParseError, etree.XMLSyntaxError) as error:
            log.exception(str(error))
            failures.append(f"{type(error).__name__}: {error}\nMetadata Source: {url}")
    return len(slugs), skipped, len(url_map), updated, len(failures), failures


def parse_metadata_xml(xml: Any, entity_id: str) -> tuple[list[str], str, datetime | None]:
    if xml.tag == f"{{{MD}}}EntityDescriptor":
        entity = xml
    elif xml.tag == f"{{{MD}}}EntitiesDescriptor":
        entity = xml.find(f".//{{{MD}}}EntityDescriptor[@entityID='{entity_id}']")
        if entity is None:
            raise MetadataParseError(f"Can't find EntityDescriptor for entityID {entity_id}")
    else:
        raise MetadataParseError(f"Expected root element to be <EntitiesDescriptor>, not {xml.tag}")
    # edx reads validUntil but does not compare the root's entityID with the configured one
    # when the root is an EntityDescriptor: a wrong entity id is caught at login instead.
    expires_at = None
    if "validUntil" in xml.attrib:
        expires_at = datetime.fromisoformat(xml.attrib["validUntil"].replace("Z", "+00:00"))
    sso = entity.find(f"{{{MD}}}IDPSSODescriptor")
    if sso is None:
        raise MetadataParseError("IDPSSODescriptor missing")
    if "urn:oasis:names:tc:SAML:2.0:protocol" not in (sso.get("protocolSupportEnumeration") or ""):
        raise MetadataParseError("This IdP does not support SAML 2.0")
    certs = sso.findall(f"./{{{MD}}}KeyDescriptor[@use='signing']//{{{DS}}}X509Certificate")
    if not certs:
        certs = sso.findall(f"./{{{MD}}}KeyDescriptor//{{{DS}}}X509Certificate")
    if not certs:
        raise MetadataParseError("Public Key missing. Expected an <X509Certificate>")
    keys = ["".join(cert.text.split()) for cert in certs]
    bindings = {
        e.get("Binding"): e.get("Location") for e in sso.iterfind(f"./{{{MD}}}SingleSignOnService")
    }
    if REDIRECT not in bindings:
        raise MetadataParseError("Unable to find SSO URL with HTTP-Redirect binding.")
    return keys, bindings[REDIRECT], expires_at


def store(entity_id: str, keys: list[str], sso_url: str, expires_at: datetime | None) -> bool:
    """One SAMLProviderData per key, updated in place; True when one was created."""
    fetched_at = now()
    created_any = False
    for key in keys:
        _, created = SAMLProviderData.objects.update_or_create(
            public_key=key,
            entity_id=entity_id,
            defaults={"sso_url": sso_url, "expires_at": expires_at, "fetched_at": fetched_at},
        )
        created_any = created_any or created
    return created_any
