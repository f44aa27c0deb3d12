"""``saml``: a SAML 2.0 identity provider, through edx-platform's own ``tpa-saml`` backend.

An IdP is its entity id plus its metadata (a URL Open edX fetches and refreshes, or inline
XML); its attributes map to SAMLProviderConfig's ``attr_*`` fields (eduPerson names by
default). Open edX is the service provider, one per platform (core/read_saml.py reads its
key pair); the IdP's admin registers it from `tutor lmsbridge credentials`.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from ..core.connected_apps import ConnectedApp, Provider, SamlIdentityProvider
from ..core.plan import ProviderConfig, SamlProvider
from ..core.presets import SAML_ATTRIBUTES
from .base import SAML_VERIFY_KIND, LoginProtocol, row_fields

if TYPE_CHECKING:
    from ..core.config_values import AppValues
    from ..core.keys import AppView
    from ..core.plan import Plan
    from ..output.reports import Finding

HTTP_POST_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


class Saml(LoginProtocol):
    name = "saml"
    # No client, no internal URL or logout URL: the metadata says where the IdP is.
    keys = frozenset(
        {
            "ENTITY_ID",
            "METADATA",
            "MDQ",
            "METADATA_SIGNING_CERT",
            *(f"ATTR_{field.upper()}" for field, _, _ in SAML_ATTRIBUTES),
        }
    )
    verify_kind = SAML_VERIFY_KIND
    # edx-platform's associate_by_email_if_saml links only enterprise customers' learners,
    # so core edx never links a SAML login by email; assertions carry no email_verified.
    link_default = "never"
    safer_link = "never"
    # An institution's directory confirmed the email before the IdP releases it.
    verifies_emails = True
    url_query = True
    registration_fingerprinted = True

    def default(self, app: AppView, setting: str) -> Any:
        if setting == "SLUG":
            return app.name  # the provider id is then saml-<app>
        return super().default(app, setting)

    def read_app(
        self, values: AppValues, warnings: list[tuple[str, str]], today: datetime.date
    ) -> ConnectedApp:
        """The LMS fetches the metadata itself (no internal URL), and the browser only
        visits the IdP's single sign-on page (no logout URL for Open edX to call)."""
        from ..core.read_saml import read_saml_provider  # XML and keys: SAML apps only

        provider, url = read_saml_provider(values, warnings)
        return ConnectedApp(
            name=values.name,
            preset=values.preset,
            url=url,
            internal_url=url,
            logout_url="",
            provider=provider,
            client=None,
        )

    def plan_row(
        self, app: ConnectedApp, provider: Provider, trust: dict[str, bool]
    ) -> ProviderConfig | SamlProvider:
        assert isinstance(provider, SamlIdentityProvider)
        idp = provider.idp
        return SamlProvider(
            **row_fields(app, provider, trust),
            entity_id=idp.entity_id,
            metadata_source=idp.metadata_url,
            metadata_xml=idp.metadata_xml,
            attributes=idp.attributes,
            metadata_signing_cert=idp.metadata_signing_cert,
        )

    def registration(self, plan: Plan, app: ConnectedApp, dev: bool) -> dict[str, Any]:
        """Open edX as a service provider, for the IdP's admin (never its private key)."""
        from ..core.saml_security import expectations
        from ..core.saml_values import pem_certificate
        from ..output.reports import fingerprint

        provider, sp = app.provider, plan.bridge.saml_sp
        if not isinstance(provider, SamlIdentityProvider) or sp is None:
            return {}
        lms = plan.bridge.platform.lms_url(dev)
        return {
            "sp_entity_id": sp.entity_id,
            "sp_metadata_url": f"{lms}/auth/saml/metadata.xml",
            "assertion_consumer_service_url": f"{lms}/auth/complete/tpa-saml/",
            "assertion_consumer_service_binding": HTTP_POST_BINDING,
            "login_url": f"{lms}{provider.login_path}",
            "attributes": dict(provider.idp.attributes),
            "sp_certificate_sha256": fingerprint(sp.certificate),
            "sp_certificate": pem_certificate(sp.certificate),
            # What Open edX refuses (LMSBRIDGE_SAML_SECURITY): the IdP must send it this way.
            "sp_requires": expectations(sp.security),
            # A key rollover under way (LMSBRIDGE_SP_NEXT_PRIVATE_KEY): the IdP may import it
            # now; it is in the SP metadata too.
            **(
                {
                    "sp_next_certificate_sha256": fingerprint(sp.next_certificate),
                    "sp_next_certificate": pem_certificate(sp.next_certificate),
                }
                if sp.next_certificate
                else {}
            ),
        }

    def registration_lines(self, app: ConnectedApp, registration: dict[str, Any]) -> list[str]:
        """For the IdP's admin: Open edX as a service provider (SP metadata URL first: most
        IdPs import it), then each value for those that are configured by hand."""
        title = app.provider.title if app.provider is not None else app.name
        attributes = registration["attributes"]
        return [
            f"# {title} ({app.name}): register Open edX as a SAML service provider at the IdP",
            f"# SP entity id: {registration['sp_entity_id']}",
            f"# SP metadata URL: {registration['sp_metadata_url']}",
            f"# assertion consumer service URL (HTTP-POST): "
            f"{registration['assertion_consumer_service_url']}",
            f"# login URL (SP-initiated): {registration['login_url']}",
            "# attributes to release: "
            + ", ".join(f"{field[5:]} {name}" for field, name in attributes.items()),
            *(f"# Open edX requires: {line}" for line in registration["sp_requires"]),
            f"# SP certificate (signing and encryption), SHA-256 "
            f"{registration['sp_certificate_sha256']}:",
            registration["sp_certificate"],
            *(
                [
                    "# next SP certificate (key rollover: already in the SP metadata; Open edX "
                    "switches to it when LMSBRIDGE_SP_PRIVATE_KEY takes the next key), SHA-256 "
                    f"{registration['sp_next_certificate_sha256']}:",
                    registration["sp_next_certificate"],
                ]
                if "sp_next_certificate" in registration
                else []
            ),
        ]

    def probe(self, plan: Plan, app: ConnectedApp, timeout: float) -> list[Finding]:
        """Metadata, entity id, single sign-on endpoint, signing certificate (inline
        metadata is checked as given)."""
        from ..output.reports import Finding
        from ..output.saml_probe import check_metadata, probe_saml

        provider = app.provider
        if not isinstance(provider, SamlIdentityProvider):
            return []
        idp, key = provider.idp, app.key_prefix.rstrip("_")
        entity_key = f"{app.key_prefix}ENTITY_ID"  # named in the fix of a mismatch
        found = (
            probe_saml(
                idp.metadata_url,
                idp.entity_id,
                timeout,
                entity_key=entity_key,
                pinned=idp.metadata_signing_cert,
            )
            if idp.metadata_url
            else check_metadata(
                idp.metadata_xml, "inline metadata", idp.entity_id, entity_key=entity_key
            )
        )
        return [Finding(level, key, message) for level, message in found]


PROTOCOL = Saml()
