"""Probe a SAML identity provider's metadata URL from this machine, as Open edX will use it.

`probe_saml(metadata_url, entity_id, timeout)` returns (level, message) findings, level
"ok", "warning" or "error": the URL answers with SAML metadata (an EntityDescriptor, or an
EntitiesDescriptor holding the configured entity id); the entity id matches; its
IDPSSODescriptor has a SingleSignOnService with the HTTP-Redirect binding (the only one
python3-saml sends an AuthnRequest with); its signing certificate parses and is within its
validity (warning under 30 days left); validUntil is not past (Open edX would store the
metadata and then refuse it as expired). Plain-HTTP metadata is a warning: Open edX fetches
it, but logs it as insecure. `check_metadata(document, where, entity_id)` makes the same
checks on a document the operator gave inline (LMSBRIDGE_<APP>_METADATA).

The document is read as it arrives, by the finder the LMS's init job uses
(lmsbridge_openedx/saml_metadata.py, through core/metadata_tools.py): the standard library's
expat parser, DTDs and entity declarations refused (metadata comes from another
organisation), and only the configured entity built in memory, so a federation's aggregate
of 100 MB is probed in bounded memory. With a pinned metadata signing certificate
(``pinned``), the whole document is read (up to PINNED_MAX_BYTES) and its signature checked
as the init job checks it, when python3-saml is installed here (it is in the openedx image).
"""

import base64
import binascii
from collections.abc import Iterator
from datetime import datetime, timezone

from ..core.errors import set_command
from ..core.metadata_tools import (
    PINNED_MAX_BYTES,
    FoundEntity,
    MetadataProblem,
    find_entity,
    find_entity_in,
    verify_signature,
)
from ..core.saml_values import DS, MD, SAML2_PROTOCOL, redirect_sso_url
from ..core.saml_values import parse_xml_safely as parse_safely
from .http_fetch import fetch_streaming

__all__ = ["check_metadata", "parse_safely", "probe_saml"]

CERT_WARNING_DAYS = 30
Finding = tuple[str, str]


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


def _pinned_read(
    chunks: Iterator[bytes], entity_id: str, pinned: str
) -> tuple[FoundEntity, list[Finding]]:
    """The whole document (bounded), its signature checked, then the entity."""
    document = bytearray()
    for chunk in chunks:
        document += chunk
        if len(document) > PINNED_MAX_BYTES:
            break
    try:
        verify_signature(bytes(document), pinned)
    except ImportError:
        checked: Finding = (
            "warning",
            "metadata signature not checked on this machine (python3-saml is not installed "
            "here); the init job checks it before storing anything",
        )
    else:
        checked = ("ok", "metadata signature verifies with the pinned certificate")
    return find_entity_in(bytes(document), entity_id), [checked]


def probe_saml(
    metadata_url: str,
    entity_id: str,
    timeout: float,
    now: datetime | None = None,
    entity_key: str = "ENTITY_ID",
    pinned: str = "",
) -> list[Finding]:
    """Findings about the metadata at ``metadata_url``, fetched as Open edX fetches it
    (``pinned``: the metadata signing certificate it must be signed with)."""
    scheme = metadata_url.split(":", 1)[0].lower()
    if scheme not in ("http", "https"):
        return [("error", f"metadata URL {metadata_url}: must start with http:// or https://")]
    # A plain-HTTP URL is the configuration's warning (read_saml), said once, not here again.
    where = f"metadata URL {metadata_url}"

    def read(chunks: Iterator[bytes]) -> tuple[FoundEntity, list[Finding]] | str:
        try:
            if pinned:
                return _pinned_read(chunks, entity_id, pinned)
            return find_entity(chunks, entity_id), []
        except MetadataProblem as exc:
            return str(exc)

    status, result, problem = fetch_streaming(
        metadata_url, timeout, read, headers={"Accept": "application/samlmetadata+xml"}
    )
    if status is None:
        return [("error", f"metadata URL {metadata_url}: {problem}")]
    if status != 200 or result is None:
        return [("error", f"metadata URL {metadata_url} answers {status}")]
    if isinstance(result, str):
        refused = "refused, " if pinned else ""
        return [("error", f"metadata URL {metadata_url}: {refused}{_problem(result)}")]
    found, checked = result
    return [*checked, *check_found(found, where, entity_id, now, entity_key)]


def _problem(text: str) -> str:
    """A finder's or verifier's words, as the probe has always said the XML ones."""
    if text.startswith("not well-formed XML") or "DTD" in text:
        return f"not SAML metadata (XML: {text})"
    return text


def check_metadata(
    data: bytes | str,
    where: str,
    entity_id: str,
    now: datetime | None = None,
    entity_key: str = "ENTITY_ID",
) -> list[Finding]:
    """Findings about one metadata document (``where`` names it in messages: its URL, or
    "inline metadata"; ``entity_key``: the key of the entity id, for the fix)."""
    try:
        found = find_entity_in(data, entity_id)
    except MetadataProblem as exc:
        return [("error", f"{where}: {_problem(str(exc))}")]
    return check_found(found, where, entity_id, now, entity_key)


def check_found(
    found: FoundEntity,
    where: str,
    entity_id: str,
    now: datetime | None = None,
    entity_key: str = "ENTITY_ID",
) -> list[Finding]:
    """Findings about the entity the finder found in a document (see check_metadata)."""
    now = now or datetime.now(timezone.utc)
    findings: list[Finding] = []
    entity = found.entity
    lone = found.root_tag == f"{{{MD}}}EntityDescriptor"
    if entity is None or (lone and entity.get("entityID") != entity_id):
        announced = entity.get("entityID") if entity is not None else None
        if lone and announced:
            fix = set_command(entity_key, announced, "lmsbridge-set")
            return [
                (
                    "error",
                    f"metadata describes entity {announced!r}, not the configured "
                    f"{entity_id!r}. Fix: use the entityID the metadata announces: {fix}",
                )
            ]
        return [
            (
                "error",
                f"metadata lists no entity {entity_id!r} (among {found.entities_seen} "
                f"entities). Fix: set {entity_key} to the entityID of the IdP among them, as "
                "its admin gives it",
            )
        ]
    answers = "answers" if where.startswith("metadata URL") else "is"
    findings.append(("ok", f"{where} {answers} SAML metadata for {entity_id}"))

    expiries = [found.root_attributes.get("validUntil")]
    if not lone:
        expiries.append(entity.get("validUntil"))
    for until_text in expiries:
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
    redirect = redirect_sso_url(entity)
    if redirect:
        findings.append(("ok", f"single sign-on (HTTP-Redirect) at {redirect}"))
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
