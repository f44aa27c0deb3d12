"""SAML values: XML read safely, and the service provider's key pair (pure: no Tutor, no Jinja).

``parse_xml_safely`` builds an ElementTree with the standard library's expat parser and refuses
any DTD or entity declaration (the defusedxml approach): metadata comes from another
organisation. ``sp_key_pair`` turns the SP private key (Tutor's ``rsa_private_key`` output, or
one the operator gives) into what edx-platform reads: the PKCS#8 key body for
``SOCIAL_AUTH_SAML_SP_PRIVATE_KEY`` and a self-signed certificate body for the
``SAMLConfiguration`` row. The certificate is derived deterministically (fixed validity, serial
from the public key, RSA PKCS#1 v1.5 signatures are deterministic), so it changes only when the
key (or the LMS host it names) does: rotating the key is changing one value.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
HTTP_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
SAML2_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
# The SP certificate's validity: from a fixed date, with no well-defined expiration
# (RFC 5280 section 4.1.2.5). SAML trusts the certificate found in metadata, not its dates;
# the key is rotated by changing it, not by expiry.
CERT_NOT_BEFORE = datetime(2025, 1, 1, tzinfo=timezone.utc)
CERT_NOT_AFTER = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
MIN_KEY_BITS = 2048


class UnsafeXML(ValueError):
    pass


def parse_xml_safely(data: bytes | str) -> ET.Element:
    """An ElementTree built from expat's events, refusing any DTD or entity declaration
    (so no entity expansion and no external fetch). Raises ET.ParseError or UnsafeXML."""
    # Imported here: only SAML metadata is XML, and `tutor config save` without an inline
    # METADATA value should not pay for loading the XML modules.
    import xml.etree.ElementTree as ET
    import xml.parsers.expat as pyexpat

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
        parser.Parse(data.encode() if isinstance(data, str) else data, True)
    except pyexpat.ExpatError as exc:
        raise ET.ParseError(str(exc)) from exc
    root: ET.Element = builder.close()
    return root


def find_entity(root: ET.Element, entity_id: str) -> ET.Element | None:
    """The EntityDescriptor of ``entity_id`` in a metadata document (one entity, or a
    federation's EntitiesDescriptor), as edx-platform's metadata parser looks it up."""
    if root.tag == f"{{{MD}}}EntityDescriptor":
        return root if root.get("entityID") == entity_id else None
    return next(
        (e for e in root.iter(f"{{{MD}}}EntityDescriptor") if e.get("entityID") == entity_id),
        None,
    )


def redirect_sso_url(entity: ET.Element) -> str:
    """The IdP's SingleSignOnService location for the HTTP-Redirect binding ("" if none)."""
    idp = entity.find(f"{{{MD}}}IDPSSODescriptor")
    if idp is None:
        return ""
    for service in idp.findall(f"{{{MD}}}SingleSignOnService"):
        if service.get("Binding") == HTTP_REDIRECT and service.get("Location"):
            return str(service.get("Location"))
    return ""


class SpKeyPair(NamedTuple):
    private_key: str  # PKCS#8, base64 body without the PEM lines (as edx-platform documents)
    certificate: str  # DER certificate, base64 body without the PEM lines


class KeyProblem(ValueError):
    """Why a value is not a usable SP private key (never contains the value)."""


@lru_cache(maxsize=4)
def load_private_key(pem: str) -> object:
    """The RSA private key of a PEM text (PKCS#1 or PKCS#8, unencrypted), or KeyProblem.
    Cached: each read of LMSBRIDGE_SP_PRIVATE_KEY checks it, and sp_key_pair loads it."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    if "-----BEGIN" not in pem:
        raise KeyProblem("is not a PEM private key (-----BEGIN ... PRIVATE KEY-----)")
    try:
        # No consistency check of the RSA numbers: OpenSSL's is slow and would run on every
        # render, and the key is Tutor's own (or the operator's), read for its structure and
        # size only.
        key = serialization.load_pem_private_key(
            pem.strip().encode(), password=None, unsafe_skip_rsa_key_validation=True
        )
    except TypeError:
        raise KeyProblem("is encrypted; give it without a passphrase") from None
    except (ValueError, UnsupportedAlgorithm):
        raise KeyProblem("is not a readable PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyProblem("is not an RSA key (SAML signs and decrypts with RSA)")
    if key.key_size < MIN_KEY_BITS:
        raise KeyProblem(f"has {key.key_size} bits, at least {MIN_KEY_BITS} are needed")
    return key


@lru_cache(maxsize=4)
def sp_key_pair(pem: str, common_name: str) -> SpKeyPair:
    """The SP key pair of ``pem``: its PKCS#8 body and a self-signed certificate for
    ``common_name`` (the LMS host), the same bytes every time for the same inputs."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = load_private_key(pem)
    assert isinstance(key, rsa.RSAPrivateKey)
    public_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # A positive serial of at most 20 octets (RFC 5280), from the public key.
    serial = int.from_bytes(hashlib.sha256(public_der).digest()[:16], "big") >> 1 or 1
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64] or "openedx")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(CERT_NOT_BEFORE)
        .not_valid_after(CERT_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    private_der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return SpKeyPair(
        base64.b64encode(private_der).decode(),
        base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode(),
    )


def pem_certificate(body: str) -> str:
    """A certificate body as a PEM block (64-character lines), for people and IdP forms."""
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join(["-----BEGIN CERTIFICATE-----", *lines, "-----END CERTIFICATE-----"])
