# tutor-contrib-lmsbridge init job, SAML part: included after init_objects.py's definitions
# (it uses Report, load_json, current_provider, insert_provider_row and ensure_history_row
# from there) and before
# run(). Plain Python, no Jinja markers.
#
# Open edX as a SAML service provider needs three kinds of rows (third_party_auth):
# - SAMLConfiguration (the SP: entity id, organisation, python-saml options), keyed on
#   (site, slug). The plugin manages the Site's "default" one: edx-platform refuses every SAML
#   login (404) and serves no SP metadata unless that one is enabled, and a provider whose
#   configuration is left empty always uses its current row. Its private_key stays EMPTY:
#   edx then reads SOCIAL_AUTH_SAML_SP_PRIVATE_KEY from the settings. Its public_key holds the
#   certificate (public), so that a key rotation is one new history row.
# - SAMLProviderConfig (one IdP), keyed on slug alone, its saml_configuration left empty.
# - SAMLProviderData (the IdP's SSO URL and signing certificates), written only by Open edX's
#   own code: the metadata pull (third_party_auth.tasks.fetch_saml_metadata) for a metadata
#   URL, its metadata parser and store (third_party_auth.utils) for inline metadata.
#
# Both configuration models are ConfigurationModels: a new history row only when a managed
# field differs, copied from the current row so unmanaged fields keep the operator's values.
# SAMLProviderData is not ours: edx's pull rewrites fetched_at on every run (its daily
# Celery task does the same), so a re-run's only writes are those of Open edX's own code.
#
# Plan keys read here (LMSBRIDGE_INIT_PLAN, built by tutor_lmsbridge/core/plan.py):
#   "saml_configurations": [{"slug": "default", "enabled": True, "entity_id": ...,
#       "public_key": <certificate body>, "org_info": {...}, "other_config": {...}}]
#   "saml_providers": [{"app": ..., "provider_id": "saml-<slug>", "slug": ...,
#       "fields": {enabled, name, visible, the provider flags, entity_id, metadata_source,
#                  automatic_refresh_enabled, attr_*},
#       "metadata_xml": "" or the IdP's metadata, "other_settings": {"lmsbridge_app": ...}}]

import importlib
import json
from typing import TYPE_CHECKING, Any

from django.apps import apps as django_apps

if TYPE_CHECKING:  # defined by init_objects.py, which comes first in the job
    from tutor_lmsbridge.templates.lmsbridge.tasks.lms.init_objects import (
        Report,
        current_provider,
        ensure_history_row,
        insert_provider_row,
        load_json,
    )


def current_saml_configuration(model: Any, site: Any, slug: str) -> Any:
    """Newest row for (site, slug), read from the database (current() may be cached)."""
    return model.objects.filter(site_id=site.pk, slug=slug).order_by("-change_date", "-id").first()


def ensure_saml_configuration(spec: dict[str, Any], site: Any, report: Report) -> None:
    model = django_apps.get_model("third_party_auth", "SAMLConfiguration")
    name = spec["slug"]
    desired = {
        "enabled": spec["enabled"],
        "site_id": site.pk,
        "slug": spec["slug"],
        "entity_id": spec["entity_id"],
        # Empty: edx reads the key from the settings. Never a private key in the database.
        "private_key": "",
        "public_key": spec["public_key"],
    }
    current = current_saml_configuration(model, site, spec["slug"])
    if current is not None:
        changed = [field for field, value in desired.items() if getattr(current, field) != value]
        if load_json(current.org_info_str) != spec["org_info"]:
            changed.append("org_info_str")
        if load_json(current.other_config_str) != spec["other_config"]:
            changed.append("other_config_str")
        if not changed:
            report.line("SAML configuration", name, "unchanged")
            return
    values = {
        **desired,
        "org_info_str": json.dumps(spec["org_info"], indent=2, sort_keys=True),
        "other_config_str": json.dumps(spec["other_config"], indent=2, sort_keys=True),
    }
    insert_provider_row(current, model, values)
    if current is None:
        report.line("SAML configuration", name, "created")
    else:
        report.line("SAML configuration", name, "updated", changed)


def ensure_saml_provider(spec: dict[str, Any], site: Any, report: Report) -> None:
    model = django_apps.get_model("third_party_auth", "SAMLProviderConfig")
    desired = dict(spec["fields"])
    desired.update(
        {
            "slug": spec["slug"],
            "site_id": site.pk,
            "backend_name": "tpa-saml",
            # Empty: edx uses the Site's current "default" configuration, whichever row it is.
            "saml_configuration_id": None,
        }
    )
    current = current_provider(model, site, "tpa-saml", spec["slug"])
    ensure_history_row(
        "SAML provider",
        spec["provider_id"],
        model,
        current,
        desired,
        spec["other_settings"],
        report,
    )


