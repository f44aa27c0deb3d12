"""edx-platform's metadata pull (common/djangoapps/third_party_auth/tasks.py
fetch_saml_metadata): for each enabled provider with automatic refresh whose SAMLConfiguration
(its own, else the Site's "default") is enabled, fetch metadata_source, then parse and store
it with utils.py's parse_metadata_xml and create_or_update_bulk_saml_provider_data. Failures
are counted and described, never raised, as in edx. Like edx: no timeout on the fetch, and
the XML parser's defaults but for comments. Called directly, as the init job calls it (edx's
is a celery shared_task, which runs in the caller when called so).
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
        listed = "\n".join(f"\t{count}: {item}" for count, item in enumerate(entity_ids, start=1))
        source = f"Metadata Source: {url}\nEntity IDs: \n{listed}."
        try:
            if not url.lower().startswith("https"):
                log.warning("This SAML metadata URL is not secure! It should use HTTPS. (%s)", url)
            response = requests.get(url, verify=True)  # noqa: S113 - as edx: no timeout
            response.raise_for_status()
            xml = etree.fromstring(response.content, etree.XMLParser(remove_comments=True))
            for entity_id in entity_ids:
                keys, sso_url, expires_at = parse_metadata_xml(xml, entity_id)
                if create_or_update_bulk_saml_provider_data(entity_id, keys, sso_url, expires_at):
                    updated += 1
        except (requests.RequestException, MetadataParseError) as error:
            log.exception(str(error))
            failures.append(f"{type(error).__name__}: {error}\n{source}")
        except etree.XMLSyntaxError as error:
            log.exception(str(error))
            failures.append(f"XMLSyntaxError: {error.error_log}\n{source}")
    return len(slugs), skipped, len(url_map), updated, len(failures), failures
