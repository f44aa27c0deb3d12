"""SAML apps as an operator configures them, and what the plugin makes of them: the init plan
and the LMS settings (SP private key) the real pipeline computes, for the database and e2e
tests."""

from __future__ import annotations

from typing import Any

from tutor_lmsbridge.core.pipeline import plan_for
from tutor_lmsbridge.core.plan import Plan

from .samples import PLATFORM, sp_private_key

__all__ = ["MARKER", "saml_app", "saml_plan", "sp_private_key"]

MARKER = "lmsbridge_app"


def saml_app(
    app: str,
    entity_id: str,
    metadata_url: str | None = None,
    metadata_xml: str | None = None,
    **settings: Any,
) -> dict[str, Any]:
    """The keys of one `saml` app: the two an operator sets for an IdP that publishes its
    metadata (URL, ENTITY_ID), or METADATA instead of URL; ``settings`` add others by their
    setting name (``PROVIDER_NAME="..."``)."""
    prefix = f"LMSBRIDGE_{app.upper()}_"
    config: dict[str, Any] = {
        "LMSBRIDGE_APPS": [app],
        prefix + "PRESET": "saml",
        prefix + "ENTITY_ID": entity_id,
    }
    if metadata_url is not None:
        config[prefix + "URL"] = metadata_url
    if metadata_xml is not None:
        config[prefix + "METADATA"] = metadata_xml
    config.update({prefix + name: value for name, value in settings.items()})
    return config


def saml_plan(config: dict[str, Any], key: str | None = None) -> Plan:
    """The plan of ``config`` on the sample platform, with the SP key ``key``."""
    return plan_for({**PLATFORM, "LMSBRIDGE_SP_PRIVATE_KEY": key or sp_private_key(), **config})
