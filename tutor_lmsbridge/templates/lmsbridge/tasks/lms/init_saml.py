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
# - SAMLProviderData (the IdP's SSO URL and signing certificates, one row per certificate),
#   written by Open edX's own metadata parser and store (third_party_auth.utils
#   parse_metadata_xml, create_or_update_bulk_saml_provider_data). The plugin fetches its
#   providers' metadata itself (pull_provider_metadata): streaming, so that a federation's
#   aggregate never sits in memory as a tree; verified first against a pinned certificate
#   (METADATA_SIGNING_CERT); and followed by the removal of the rows whose certificate the
#   IdP no longer publishes, which edx never deletes and keeps trusting.
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
#       "metadata_xml": "" or the IdP's metadata, "metadata_signing_cert": "" or a certificate
#       body (pinned), "other_settings": {"lmsbridge_app": ...}}]

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


def third_party_auth_module(name: str) -> Any:
    """edx-platform's third_party_auth.<name> (common.djangoapps.third_party_auth in the
    image, a stand-in in the tests), found next to its models."""
    app = django_apps.get_app_config("third_party_auth")
    return importlib.import_module(f"{app.name}.{name}")


def prune_saml_provider_data(entity_id: str, public_keys: list[str]) -> int:
    """Delete the SAMLProviderData rows of ``entity_id`` whose certificate is not among
    ``public_keys`` (those the IdP publishes now). edx-platform stores one row per
    certificate and trusts every valid row (SAMLProviderConfig.get_config, x509certMulti),
    but never deletes one: a certificate the IdP retired, or lost, would keep signing valid
    logins. A rotation's old and new certificates, both published, both stay. Returns the
    number of rows deleted (and writes nothing when there are none)."""
    model = django_apps.get_model("third_party_auth", "SAMLProviderData")
    stale = list(
        model.objects.filter(entity_id=entity_id)
        .exclude(public_key__in=public_keys)
        .values_list("pk", flat=True)
    )
    if stale:
        model.objects.filter(pk__in=stale).delete()
    return len(stale)


def store_metadata(spec: dict[str, Any], xml: Any, where: str) -> bool:
    """Parse and store ``xml`` (an lxml element) for ``spec``'s entity with edx-platform's
    own functions, then remove the certificates it no longer lists. True if rows are new."""
    utils = third_party_auth_module("utils")
    entity_id = spec["fields"]["entity_id"]
    public_keys, sso_url, expires_at = utils.parse_metadata_xml(xml, entity_id)
    new = utils.create_or_update_bulk_saml_provider_data(
        entity_id, public_keys, sso_url, expires_at
    )
    removed = prune_saml_provider_data(entity_id, public_keys)
    gone = f", {removed} no longer published removed" if removed else ""
    print(
        f"lmsbridge: SAML metadata of {spec['provider_id']} ({where}): "
        f"{'new' if new or removed else 'unchanged'}, {len(public_keys)} signing "
        f"certificate(s){gone}"
    )
    return bool(new or removed)


def store_inline_metadata(spec: dict[str, Any]) -> None:
    """Inline metadata, parsed and stored by edx-platform's own functions (the ones its
    metadata pull uses), for an IdP that publishes no metadata URL."""
    from lxml import etree

    utils = third_party_auth_module("utils")
    parser = etree.XMLParser(remove_comments=True, resolve_entities=False, no_network=True)
    try:
        xml = etree.fromstring(spec["metadata_xml"].encode(), parser)
        store_metadata(spec, xml, "inline")
    except (etree.XMLSyntaxError, utils.MetadataParseError) as error:
        print(f"lmsbridge: SAML metadata of {spec['provider_id']} (inline) failed: {error}")


# The metadata fetch: a connection within 10 s, then no pause over 60 s between two reads.
METADATA_TIMEOUT = (10, 60)
# The fix of a provider whose metadata was not stored: the probe fetches and checks it as the
# pull does (the pinned signature included), the refresh job pulls it again and nothing else.
METADATA_FIX = (
    "check the IdP's metadata with `tutor lmsbridge check --probe`, then run "
    "`tutor local|dev|k8s do lmsbridge-refresh-saml`"
)
# ... and of a provider made by hand, which Open edX's own pull fetches.
OTHER_METADATA_FIX = (
    "correct the Metadata Source of the provider with that entity id in Django admin "
    "(Provider Configuration (SAML IdP)), then run `tutor local|dev|k8s do lmsbridge-refresh-saml`"
)


