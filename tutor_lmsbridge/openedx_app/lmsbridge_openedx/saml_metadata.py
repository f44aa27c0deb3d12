"""SAML metadata at any size: find one IdP's entity by streaming, check a pinned signature.

Pure Python, no Django import: the one place both sides of the plugin read federation
metadata. The LMS's init job (and every refresh that runs it) imports it from this app,
which ships in the openedx image; the Tutor side (`tutor lmsbridge check --probe`) loads the
same file from the plugin's package (tutor_lmsbridge/core/metadata_tools.py). So the probe
finds an entity exactly as the LMS will.

- ``find_entity`` reads a document in chunks with the standard library's expat parser and
  builds an element for the wanted EntityDescriptor only: a federation aggregate (100 MB,
  20,000+ entities) is never built as a tree, memory stays at one chunk plus one entity, and
  the read stops at the end of that entity. It looks the entity up as edx-platform's
  ``parse_metadata_xml`` does (common/djangoapps/third_party_auth/utils.py): a root
  EntityDescriptor is taken whatever its entityID, else the first EntityDescriptor with
  that entityID at any depth. DTDs and entity declarations are refused (metadata comes from
  another organisation).
- ``entity_document`` turns the result into a small metadata document that edx's parser
  reads exactly as it would have read the whole one: the root's validUntil and
  cacheDuration (the only root attributes it reads) around the entity, text kept byte for
  byte (edx stores each certificate's text as it finds it).
- ``verify_signature`` checks the document's XML signature against a pinned certificate with
  python3-saml (xmlsec), as Shibboleth's SignatureValidation filter with requireSignedRoot:
  one signature, on the root, covering the root. This needs the whole document in memory
  (xmlsec works on a tree): a pinned aggregate is limited to PINNED_MAX_BYTES, and the
  per-entity documents of an MDQ service are the recommended way.
- ``mdq_url`` builds an entity's URL on a Metadata Query service
  (draft-young-md-query: ``<base>/entities/<percent-encoded entityID>``).
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
import xml.etree.ElementTree as ET
import xml.parsers.expat as pyexpat
from collections.abc import Iterable
from typing import Any, NamedTuple

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
ENTITY = f"{{{MD}}}EntityDescriptor"
ENTITIES = f"{{{MD}}}EntitiesDescriptor"
# The root attributes edx-platform's parser reads (the document's expiry).
ROOT_ATTRIBUTES = ("validUntil", "cacheDuration")
CHUNK = 1 << 16
# Streaming keeps memory flat whatever the size; this bounds the time a wrong URL can take.
MAX_BYTES = 1 << 30
# A pinned signature is checked on the whole document, parsed as a tree (about ten times its
# size in memory): beyond this, use the federation's MDQ service (one entity per document).
PINNED_MAX_BYTES = 64 << 20
_PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.DOTALL)


class MetadataProblem(ValueError):
    """Why a document is not usable metadata, or its signature is refused (one line)."""


class FoundEntity(NamedTuple):
    root_tag: str  # "{urn:...:metadata}EntitiesDescriptor" or "...EntityDescriptor"
    root_attributes: dict[str, str]
    entity: ET.Element | None  # None: no such entity in the document
    entities_seen: int  # EntityDescriptors read before the search stopped
    bytes_read: int


class _Done(Exception):
    """Raised from expat's handler once the entity is complete: the rest is not read."""


def _name(raw: str) -> str:  # expat's "uri}local" to ElementTree's "{uri}local"
    return "{" + raw if "}" in raw else raw


def find_entity(chunks: Iterable[bytes], entity_id: str, max_bytes: int = MAX_BYTES) -> FoundEntity:
    """The entity ``entity_id`` of the metadata document read from ``chunks``.

    Raises MetadataProblem for a document that is not XML, declares a DTD or entities, is
    not SAML metadata, or is larger than ``max_bytes``.
    """
    parser = pyexpat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    state: dict[str, Any] = {"root": None, "attributes": {}, "seen": 0, "inside": 0}
    builder = ET.TreeBuilder()
    found: list[ET.Element] = []
    raw_entity = f"{MD}}}EntityDescriptor"  # expat's form of ENTITY

    # Outside the entity only the start of each element is watched (expat calls no handler
    # it is not given): an aggregate's 20,000 other entities cost one call per element.
    def start(tag: str, attributes: dict[str, str]) -> None:
        if state["root"] is None:
            name = _name(tag)
            if name not in (ENTITY, ENTITIES):
                raise MetadataProblem(f"root element {name} is not SAML metadata")
            state["root"] = name
            state["attributes"] = {_name(k): v for k, v in attributes.items()}
            if name == ENTITY:
                state["seen"] += 1
                enter(tag, attributes)
            return
        if tag == raw_entity:
            state["seen"] += 1
            if attributes.get("entityID") == entity_id:
                enter(tag, attributes)

    def enter(tag: str, attributes: dict[str, str]) -> None:
        parser.StartElementHandler = inner_start
        parser.EndElementHandler = inner_end
        parser.CharacterDataHandler = builder.data
        inner_start(tag, attributes)

    def inner_start(tag: str, attributes: dict[str, str]) -> None:
        state["inside"] += 1
        builder.start(_name(tag), {_name(k): v for k, v in attributes.items()})

    def inner_end(tag: str) -> None:
        builder.end(_name(tag))
        state["inside"] -= 1
        if state["inside"] == 0:
            found.append(builder.close())
            raise _Done

    def refuse(*_: object) -> int:
        raise MetadataProblem("the document declares a DTD or entities; refused")

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    read = 0
    try:
        for chunk in chunks:
            read += len(chunk)
            if read > max_bytes:
                raise MetadataProblem(f"larger than {max_bytes} bytes")
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Done:
        pass
    except pyexpat.ExpatError as exc:
        raise MetadataProblem(f"not well-formed XML ({exc})") from None
    if state["root"] is None:
        raise MetadataProblem("empty document")
    return FoundEntity(
        state["root"], state["attributes"], found[0] if found else None, state["seen"], read
    )


