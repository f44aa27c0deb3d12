"""SAML metadata as federations publish it, for the tests and the benchmark: IdP entities with
one or more signing certificates, aggregates of many entities (generated, never committed),
documents signed with python3-saml (xmlsec) as a federation signs them, and a loopback HTTP
server whose documents a test changes between two pulls."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MD_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
HEADER = f'xmlns:md="{MD_NS}" xmlns:ds="{DS_NS}"'


def pem_body(pem: str) -> str:
    return "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))


def idp_entity(entity_id: str, sso_url: str, certificates: list[str], root: bool = True) -> str:
    """An IdP's EntityDescriptor with one signing KeyDescriptor per certificate (PEM or
    body), as Shibboleth publishes a key rotation; ``root``: with its namespace
    declarations (a document of its own)."""
    keys = "".join(
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{pem_body(certificate)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        "</md:KeyDescriptor>"
        for certificate in certificates
    )
    return (
        f'<md:EntityDescriptor {HEADER if root else ""} entityID="{escape(entity_id)}">'
        f'<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f'{keys}<md:SingleSignOnService Binding="{REDIRECT}" Location="{escape(sso_url)}"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


def aggregate(entities: list[str], valid_until: str = "2099-01-01T00:00:00Z") -> str:
    """A federation's EntitiesDescriptor of ``entities`` (from idp_entity(root=False))."""
    return (
        f'<md:EntitiesDescriptor {HEADER} Name="urn:test:federation" validUntil="{valid_until}">'
        + "".join(entities)
        + "</md:EntitiesDescriptor>"
    )


def sign(document: str | bytes, key_pem: str, certificate_pem: str) -> bytes:
    """``document`` signed on its root (enveloped, RSA-SHA256), as federations sign."""
    from onelogin.saml2.constants import OneLogin_Saml2_Constants as Saml2
    from onelogin.saml2.utils import OneLogin_Saml2_Utils

    signed: bytes = OneLogin_Saml2_Utils.add_sign(
        document,
        key_pem,
        certificate_pem,
        sign_algorithm=Saml2.RSA_SHA256,
        digest_algorithm=Saml2.SHA256,
    )
    return signed


def member_entity(number: int, certificate: str) -> str:
    """A federation member's IdP entity as InCommon publishes one (about 5 KB): scopes and
    display information, signing and encryption keys, several endpoints, organisation and
    contacts, so that a generated aggregate has a real one's element count per megabyte."""
    host = f"idp{number:08d}.example.edu"
    base = f"https://{host}/idp/profile/SAML2"
    key = (
        "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>"
        f"{certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
    )
    services = "".join(
        f'<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:{binding}" '
        f'Location="{base}/{binding}/SSO"/>'
        for binding in ("HTTP-Redirect", "HTTP-POST", "HTTP-POST-SimpleSign", "SOAP")
    )
    return (
        f'<md:EntityDescriptor entityID="https://{host}/idp/shibboleth">'
        '<md:Extensions><mdrpi:RegistrationInfo xmlns:mdrpi="urn:oasis:names:tc:SAML:metadata:rpi" '
        'registrationAuthority="https://incommon.org" registrationInstant="2015-01-01T00:00:00Z">'
        '<mdrpi:RegistrationPolicy xml:lang="en">https://incommon.org/policy</mdrpi:RegistrationPolicy>'
        "</mdrpi:RegistrationInfo></md:Extensions>"
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:Extensions><shibmd:Scope xmlns:shibmd="urn:mace:shibboleth:metadata:1.0" '
        f'regexp="false">{host}</shibmd:Scope>'
        '<mdui:UIInfo xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui">'
        f'<mdui:DisplayName xml:lang="en">University {number}</mdui:DisplayName>'
        f'<mdui:Description xml:lang="en">Identity provider of University {number}, for its '
        "students, faculty and staff.</mdui:Description>"
        f'<mdui:InformationURL xml:lang="en">https://{host}/about</mdui:InformationURL>'
        f'<mdui:PrivacyStatementURL xml:lang="en">https://{host}/privacy</mdui:PrivacyStatementURL>'
        f'<mdui:Logo height="60" width="80">https://{host}/logo.png</mdui:Logo>'
        "</mdui:UIInfo></md:Extensions>"
        f'<md:KeyDescriptor use="signing">{key}</md:KeyDescriptor>'
        f'<md:KeyDescriptor use="encryption">{key}</md:KeyDescriptor>'
        '<md:ArtifactResolutionService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP" '
        f'Location="https://{host}:8443/idp/profile/SAML2/SOAP/ArtifactResolution" index="2"/>'
        "<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>"
        "<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>"
        f"{services}</md:IDPSSODescriptor>"
        f'<md:Organization><md:OrganizationName xml:lang="en">University {number}'
        f'</md:OrganizationName><md:OrganizationDisplayName xml:lang="en">University {number}'
        f'</md:OrganizationDisplayName><md:OrganizationURL xml:lang="en">https://{host}/'
        "</md:OrganizationURL></md:Organization>"
        + "".join(
            f'<md:ContactPerson contactType="{kind}"><md:GivenName>{kind} desk</md:GivenName>'
            f"<md:EmailAddress>mailto:{kind}@{host}</md:EmailAddress></md:ContactPerson>"
            for kind in ("technical", "support", "administrative")
        )
        + "</md:EntityDescriptor>"
    )


def write_aggregate(path: Path, size: int, target: str, certificate: str) -> int:
    """Write a federation aggregate of about ``size`` bytes to ``path``, streaming (never in
    memory), the IdP ``target`` last (the worst case for a search); the other entities are
    members as member_entity writes them. Returns the number of entities."""
    certificate = pem_body(certificate)
    per_entity = len(member_entity(0, certificate)) + 1
    count = max(1, size // per_entity)
    with open(path, "w", encoding="utf-8") as out:
        out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<md:EntitiesDescriptor {HEADER} ')
        out.write('Name="urn:test:federation" validUntil="2099-01-01T00:00:00Z">\n')
        for number in range(count - 1):
            out.write(member_entity(number, certificate) + "\n")
        out.write(idp_entity(target, "https://target.example.edu/sso", [certificate], False))
        out.write("\n</md:EntitiesDescriptor>\n")
    return count


class MetadataServer:
    """Serves ``documents`` (path -> bytes) on 127.0.0.1; a test replaces them at will, or
    makes a path answer an error status (``statuses``, path -> status)."""

    def __init__(self) -> None:
        self.documents: dict[str, bytes] = {}
        self.statuses: dict[str, int] = {}
        documents, statuses = self.documents, self.statuses

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = documents.get(self.path)
                self.send_response(statuses.get(self.path, 200 if body is not None else 404))
                self.send_header("Content-Type", "application/samlmetadata+xml")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def serve(self, path: str, document: str | bytes) -> str:
        self.documents[path] = document.encode() if isinstance(document, str) else document
        return self.url + path

    def fail(self, path: str, status: int = 500) -> str:
        """``path`` answers ``status`` (an IdP in trouble), with whatever document it has."""
        self.statuses[path] = status
        return self.url + path


@contextmanager
def metadata_server() -> Iterator[MetadataServer]:
    server = MetadataServer()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
        thread.join(timeout=10)
