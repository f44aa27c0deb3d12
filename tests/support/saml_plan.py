"""The SAML part of an init plan, built by hand in the shape the plugin renders, and the init
job's Python with init_saml.py included the way the job will include it (after
init_objects.py's definitions, before run())."""

from pathlib import Path
from typing import Any

TASKS = Path(__file__).parents[2] / "tutor_lmsbridge" / "templates" / "lmsbridge" / "tasks" / "lms"
MARKER = "lmsbridge_app"
# edx-platform checks that the Site's "default" SAMLConfiguration is enabled before any
# SAML login, whatever configuration the provider points to.
DEFAULT_GATE = "default"

DRIVER = """
def run_saml() -> None:
    plan = settings.LMSBRIDGE_INIT_PLAN
    report = Report()
    with transaction.atomic():
        site = Site.objects.get(pk=settings.SITE_ID)
        ensure_saml(plan, site, report)
    report.summary()


run_saml()
"""


def init_code() -> str:
    # init_objects.py only defines; the task template calls run() after it.
    definitions = (TASKS / "init_objects.py").read_text()
    return definitions + "\n\n" + (TASKS / "init_saml.py").read_text() + DRIVER


def saml_plan(
    lms_url: str, slug: str, idp_slug: str, idp_entity_id: str, metadata_url: str
) -> dict[str, Any]:
    """An init plan with one SP configuration (keys from the settings, by slug), the
    "default" gate, and one identity provider."""
    org_info = {"en-US": {"url": lms_url, "displayname": "Open edX", "name": "openedx"}}
    configuration = {
        "enabled": True,
        "entity_id": f"{lms_url}/saml",
        "org_info": org_info,
        "other_config": {"SECURITY_CONFIG": {"metadataCacheDuration": 604800}},
    }
    return {
        "marker": MARKER,
        "provider_prefix": "oa2",
        "users": [],
        "applications": [],
        "tokens": [],
        "providers": [],
        "saml_configurations": [
            {**configuration, "slug": slug},
            {**configuration, "slug": DEFAULT_GATE},
        ],
        "saml_providers": [
            {
                "slug": idp_slug,
                "name": "Example University",
                "enabled": True,
                "visible": True,
                "configuration": slug,
                "entity_id": idp_entity_id,
                "metadata_source": metadata_url,
                "attributes": {
                    "attr_user_permanent_id": "urn:oid:0.9.2342.19200300.100.1.1",
                    "attr_full_name": "urn:oid:2.16.840.1.113730.3.1.241",
                    "attr_first_name": "urn:oid:2.5.4.42",
                    "attr_last_name": "urn:oid:2.5.4.4",
                    "attr_username": "urn:oid:0.9.2342.19200300.100.1.1",
                    "attr_email": "urn:oid:0.9.2342.19200300.100.1.3",
                },
                "skip_hinted_login_dialog": True,
                "skip_registration_form": True,
                "skip_email_verification": True,
                "send_to_registration_first": False,
                "sync_learner_profile_data": True,
                "enable_sso_id_verification": False,
                "other_settings": {MARKER: idp_slug},
            }
        ],
    }