def find_entity_in(document: bytes | str, entity_id: str) -> FoundEntity:
    """``find_entity`` on a document held in memory."""
    data = document.encode() if isinstance(document, str) else document
    return find_entity((data[i : i + CHUNK] for i in range(0, len(data), CHUNK)), entity_id)


def entity_document(found: FoundEntity) -> bytes:
    """A metadata document of the found entity alone, read by edx-platform's parser as it
    reads the whole document: the root's expiry attributes kept around it."""
    if found.entity is None:
        raise MetadataProblem("no entity to write")
    if found.root_tag == ENTITY:
        document: bytes = ET.tostring(found.entity, encoding="utf-8")
        return document
    kept = {k: v for k, v in found.root_attributes.items() if k in ROOT_ATTRIBUTES}
    root = ET.Element(ENTITIES, kept)
    root.append(found.entity)
    aggregate: bytes = ET.tostring(root, encoding="utf-8")
    return aggregate


def certificate_body(text: str) -> str:
    """The base64 DER body of a certificate given as PEM (or as the bare body), whitespace
    removed; MetadataProblem when it is neither. Its structure is checked by the caller."""
    match = _PEM_RE.search(text)
    if "-----BEGIN" in text and match is None:
        raise MetadataProblem("is not a PEM certificate (-----BEGIN CERTIFICATE-----)")
    body = "".join((match.group(1) if match else text).split())
    try:
        if not body or not base64.b64decode(body, validate=True):
            raise MetadataProblem("is empty")
    except (binascii.Error, ValueError):
        raise MetadataProblem("is not a PEM certificate (its body is not base64)") from None
    return body


def pem(body: str) -> str:
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join(["-----BEGIN CERTIFICATE-----", *lines, "-----END CERTIFICATE-----"])


def verify_signature(document: bytes, certificate: str) -> None:
    """Accept ``document`` only if it is signed on its root by the key of ``certificate``
    (PEM). Raises MetadataProblem (unsigned, tampered with, signed by another key, or a
    signature that covers something else than the whole document)."""
    from lxml import etree
    from onelogin.saml2.utils import OneLogin_Saml2_Utils

    if len(document) > PINNED_MAX_BYTES:
        raise MetadataProblem(
            f"is {len(document)} bytes: a pinned signature is checked on documents of at most "
            f"{PINNED_MAX_BYTES} bytes (use the federation's MDQ service)"
        )
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(document, parser)
    except etree.XMLSyntaxError as exc:
        raise MetadataProblem(f"not well-formed XML ({exc})") from None
    if root.getroottree().docinfo.doctype:
        raise MetadataProblem("the document declares a DTD or entities; refused")
    if root.tag not in (ENTITY, ENTITIES):
        raise MetadataProblem(f"root element {root.tag} is not SAML metadata")
    signatures = root.findall(f"{{{DS}}}Signature")
    if not signatures:
        raise MetadataProblem("is not signed (no signature on its root element)")
    references = signatures[0].findall(f"{{{DS}}}SignedInfo/{{{DS}}}Reference")
    root_id = root.get("ID")
    # The signature must cover the root itself: a signature over another element (copied in
    # from a genuine document) would verify while the root says anything (signature wrapping).
    if len(signatures) != 1 or len(references) != 1:
        raise MetadataProblem("has more than one signature or reference on its root")
    if references[0].get("URI") not in ("", *((f"#{root_id}",) if root_id else ())):
        raise MetadataProblem("its signature does not cover the whole document")
    try:
        OneLogin_Saml2_Utils.validate_metadata_sign(
            root, pem(certificate_body(certificate)), raise_exceptions=True
        )
    except MetadataProblem:
        raise
    except Exception as exc:  # python3-saml raises its own errors and xmlsec's
        # python3-saml words it for responses ("SAML Response rejected"): said once, here.
        detail = " ".join(str(exc).split()).replace("SAML Response rejected. ", "")
        raise MetadataProblem(
            f"its signature does not verify with the pinned certificate ({detail or exc!r})"
        ) from None


def mdq_url(base: str, entity_id: str) -> str:
    """The URL of ``entity_id``'s metadata on the MDQ service at ``base``
    (draft-young-md-query section 3: ``{base}/entities/{percent-encoded id}``)."""
    return f"{base.rstrip('/')}/entities/{urllib.parse.quote(entity_id, safe='')}"
