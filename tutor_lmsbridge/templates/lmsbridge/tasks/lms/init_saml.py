# tutor-contrib-lmsbridge init job, SAML part: included after init_objects.py's definitions
# (it uses Report, load_json, current_provider, insert_provider_row and ensure_history_row
# from there) and before
# run(). Plain Python, no Jinja markers.
#
# Open edX as a SAML service provider needs three kinds of rows (third_party_auth):
# - SAMLConfiguration (the SP: entity id, organisation, python-saml options), keyed on
#   (site, slug). Its key pair stays EMPTY in the database: edx-platform then reads
#   SOCIAL_AUTH_SAML_SP_PRIVATE_KEY_DICT / SOCIAL_AUTH_SAML_SP_PUBLIC_CERT_DICT[slug] (or the
#   plain SOCIAL_AUTH_SAML_SP_PRIVATE_KEY / _PUBLIC_CERT for slug "default") from the settings.
#   Note: edx's SAML backend refuses every login (404) and serves no SP metadata unless the
#   Site's "default" SAMLConfiguration is enabled, whatever slug the provider points to.
# - SAMLProviderConfig (one IdP), keyed on slug alone, pointing to its SAMLConfiguration.
# - SAMLProviderData (the IdP's SSO URL and signing certificates), written only by Open edX's
#   own metadata pull (third_party_auth.tasks.fetch_saml_metadata), which we call.
#
# Both configuration models are ConfigurationModels: a new history row only when a managed
# field differs, copied from the current row so unmanaged fields keep the operator's values.
#
# Plan keys read here (LMSBRIDGE_INIT_PLAN):
#   "saml_configurations": [{
#       "slug": "default",                  # SAMLConfiguration.slug (<= 30, a slug)
#       "enabled": True,
#       "entity_id": "http://local.openedx.io/saml",   # the SP's entity id
#       "org_info": {"en-US": {"url": ..., "displayname": ..., "name": ...}},
#       "other_config": {"SECURITY_CONFIG": {...}, "SP_EXTRA": {...}},   # python-saml options
#   }]
#   "saml_providers": [{
#       "slug": "idp", "name": "Example University",   # provider id saml-<slug>; login at
#           /auth/login/tpa-saml/?auth_entry=login&idp=<slug>
#       "enabled": True, "visible": False,
#       "configuration": "default",         # slug of one of saml_configurations
#       "entity_id": "https://idp.example.edu/idp/shibboleth",
#       "metadata_source": "https://idp.example.edu/idp/shibboleth",   # metadata URL
#       "attributes": {"attr_user_permanent_id": "urn:oid:...", "attr_full_name": ...,
#                      "attr_first_name": ..., "attr_last_name": ..., "attr_username": ...,
#                      "attr_email": ...},   # every SAML_ATTRIBUTE_FIELDS key, "" = edx default
#       "skip_hinted_login_dialog": True, "skip_registration_form": True,
#       "skip_email_verification": True, "send_to_registration_first": False,
#       "sync_learner_profile_data": True, "enable_sso_id_verification": False,
#       "other_settings": {"lmsbridge_app": "<app>", ...},   # the plan's marker key included
#   }]

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

SAML_ATTRIBUTE_FIELDS = (
    "attr_user_permanent_id",
    "attr_full_name",
    "attr_first_name",
    "attr_last_name",
    "attr_username",
    "attr_email",
)
SAML_PROVIDER_FLAGS = (
    "enabled",
    "name",
    "visible",
    "skip_hinted_login_dialog",
    "skip_registration_form",
    "skip_email_verification",
    "send_to_registration_first",
    "sync_learner_profile_data",
    "enable_sso_id_verification",
)


def current_saml_configuration(model: Any, site: Any, slug: str) -> Any:
    """Newest row for (site, slug), read from the database (current() may be cached)."""
    return model.objects.filter(site_id=site.pk, slug=slug).order_by("-change_date", "-id").first()


