"""Probe a SAML identity provider's metadata URL from this machine, as Open edX will use it.

`probe_saml(metadata_url, entity_id, timeout)` returns (level, message) findings, level
"ok", "warning" or "error": the URL answers with SAML metadata (an EntityDescriptor, or an
EntitiesDescriptor holding the configured entity id); the entity id matches; its
IDPSSODescriptor has a SingleSignOnService with the HTTP-Redirect binding (the only one
python3-saml sends an AuthnRequest with); its signing certificate parses and is within its
validity (warning under 30 days left); validUntil is not past (Open edX would store the
metadata and then refuse it as expired). Plain-HTTP metadata is a warning: Open edX fetches
it, but logs it as insecure.

The document is parsed with the standard library's expat parser with DTDs and entity
declarations refused (the defusedxml approach): metadata comes from another organisation.
"""

import base64
import binascii
import xml.etree.ElementTree as ET
import xml.parsers.expat as pyexpat
from datetime import datetime, timezone

from .http_fetch import fetch

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
HTTP_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
SAML2_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
MAX_BYTES = 8 * 1024 * 1024  # federation aggregates run to megabytes; more is not metadata
CERT_WARNING_DAYS = 30
Finding = tuple[str, str]


class UnsafeXML(ValueError):
    pass


def parse_safely(data: bytes) -> ET.Element:
    """An ElementTree built from expat's events, refusing any DTD or entity declaration
    (so no entity expansion and no external fetch)."""
    builder = ET.TreeBuilder()
    parser = pyexpat.ParserCreate(namespace_separator="}")

    def name(raw: str) -> str:  # expat's "uri}local" to ElementTree's "{uri}local"
        return "{" + raw if "}" in raw else raw

    def start(tag: str, attributes: dict[str, str]) -> None:
        builder.start(name(tag), {name(k): v for k, v in attributes.items()})

    def refuse(*_: object) -> int:
        raise UnsafeXML("the document declares a DTD or entities; refused")

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: builder.end(name(tag))
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    try:
        parser.Parse(data, True)
    except pyexpat.ExpatError as exc:
        raise ET.ParseError(str(exc)) from exc
    root: ET.Element = builder.close()
    return root


def _parse_instant(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _certificate_findings(body: str, now: datetime) -> list[Finding]:
    try:
        der = base64.b64decode("".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        return [("error", "signing certificate: not base64")]
    try:
        from cryptography import x509
    except ImportError:
        return [("warning", "signing certificate not checked: the cryptography package is missing")]
    try:
        certificate = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        return [("error", f"signing certificate does not parse: {exc}")]
    subject = certificate.subject.rfc4514_string() or "(no subject)"
    not_after = certificate.not_valid_after_utc
    if certificate.not_valid_before_utc > now:
        return [
            (
                "error",
                f"signing certificate {subject} is not valid before "
                f"{certificate.not_valid_before_utc:%Y-%m-%d}",
            )
        ]
    days = (not_after - now).days
    if not_after <= now:
        return [("error", f"signing certificate {subject} expired on {not_after:%Y-%m-%d}")]
    level = "warning" if days < CERT_WARNING_DAYS else "ok"
    return [
        (
            level,
            f"signing certificate {subject} valid until {not_after:%Y-%m-%d} ({days} days left)",
        )
    ]


def probe_saml(
    metadata_url: str, entity_id: str, timeout: float, now: datetime | None = None
) -> list[Finding]:
    now = now or datetime.now(timezone.utc)
    findings: list[Finding] = []
    scheme = metadata_url.split(":", 1)[0].lower()
    if scheme not in ("http", "https"):
        return [("error", f"metadata URL {metadata_url}: must start with http:// or https://")]
    if scheme == "http":
        findings.append(
            ("warning", f"metadata URL {metadata_url} is plain HTTP: Open edX logs it as insecure")
        )
    status, data, problem = fetch(
        metadata_url,
        timeout,
        headers={"Accept": "application/samlmetadata+xml"},
        follow_redirects=True,
        limit=MAX_BYTES + 1,
    )
    if status is None:
        return [*findings, ("error", f"metadata URL {metadata_url}: {problem}")]
    if status != 200:
        return [*findings, ("error", f"metadata URL {metadata_url} answers {status}")]
    if len(data) > MAX_BYTES:
        return [*findings, ("error", f"metadata URL {metadata_url}: larger than {MAX_BYTES} bytes")]
    try:
        root = parse_safely(data)
    except (ET.ParseError, UnsafeXML) as exc:
        return [
            *findings,
            ("error", f"metadata URL {metadata_url}: not SAML metadata (XML: {exc})"),
        ]
    if root.tag == f"{{{MD}}}EntityDescriptor":
        entity = root
        if root.get("entityID") != entity_id:
            return [
                *findings,
                (
                    "error",
                    f"metadata describes entity {root.get('entityID')!r}, "
                    f"not the configured {entity_id!r}",
                ),
            ]
    elif root.tag == f"{{{MD}}}EntitiesDescriptor":
        match = next(
            (e for e in root.iter(f"{{{MD}}}EntityDescriptor") if e.get("entityID") == entity_id),
            None,
        )
        if match is None:
            return [*findings, ("error", f"metadata lists no entity {entity_id!r}")]
        entity = match
    else:
        return [
            *findings,
            ("error", f"metadata URL {metadata_url}: root element {root.tag} is not SAML metadata"),
        ]
    findings.append(("ok", f"metadata URL {metadata_url} answers SAML metadata for {entity_id}"))

    for element in (root, entity) if entity is not root else (root,):
        until_text = element.get("validUntil")
        if until_text is None:
            continue
        until = _parse_instant(until_text)
        if until is None:
            findings.append(("error", f"validUntil {until_text!r} is not a date"))
        elif until <= now:
            findings.append(
                (
                    "error",
                    f"metadata expired: validUntil {until_text} is past (Open edX refuses it)",
                )
            )
        else:
            findings.append(("ok", f"metadata valid until {until:%Y-%m-%d %H:%M} UTC"))

    idp = entity.find(f"{{{MD}}}IDPSSODescriptor")
    if idp is None:
        return [
            *findings,
            ("error", "no IDPSSODescriptor: this entity is not an identity provider"),
        ]
    if SAML2_PROTOCOL not in (idp.get("protocolSupportEnumeration") or ""):
        findings.append(("error", "the IDPSSODescriptor does not announce SAML 2.0"))
    redirect = [
        s.get("Location")
        for s in idp.findall(f"{{{MD}}}SingleSignOnService")
        if s.get("Binding") == HTTP_REDIRECT
    ]
    if redirect and redirect[0]:
        findings.append(("ok", f"single sign-on (HTTP-Redirect) at {redirect[0]}"))
    else:
        findings.append(
            (
                "error",
                "no SingleSignOnService with the HTTP-Redirect binding "
                "(the only one Open edX uses)",
            )
        )

    signing = idp.findall(f"{{{MD}}}KeyDescriptor[@use='signing']//{{{DS}}}X509Certificate")
    certificates = signing or idp.findall(f"{{{MD}}}KeyDescriptor//{{{DS}}}X509Certificate")
    if not certificates:
        findings.append(("error", "no signing certificate (KeyDescriptor/X509Certificate)"))
    for certificate in certificates:
        findings.extend(_certificate_findings(certificate.text or "", now))
    return findings