def store_inline_metadata(spec: dict[str, Any]) -> None:
    """Inline metadata, parsed and stored by edx-platform's own functions (the ones its
    metadata pull uses), for an IdP that publishes no metadata URL."""
    from lxml import etree

    app = django_apps.get_app_config("third_party_auth")
    utils = importlib.import_module(f"{app.name}.utils")
    entity_id = spec["fields"]["entity_id"]
    parser = etree.XMLParser(remove_comments=True, resolve_entities=False, no_network=True)
    try:
        xml = etree.fromstring(spec["metadata_xml"].encode(), parser)
        public_keys, sso_url, expires_at = utils.parse_metadata_xml(xml, entity_id)
    except (etree.XMLSyntaxError, utils.MetadataParseError) as error:
        print(f"lmsbridge: SAML metadata of {spec['provider_id']} (inline) failed: {error}")
        return
    new = utils.create_or_update_bulk_saml_provider_data(
        entity_id, public_keys, sso_url, expires_at
    )
    print(
        f"lmsbridge: SAML metadata of {spec['provider_id']} (inline): "
        f"{'new' if new else 'unchanged'}, {len(public_keys)} signing certificate(s)"
    )


def disable_removed_saml_providers(plan: dict[str, Any], site: Any, report: Report) -> None:
    model = django_apps.get_model("third_party_auth", "SAMLProviderConfig")
    wanted = {spec["slug"] for spec in plan.get("saml_providers", [])}
    marker = plan["marker"]
    ours = (
        model.objects.filter(site=site, other_settings__contains=f'"{marker}"')
        .values_list("slug", flat=True)
        .distinct()
    )
    for slug in sorted(set(ours) - wanted):
        current = current_provider(model, site, "tpa-saml", slug)
        settings_json = load_json(current.other_settings)
        if current.enabled and isinstance(settings_json, dict) and marker in settings_json:
            insert_provider_row(current, model, {"enabled": False})
            report.line("SAML provider", f"saml-{slug}", "disabled")


def clear_saml_caches(plan: dict[str, Any], site: Any) -> None:
    """Drop the cached current() rows that would hide this run's changes.

    django-config-models caches current() in TieredCache (request cache + the Django cache,
    shared by every LMS process). save() clears the key built from the row's own values
    (site id), but edx-platform looks SAMLConfiguration up with a Site object, whose key
    holds the domain instead ("configuration/SAMLConfiguration/current/<domain>,default"):
    a stale "not enabled" entry there would make the metadata pull skip the provider and the
    login answer 404 for up to 10 minutes. SAMLProviderData.current() is cached separately
    in the Django cache.
    """
    from django.core.cache import cache
    from edx_django_utils.cache import TieredCache

    configuration = django_apps.get_model("third_party_auth", "SAMLConfiguration")
    provider = django_apps.get_model("third_party_auth", "SAMLProviderConfig")
    data = django_apps.get_model("third_party_auth", "SAMLProviderData")
    slugs = {"default"} | {spec["slug"] for spec in plan.get("saml_configurations", [])}
    keys = [configuration.key_values_cache_key_name(), provider.key_values_cache_key_name()]
    for slug in slugs:
        for site_key in (site.pk, site, site.domain):
            keys.append(configuration.cache_key_name(site_key, slug))
    for spec in plan.get("saml_providers", []):
        keys.append(provider.cache_key_name(spec["slug"]))
        cache.delete(data.cache_key_name(spec["fields"]["entity_id"]))
    for key in keys:
        TieredCache.delete_all_tiers(key)


def pull_saml_metadata(report: Report) -> None:
    """Run Open edX's own metadata pull, what its `saml --pull` management command runs.

    The task lives next to the third_party_auth models: common.djangoapps.third_party_auth
    in the image (a stand-in in the tests). A failed fetch is reported, not raised: an IdP
    that is down must not stop the init job; the login stays unavailable until the next
    pull (Open edX's own periodic task, or this job run again).
    """
    app = django_apps.get_app_config("third_party_auth")
    tasks = importlib.import_module(f"{app.name}.tasks")
    total, skipped, attempted, updated, failed, messages = tasks.fetch_saml_metadata()
    print(
        f"{report.prefix}SAML metadata: {attempted} fetched, {updated} new, {failed} failed, "
        f"{skipped} of {total} providers skipped (disabled, or inline metadata)"
    )
    for message in messages:
        print(f"{report.prefix}SAML metadata failed: " + message.replace("\n", " | "))


def ensure_saml(plan: dict[str, Any], site: Any, report: Report) -> None:
    """The SAML part of run(): configuration, providers, their metadata, then the caches."""
    from django.db import transaction

    configurations = plan.get("saml_configurations", [])
    providers = plan.get("saml_providers", [])
    for spec in configurations:
        ensure_saml_configuration(spec, site, report)
    for spec in providers:
        ensure_saml_provider(spec, site, report)
    disable_removed_saml_providers(plan, site, report)
    if not configurations and not providers:
        return
    if report.dry_run:
        # The pull fetches over HTTP and caches the current() rows it reads, and a rollback
        # undoes neither: the LMS could serve rolled-back rows until the cache expires.
        print(f"{report.prefix}SAML metadata: not fetched in a dry run (the real run does)")
        return
    # Before the pull (it reads current() rows), and again once committed: an LMS process
    # may have cached the old rows in the meantime.
    clear_saml_caches(plan, site)
    transaction.on_commit(lambda: clear_saml_caches(plan, site))
    for spec in providers:
        if spec["metadata_xml"]:
            store_inline_metadata(spec)
    pull_saml_metadata(report)
