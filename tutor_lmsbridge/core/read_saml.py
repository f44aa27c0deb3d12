"""Direction A over SAML 2.0: read a SAML identity provider, and Open edX's service-provider side.

An IdP is its entity id plus its metadata, from a URL (Open edX fetches and refreshes it) or
given inline (``METADATA``); the attribute mapping defaults to eduPerson names. The service
provider is one per Open edX (the ``default`` SAMLConfiguration of the LMS Site): entity id,
organisation, and the key pair derived from ``LMSBRIDGE_SP_PRIVATE_KEY``.
"""

from __future__ import annotations

import re
from typing import Any

from .config_values import AppValues, ConfigValues
from .connected_apps import (
    ConnectedApp,
    Platform,
    SamlIdentityProvider,
    SamlIdp,
    SamlServiceProvider,
)
from .errors import ConfigError, show_value
from .keys import GLOBAL_BY_SETTING
from .presets import PROVIDER_FLAGS, SAML_ATTRIBUTES, SAML_BACKEND, LinkPolicy
from .read_provider import read_link_policy
from .saml_values import DS, MD, find_entity, parse_xml_safely, redirect_sso_url, sp_key_pair
from .url_values import BaseUrl, parse_base_url

# edx-platform's SAMLProviderConfig.other_settings keys are camelCase (requiredEntitlements,
# extra_field_definitions).
SAML_SETTING_NAME_RE = r"[A-Za-z][A-Za-z0-9_]*"


def read_saml_provider(
    values: AppValues, warnings: list[tuple[str, str]]
) -> tuple[SamlIdentityProvider, BaseUrl]:
    """The provider, and the IdP's browser-facing URL (its metadata URL, or for inline
    metadata its single sign-on endpoint)."""
    entity_id: str = values.get("ENTITY_ID")
    xml: str = values.get("METADATA")
    mdq: BaseUrl | None = values.get("MDQ")
    pinned: str = values.get("METADATA_SIGNING_CERT")
    url_key, xml_key, mdq_key = values.key("URL"), values.key("METADATA"), values.key("MDQ")
    raw_url = values.values.raw(url_key)
    if xml and raw_url not in (None, ""):
        raise ConfigError(
            xml_key,
            f"is set together with {url_key}: Open edX reads the metadata from one place",
            f"keep {url_key} (the IdP publishes its metadata) and remove {xml_key}",
            "",
        )
    if mdq is not None and (xml or raw_url not in (None, "")):
        other = xml_key if xml else url_key
        raise ConfigError(
            mdq_key,
            f"is set together with {other}: Open edX reads the metadata from one place "
            f"(with {mdq_key}, from <MDQ>/entities/<ENTITY_ID>)",
            f"keep {mdq_key} and remove {other}",
            "",
        )
    if xml and pinned:
        cert_key = values.key("METADATA_SIGNING_CERT")
        raise ConfigError(
            cert_key,
            f"pins the signature of fetched metadata; {xml_key} is given, not fetched",
            f"remove {cert_key}, or give the IdP's metadata URL (or MDQ) instead of {xml_key}",
            "",
        )
    if xml:
        metadata_url = ""
        browser_url = _check_inline_metadata(xml_key, xml, entity_id, values.key("ENTITY_ID"))
    elif mdq is not None:
        from .metadata_tools import mdq_url

        browser_url = mdq
        metadata_url = mdq_url(str(mdq), entity_id)
        if mdq.scheme == "http" and not pinned:
            warnings.append(
                (
                    mdq_key,
                    f"{mdq_key} is plain HTTP: anyone on the way can swap the IdP's "
                    f"certificate; use https://, or pin the federation's signing certificate "
                    f"({values.key('METADATA_SIGNING_CERT')})",
                )
            )
    else:
        browser_url = values.get("URL")
        metadata_url = str(raw_url).strip()
        # A pinned signature protects the metadata on any transport.
        if browser_url.scheme == "http" and not pinned:
            warnings.append(
                (
                    url_key,
                    f"{metadata_url} is plain HTTP: Open edX fetches it but logs it as insecure "
                    "(anyone on the way can swap the IdP's certificate); use the https:// URL",
                )
            )
    provider = SamlIdentityProvider(
        backend=SAML_BACKEND,
        title=values.get("PROVIDER_NAME"),
        slug=values.get("SLUG"),
        visible=values.get("VISIBLE"),
        flags={flag: values.get(flag.upper()) for flag in PROVIDER_FLAGS},
        other_settings=_other_settings(values),
        link_by_email=_saml_link_policy(values, warnings),
        idp=SamlIdp(
            entity_id=entity_id,
            metadata_url=metadata_url,
            metadata_xml=xml,
            attributes={
                f"attr_{field}": values.get(f"ATTR_{field.upper()}")
                for field, _, _ in SAML_ATTRIBUTES
            },
            metadata_signing_cert=pinned,
        ),
    )
    return provider, browser_url


def _saml_link_policy(values: AppValues, warnings: list[tuple[str, str]]) -> LinkPolicy:
    """``verified`` needs the provider to say it verified the email: a SAML assertion has no
    such statement (the IdP releases the mail attribute it holds), so only ``never`` and
    ``trusted`` mean something here."""
    policy = read_link_policy(values, warnings)
    if policy == "verified":
        raise ConfigError(
            values.key("LINK_BY_EMAIL"),
            "SAML assertions carry no email_verified, so 'verified' cannot be checked",
            "use never, or trusted for an IdP whose mail attribute you trust",
            "never",
        )
    return policy


