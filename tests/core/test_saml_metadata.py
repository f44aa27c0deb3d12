"""The streaming metadata finder shared by `check --probe` and the LMS's init job
(lmsbridge_openedx/saml_metadata.py), on generated federation documents: it finds what
edx-platform's parser finds, reads no further than the entity, refuses what is not metadata,
and keeps memory flat on a large aggregate."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from lxml import etree

from tutor_lmsbridge.core.metadata_tools import (
    MetadataProblem,
    certificate_body,
    entity_document,
    find_entity,
    find_entity_in,
    mdq_url,
)

from ..support.federation import aggregate, idp_entity, write_aggregate

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
TARGET = "https://idp.example.edu/idp/shibboleth"
CERT = "MIIBtarget+/="


def members(count: int, cert: str = "MIIBother") -> list[str]:
    return [
        idp_entity(
            f"https://idp{n}.example.org/idp", f"https://idp{n}.example.org/sso", [cert], False
        )
        for n in range(count)
    ]


def edx_view(document: bytes, entity_id: str) -> tuple[list[str], str | None]:
    """What edx-platform's parse_metadata_xml reads (utils.py): the entity's certificate
    texts, and the root's validUntil, from the whole tree."""
    root = etree.fromstring(document)
    entity = (
        root
        if root.tag == f"{{{MD}}}EntityDescriptor"
        else root.find(f".//{{{MD}}}EntityDescriptor[@entityID='{entity_id}']")
    )
    assert entity is not None
    return [c.text for c in entity.iter(f"{{{DS}}}X509Certificate")], root.get("validUntil")


def test_the_entity_of_an_aggregate_is_the_one_edx_reads() -> None:
    # Certificate text with line breaks: edx stores it as found, so must the small document.
    entity = idp_entity(TARGET, "https://idp.example.edu/sso", ["MIIB\n  line2\n"], False)
    document = aggregate([*members(30), entity, *members(5)], "2031-02-03T04:05:06Z").encode()
    found = find_entity_in(document, TARGET)
    assert found.entity is not None
    assert found.entity.get("entityID") == TARGET
    small = entity_document(found)
    assert edx_view(small, TARGET) == edx_view(document, TARGET)
    # It stopped at the end of the entity: the five members after it were not counted.
    assert found.entities_seen == 31


def test_a_nested_federation_and_a_lone_entity() -> None:
    inner = aggregate([*members(3), idp_entity(TARGET, "https://x/sso", [CERT], False)])
    inner = inner.replace(f'xmlns:md="{MD}" xmlns:ds="{DS}" ', "")
    document = aggregate([*members(2), inner]).encode()
    found = find_entity_in(document, TARGET)
    assert found.entity is not None
    assert edx_view(entity_document(found), TARGET)[0] == [CERT]
    # A lone EntityDescriptor is taken whatever its entityID, as edx's parser takes it (a
    # wrong entity id is then refused at login, by the issuer check; the probe says it).
    lone = idp_entity("https://another.example.org/idp", "https://x/sso", [CERT])
    found = find_entity_in(lone, TARGET)
    assert found.entity is not None
    assert found.entity.get("entityID") == "https://another.example.org/idp"


def test_an_absent_entity() -> None:
    found = find_entity_in(aggregate(members(12)), TARGET)
    assert found.entity is None
    assert found.entities_seen == 12
    with pytest.raises(MetadataProblem):
        entity_document(found)


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "DTD or entities"),
        (b"<html><body>" + b"x" * 200_000, "is not SAML metadata"),
        (b"<md:EntitiesDescriptor xmlns:md='" + MD.encode() + b"'><md:Entity", "not well-formed"),
        (b"", "not well-formed"),
    ],
    ids=["dtd", "html", "truncated", "empty"],
)
def test_what_is_not_metadata_is_refused(document: bytes, problem: str) -> None:
    with pytest.raises(MetadataProblem, match=problem):
        find_entity_in(document, TARGET)


def test_a_document_over_the_limit_is_refused() -> None:
    document = aggregate(members(100)).encode()
    chunks = (document[i : i + 1000] for i in range(0, len(document), 1000))
    with pytest.raises(MetadataProblem, match="larger than 5000 bytes"):
        find_entity(chunks, TARGET, max_bytes=5000)


def test_memory_stays_flat_on_a_large_aggregate(tmp_path: Path) -> None:
    """An 8 MB aggregate of ~10,000 entities, the entity last: the finder's peak Python
    allocations stay under 1 MB (a tree of the document would take well over 50)."""
    path = tmp_path / "federation.xml"
    count = write_aggregate(path, 8 << 20, TARGET, "MIIBsample")
    with open(path, "rb") as stream:
        tracemalloc.start()
        try:
            found = find_entity(iter(lambda: stream.read(1 << 16), b""), TARGET)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert found.entity is not None
    assert found.entities_seen == count
    assert peak < 1 << 20, peak


def test_mdq_url_percent_encodes_the_entity_id() -> None:
    """draft-young-md-query: {base}/entities/{ID}, the ID percent-encoded whole."""
    assert mdq_url("https://mdq.incommon.org/", "https://idp.example.edu/idp/shibboleth") == (
        "https://mdq.incommon.org/entities/https%3A%2F%2Fidp.example.edu%2Fidp%2Fshibboleth"
    )
    assert mdq_url("https://mdq.example.org/global", "urn:mace:example.edu:idp") == (
        "https://mdq.example.org/global/entities/urn%3Amace%3Aexample.edu%3Aidp"
    )


def test_certificate_body() -> None:
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\nAAAA\n-----END CERTIFICATE-----\n"
    assert certificate_body(pem) == "MIIBAAAA"
    assert certificate_body(" MIIB AAAA ") == "MIIBAAAA"
    for bad in ("-----BEGIN RSA PRIVATE KEY-----\nMIIB\n", "not base64!", ""):
        with pytest.raises(MetadataProblem):
            certificate_body(bad)