def ensure_saml_configuration(spec: dict[str, Any], site: Any, report: Report) -> Any:
    model = django_apps.get_model("third_party_auth", "SAMLConfiguration")
    name = f"SAML configuration {spec['slug']}"
    desired = {
        "enabled": spec["enabled"],
        "site_id": site.pk,
        "slug": spec["slug"],
        "entity_id": spec["entity_id"],
        # Empty keys make edx read the pair from the settings: never a key in the database.
        "private_key": "",
        "public_key": "",
    }
    current = current_saml_configuration(model, site, spec["slug"])
    if current is not None:
        changed = [field for field, value in desired.items() if getattr(current, field) != value]
        if load_json(current.org_info_str) != spec["org_info"]:
            changed.append("org_info_str")
        if load_json(current.other_config_str) != spec["other_config"]:
            changed.append("other_config_str")
        if not changed:
            report.line("SAML", name, "unchanged")
            return current
    values = {
        **desired,
        "org_info_str": json.dumps(spec["org_info"], indent=2, sort_keys=True),
        "other_config_str": json.dumps(spec["other_config"], indent=2, sort_keys=True),
    }
    insert_provider_row(current, model, values)
    if current is None:
        report.line("SAML", name, "created")
    else:
        report.line("SAML", name, "updated", changed)
    return current_saml_configuration(model, site, spec["slug"])


def ensure_saml_provider(
    spec: dict[str, Any], configuration: Any, site: Any, report: Report
) -> None:
    model = django_apps.get_model("third_party_auth", "SAMLProviderConfig")
    name = f"saml-{spec['slug']}"
    desired = {field: spec[field] for field in SAML_PROVIDER_FLAGS}
    desired.update({field: spec["attributes"][field] for field in SAML_ATTRIBUTE_FIELDS})
    desired.update(
        {
            "slug": spec["slug"],
            "site_id": site.pk,
            "backend_name": "tpa-saml",
            "entity_id": spec["entity_id"],
            "metadata_source": spec["metadata_source"],
            "saml_configuration_id": configuration.pk,
        }
    )
    current = current_provider(model, site, "tpa-saml", spec["slug"])
    ensure_history_row(
        "SAML provider", name, model, current, desired, spec["other_settings"], report
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
        cache.delete(data.cache_key_name(spec["entity_id"]))
    for key in keys:
        TieredCache.delete_all_tiers(key)


def pull_saml_metadata(report: Report) -> None:
    """Run Open edX's own metadata pull, the same as `./manage.py lms saml --pull`.

    The task lives next to the third_party_auth models: common.djangoapps.third_party_auth
    in the image (a stand-in in the tests). A failed fetch is reported, not raised: an IdP
    that is down must not stop the init job; the login stays unavailable until the next
    pull (Open edX's own periodic task, or this job run again).
    """
    app = django_apps.get_app_config("third_party_auth")
    tasks = importlib.import_module(f"{app.name}.tasks")
    total, skipped, attempted, updated, failed, messages = tasks.fetch_saml_metadata()
    print(
        f"lmsbridge: SAML metadata: {attempted} fetched, {updated} new, {failed} failed, "
        f"{skipped} of {total} providers skipped (disabled)"
    )
    for message in messages:
        print("lmsbridge: SAML metadata failed: " + message.replace("\n", " | "))


def ensure_saml(plan: dict[str, Any], site: Any, report: Report) -> None:
    """The SAML part of run(): configurations, providers, then the metadata pull."""
    if not plan.get("saml_configurations") and not plan.get("saml_providers"):
        disable_removed_saml_providers(plan, site, report)
        return
    configurations = {
        spec["slug"]: ensure_saml_configuration(spec, site, report)
        for spec in plan.get("saml_configurations", [])
    }
    for spec in plan.get("saml_providers", []):
        ensure_saml_provider(spec, configurations[spec["configuration"]], site, report)
    disable_removed_saml_providers(plan, site, report)
    clear_saml_caches(plan, site)
    pull_saml_metadata(report)
