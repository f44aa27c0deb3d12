"""edx-platform's metadata pull (common/djangoapps/third_party_auth/tasks.py
fetch_saml_metadata): for each enabled provider with automatic refresh whose SAMLConfiguration
(its own, else the Site's "default") is enabled, fetch metadata_source, then parse and store
it with utils.py's parse_metadata_xml and create_or_update_bulk_saml_provider_data. Failures
are counted and described, never raised, as in edx.
"""

import logging

import requests
from lxml import etree

from .models import SAMLConfiguration, SAMLProviderConfig
from .utils import MetadataParseError, create_or_update_bulk_saml_provider_data, parse_metadata_xml

log = logging.getLogger(__name__)


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
                if create_or_update_bulk_saml_provider_data(entity_id, keys, sso_url, expires_at):
                    updated += 1
        except (requests.RequestException, MetadataParseError, etree.XMLSyntaxError) as error:
            log.exception(str(error))
            failures.append(f"{type(error).__name__}: {error}\nMetadata Source: {url}")
    return len(slugs), skipped, len(url_map), updated, len(failures), failures