def _check_inline_metadata(key: str, xml: str, entity_id: str, entity_key: str) -> BaseUrl:
    """What edx-platform's metadata parser will need, said now: the entity, an SSO endpoint
    with the HTTP-Redirect binding, a certificate. Returns that endpoint as a URL."""
    root = parse_xml_safely(xml)
    entity = find_entity(root, entity_id)
    if entity is None:
        announced = root.get("entityID")
        if root.tag == f"{{{MD}}}EntityDescriptor" and announced:
            raise ConfigError(
                entity_key,
                f"{show_value(entity_id)} is not the entity {key} describes "
                f"({show_value(announced)})",
                "use the entityID the metadata announces",
                announced,
            )
        raise ConfigError(
            key,
            f"describes no entity {show_value(entity_id)} ({entity_key})",
            f"give the metadata of that IdP, or set {entity_key} to the entityID it announces",
        )
    sso_url = redirect_sso_url(entity)
    if not sso_url:
        raise ConfigError(
            key,
            "has no SingleSignOnService with the HTTP-Redirect binding (the only one Open edX "
            "sends learners with)",
            "give the IdP's full metadata",
        )
    if not entity.findall(
        f"{{{MD}}}IDPSSODescriptor/{{{MD}}}KeyDescriptor//{{{DS}}}X509Certificate"
    ):
        raise ConfigError(
            key, "holds no signing certificate (X509Certificate)", "give the IdP's full metadata"
        )
    return parse_base_url(key, sso_url, allow_query=True)


def _other_settings(values: AppValues) -> dict[str, Any]:
    extra: dict[str, Any] = values.get("OTHER_SETTINGS")
    for name in extra:
        if not re.fullmatch(SAML_SETTING_NAME_RE, name):
            raise ConfigError(
                values.key("OTHER_SETTINGS"),
                f"{show_value(name)} is not a provider setting name",
                "",
                "{requiredEntitlements: ['urn:mace:dir:entitlement:common-lib-terms']}",
            )
    return dict(sorted(extra.items()))


# Hours a refresh schedule can keep regular: cron's hour field steps restart at midnight, so
# only divisors of 24 (and 24, once a day) give the same interval all day long.
REFRESH_HOURS = (0, 1, 2, 3, 4, 6, 8, 12, 24)


def read_service_provider(
    values: ConfigValues, platform: Platform, warnings: list[tuple[str, str]]
) -> SamlServiceProvider:
    from .saml_security import read_security, weakened

    security_key = GLOBAL_BY_SETTING["SAML_SECURITY"].name()
    security = read_security(security_key, values.get("SAML_SECURITY"))
    warnings.extend((security_key, problem) for problem in weakened(security))
    hours: int = values.get("SAML_REFRESH_HOURS")
    if hours not in REFRESH_HOURS:
        raise ConfigError(
            GLOBAL_BY_SETTING["SAML_REFRESH_HOURS"].name(),
            f"{hours} hours does not divide a day: the schedule would drift at midnight",
            "use one of " + ", ".join(map(str, REFRESH_HOURS[1:])) + ", or 0 for no schedule",
            "6",
        )
    key_name = GLOBAL_BY_SETTING["SP_PRIVATE_KEY"].name()
    private_pem: str = values.get("SP_PRIVATE_KEY", platform)
    try:
        pair = sp_key_pair(private_pem, platform.lms_host)
    except ValueError as exc:  # KeyProblem, already checked by the kind's parser
        raise ConfigError(key_name, f"the value {exc}", "unset it", "") from None
    return SamlServiceProvider(
        next_certificate=_next_certificate(values, platform, pair.certificate),
        entity_id=values.get("SP_ENTITY_ID", platform),
        org_name=values.get("SP_ORG_NAME", platform),
        org_url=values.get("SP_ORG_URL", platform),
        private_key=pair.private_key,
        certificate=pair.certificate,
        security=security,
        refresh_hours=hours,
    )


def _next_certificate(values: ConfigValues, platform: Platform, current: str) -> str:
    """The certificate of LMSBRIDGE_SP_NEXT_PRIVATE_KEY, or "" when it is unset."""
    spec = GLOBAL_BY_SETTING["SP_NEXT_PRIVATE_KEY"]
    if values.raw(spec.name()) in (None, ""):
        return ""
    pair = sp_key_pair(values.get("SP_NEXT_PRIVATE_KEY"), platform.lms_host)
    if pair.certificate == current:
        raise ConfigError(
            spec.name(),
            f"is the current key ({GLOBAL_BY_SETTING['SP_PRIVATE_KEY'].name()}): there is "
            "nothing to roll over to",
            "give a new key (openssl genrsa 2048), or unset it",
        )
    return pair.certificate


def check_unique_saml(apps: tuple[ConnectedApp, ...]) -> None:
    """Open edX keys SAML providers on their slug, and expects one per entity id."""
    slugs: dict[str, str] = {}
    entities: dict[str, str] = {}
    for app in apps:
        provider = app.provider
        if not isinstance(provider, SamlIdentityProvider):
            continue
        for seen, value, setting in (
            (slugs, provider.slug, "SLUG"),
            (entities, provider.idp.entity_id, "ENTITY_ID"),
        ):
            if value in seen:
                raise ConfigError(
                    f"{app.key_prefix}{setting}",
                    f"{show_value(value)} is already used by app {show_value(seen[value])}: "
                    "Open edX needs one SAML provider per IdP",
                    "give each app its own",
                )
            seen[value] = app.name