def pull_provider_metadata(spec: dict[str, Any]) -> bool:
    """Fetch one provider's metadata (its URL, or its MDQ URL), verify it against the pinned
    certificate if there is one, find the entity by streaming, then store it with edx's
    parser and store (store_metadata). True if rows are new or removed.

    Raises requests' errors, MetadataParseError, or MetadataProblem (a refused signature
    among them) before anything is written: the last good metadata stays.
    """
    import requests
    from lmsbridge_openedx import saml_metadata
    from lxml import etree

    url, entity_id = spec["fields"]["metadata_source"], spec["fields"]["entity_id"]
    pinned = spec.get("metadata_signing_cert", "")
    headers = {"Accept": "application/samlmetadata+xml"}
    with requests.get(url, stream=True, timeout=METADATA_TIMEOUT, headers=headers) as response:
        response.raise_for_status()
        chunks = response.iter_content(saml_metadata.CHUNK)
        if pinned:
            # The signature covers the whole document: it is read (bounded), verified, and
            # only then searched.
            document = bytearray()
            for chunk in chunks:
                document += chunk
                if len(document) > saml_metadata.PINNED_MAX_BYTES:
                    break
            saml_metadata.verify_signature(bytes(document), pinned)
            found = saml_metadata.find_entity_in(bytes(document), entity_id)
        else:
            found = saml_metadata.find_entity(chunks, entity_id)
    if found.entity is None:
        utils = third_party_auth_module("utils")
        raise utils.MetadataParseError(f"Can't find EntityDescriptor for entityID {entity_id}")
    parser = etree.XMLParser(remove_comments=True, resolve_entities=False, no_network=True)
    xml = etree.fromstring(saml_metadata.entity_document(found), parser)
    return store_metadata(spec, xml, "pinned signature verified" if pinned else "fetched")


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


def pull_saml_metadata(report: Report, providers: list[dict[str, Any]] | None = None) -> None:
    """Pull the metadata of the plugin's SAML providers (``providers``: the plan's
    saml_providers; by default those of the LMSBRIDGE_INIT_PLAN setting), each with
    pull_provider_metadata; then Open edX's own pull (what `saml --pull` runs) for the SAML
    providers the plugin did not make, if any.

    A failure is reported, not raised, and stores nothing: an IdP that is down, or metadata
    whose pinned signature does not verify, must not stop the job, and the provider keeps
    its last good metadata until the next pull (this job run again, or a refresh). Each is
    one line naming the provider, the URL and the fix, and is kept in
    ``report.metadata_failed``: the refresh job exits non-zero on it once the others are
    stored (refresh_saml.py); the init job, part of `launch`, does not.
    """
    import requests
    from django.conf import settings
    from lmsbridge_openedx.saml_metadata import MetadataProblem

    if providers is None:
        plan = getattr(settings, "LMSBRIDGE_INIT_PLAN", None) or {}
        providers = plan.get("saml_providers", [])
    utils = third_party_auth_module("utils")
    fetched = [spec for spec in providers if spec["fields"]["metadata_source"]]
    updated, failures = 0, []
    for spec in fetched:
        url, provider = spec["fields"]["metadata_source"], spec["provider_id"]
        try:
            updated += pull_provider_metadata(spec)
            continue
        except (requests.RequestException, utils.MetadataParseError) as error:
            # edx-platform's message shape (tasks.fetch_saml_metadata), on one line, then
            # whose metadata it is and the fix.
            problem = one_line(f"{type(error).__name__}: {error}")
            failures.append(
                f"{problem} | Metadata Source: {url} | Entity ID: "
                f"{spec['fields']['entity_id']} | {provider} (app {spec['app']}): the last "
                f"good metadata stays in use; fix: {METADATA_FIX}"
            )
        except MetadataProblem as error:
            # One line naming the app: the operator sees which IdP's metadata was refused.
            failures.append(
                f"{provider} (app {spec['app']}): metadata from {url} refused, "
                f"{one_line(str(error))}; the last good metadata stays in use; fix: {METADATA_FIX}"
            )
        report.metadata_failed.append(provider)
    print(
        f"{report.prefix}SAML metadata: {len(fetched)} fetched, {updated} new, "
        f"{len(failures)} failed, {len(providers) - len(fetched)} of {len(providers)} "
        "providers skipped (disabled, or inline metadata)"
    )
    for message in failures:
        print(f"{report.prefix}SAML metadata failed: {message}")
    pull_other_saml_metadata(report, {spec["slug"] for spec in providers})


def pull_other_saml_metadata(report: Report, ours: set[str]) -> None:
    """Open edX's own metadata pull, for SAML providers an operator made by hand (the init
    job ran it for every provider before the plugin pulled its own): only when there is
    one to refresh, as that pull also fetches the plugin's unpinned providers again."""
    model = django_apps.get_model("third_party_auth", "SAMLProviderConfig")
    others = [
        config
        for config in (model.current(slug) for slug in model.key_values("slug", flat=True))
        if config.slug not in ours and config.enabled and config.automatic_refresh_enabled
    ]
    if not others:
        return
    tasks = third_party_auth_module("tasks")
    _, _, attempted, updated, failed, messages = tasks.fetch_saml_metadata()
    print(
        f"{report.prefix}SAML metadata of other providers (Open edX's pull): {attempted} "
        f"fetched, {updated} new, {failed} failed"
    )
    for message in messages:
        print(
            f"{report.prefix}SAML metadata failed: {one_line(message, ' | ').rstrip('.')}; fix: "
            + OTHER_METADATA_FIX
        )
    if failed:
        report.metadata_failed.append(f"{failed} metadata source(s) of Open edX's own pull")


def one_line(text: str, separator: str = " ") -> str:
    """``text`` on one line: an error's message may span several (edx's own do)."""
    return separator.join(part.strip() for part in text.splitlines() if part.strip())


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
    pull_saml_metadata(report, providers)
