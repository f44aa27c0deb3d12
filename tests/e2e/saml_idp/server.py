"""`python -m tests.e2e.saml_idp.server CONFIG_JSON`: a SAML 2.0 identity provider on loopback.

pysaml2's IdP (`saml2.server.Server`) does the protocol (parses the SP's HTTP-Redirect
AuthnRequest, checks its ACS URL against the SP's metadata, builds and signs the assertion
with the xmlsec1 program); this module only serves it with the standard library:

- GET  /metadata      the IdP's metadata: SingleSignOnService on HTTP-Redirect, signing cert;
- GET  /sso/redirect  SP-initiated login: the configured user is logged in at once
                      (`auto_login`), otherwise a login form is shown;
- POST /sso/login     the login form's target;
- both answer with an auto-submitting HTTP-POST form carrying the signed Response to the ACS.

Config (JSON): `listen` [host, port], `entity_id`, `workdir` (key files are written there),
`users` {username: {"password": ..., "attributes": {attribute name (an OID): [values]}}},
`auto_login` (a username or null), the SP's metadata as `sp_metadata` (XML text) or
`sp_metadata_url` (fetched at the first login: the SP may start after the IdP),
`sp_metadata_replace` ([old, new] pairs applied to it: a wrong ACS registered on purpose),
`cert_days` / `cert_start_days` (validity of the IdP's certificate), and `break`, a list of
deliberate faults: "metadata-expired" (validUntil in the past), "metadata-503", and
"sign-with-other-key" (the published certificate is not the one that signs).

A key rotation, as an IdP's admin runs one, when `rotation` is true: a second key pair
("new") besides the first ("old"), and POST /control with a JSON body changes, between two
requests, which certificates the metadata publishes (`published`, a list of "old", "new"),
which key signs the assertions (`signing`), and whether the metadata is tampered with after
it was signed (`tamper`: its first certificate replaced by an impostor's). With
`sign_metadata` true, the metadata is signed on its root (python3-saml, RSA-SHA256) by a
federation key whose certificate is written to <workdir>/federation.crt, as a federation
signs the metadata it publishes.
It signs with RSA-SHA256 and SHA-256 digests, as current IdPs do (pysaml2's own default is
SHA-1). Each login may ask for another response (issue #24's refusals) with query parameters
on /sso/redirect, which the tests add to the URL the LMS redirected to: `idp_sign`
("assertion", the default, "response", "both" or "none") and `idp_alg` ("sha256" or "sha1").
Prints READY on stdout once it listens.
"""

import html
import json
import logging
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.s_utils import UnknownPrincipal, UnsupportedBinding
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT
from saml2.server import Server

from .keys import key_pair, pem_body

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
OID_UID = "urn:oid:0.9.2342.19200300.100.1.1"
PASSWORD_PROTECTED = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
log = logging.getLogger("saml_idp")
# xmldsig URIs (saml2.xmldsig): what each `idp_alg` signs and digests with.
ALGORITHMS = {
    "sha256": (
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2001/04/xmlenc#sha256",
    ),
    "sha1": (
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        "http://www.w3.org/2000/09/xmldsig#sha1",
    ),
}
# `idp_sign` -> (sign_assertion, sign_response)
SIGNED_PARTS = {
    "assertion": (True, False),
    "response": (False, True),
    "both": (True, True),
    "none": (False, False),
}
VARIANT_PARAMETERS = ("idp_sign", "idp_alg")


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class LoggingHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)


class IdentityProvider:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        host, port = config["listen"]
        self.base_url = f"http://{host}:{port}"
        self.faults = set(config.get("break", []))
        workdir = Path(config["workdir"])
        workdir.mkdir(parents=True, exist_ok=True)
        days, start = config.get("cert_days", 365), config.get("cert_start_days", -1)
        published = key_pair(config["entity_id"], days, start)
        # The key that signs differs from the published one only when asked to.
        signing = (
            key_pair("impostor", days, start) if "sign-with-other-key" in self.faults else published
        )
        self.published_files = self._write(workdir, "published", published)
        self.signing_files = self._write(workdir, "signing", signing)
        self.pairs = {"old": published}
        self.rotation: dict[str, Any] = {"published": ["old"], "signing": "old", "tamper": False}
        if config.get("rotation"):
            self.pairs["new"] = key_pair(config["entity_id"] + " (new)", days, start)
            self.pairs["impostor"] = key_pair("impostor", days, start)
            self.files = {
                name: self._write(workdir, name, pair) for name, pair in self.pairs.items()
            }
        self.federation: tuple[str, str] | None = None
        if config.get("sign_metadata"):
            self.federation = key_pair("federation metadata signer", days, start)
            (workdir / "federation.crt").write_text(self.federation[1])
        self.metadata_xml = self._metadata()
        self._server: Server | None = None
        self._lock = threading.Lock()

    @staticmethod
    def _write(workdir: Path, name: str, pair: tuple[str, str]) -> tuple[str, str]:
        key_file, cert_file = workdir / f"{name}.key", workdir / f"{name}.crt"
        key_file.write_text(pair[0])
        cert_file.write_text(pair[1])
        return str(key_file), str(cert_file)

    def _pysaml2_config(self, files: tuple[str, str], sp_metadata: str | None) -> IdPConfig:
        conf: dict[str, Any] = {
            "entityid": self.config["entity_id"],
            "xmlsec_binary": self.config.get("xmlsec_binary", "/usr/bin/xmlsec1"),
            "key_file": files[0],
            "cert_file": files[1],
            "signing_algorithm": ALGORITHMS["sha256"][0],
            "digest_algorithm": ALGORITHMS["sha256"][1],
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [
                            (f"{self.base_url}/sso/redirect", BINDING_HTTP_REDIRECT)
                        ]
                    },
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT],
                    "want_authn_requests_signed": False,
                    "sign_response": False,
                    "sign_assertion": True,
                    "policy": {"default": {"lifetime": {"minutes": 15}}},
                }
            },
        }
        if sp_metadata is not None:
            conf["metadata"] = {"inline": [sp_metadata]}
        idp_config = IdPConfig()
        idp_config.load(conf)
        return idp_config

    def _metadata(self) -> str:
        """The IdP's metadata, with a validUntil a day ahead (two days past on purpose)."""
        text: str = create_metadata_string(
            None, self._pysaml2_config(self.published_files, None), sign=False
        ).decode()
        delta = timedelta(days=-2) if "metadata-expired" in self.faults else timedelta(days=1)
        until = (datetime.now(timezone.utc) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")
        root = text.index("EntityDescriptor ") + len("EntityDescriptor ")
        text = f'{text[:root]}validUntil="{until}" {text[root:]}'
        if len(self.pairs) > 1:
            text = self._published(text, [self.pairs[n][1] for n in self.rotation["published"]])
        if self.federation is not None:
            from onelogin.saml2.constants import OneLogin_Saml2_Constants as Saml2
            from onelogin.saml2.utils import OneLogin_Saml2_Utils

            text = OneLogin_Saml2_Utils.add_sign(
                text,
                *self.federation,
                sign_algorithm=Saml2.RSA_SHA256,
                digest_algorithm=Saml2.SHA256,
            ).decode()
        if self.rotation["tamper"]:
            # After signing: what an attacker on the way (or a compromised mirror) serves.
            first = pem_body(self.pairs[self.rotation["published"][0]][1])
            text = text.replace(first, pem_body(self.pairs["impostor"][1]), 1)
        return text

    @staticmethod
    def _published(text: str, certificates: list[str]) -> str:
        """``text`` with one signing KeyDescriptor per certificate (as an IdP publishes
        the old and the new one during a rotation), copies of pysaml2's own."""
        from copy import deepcopy

        from lxml import etree

        root = etree.fromstring(text.encode())
        md, ds = "urn:oasis:names:tc:SAML:2.0:metadata", "http://www.w3.org/2000/09/xmldsig#"
        idp = root.find(f"{{{md}}}IDPSSODescriptor")
        keys = idp.findall(f"{{{md}}}KeyDescriptor")
        template = keys[0]
        for key in keys:
            idp.remove(key)
        for position, certificate in enumerate(certificates):
            key = deepcopy(template)
            key.set("use", "signing")
            key.find(f".//{{{ds}}}X509Certificate").text = pem_body(certificate)
            idp.insert(position, key)
        return str(etree.tostring(root, encoding="unicode"))

    def control(self, change: dict[str, Any]) -> str:
        """POST /control: the next state of the rotation (see the module's docstring)."""
        with self._lock:
            self.rotation.update(change)
            name = self.rotation["signing"]
            self.signing_files = self.files[name]
            self._server = None  # rebuilt at the next login, signing with that key
            self.metadata_xml = self._metadata()
        log.info("rotation: %s", json.dumps(self.rotation))
        return json.dumps(self.rotation)

    def server(self) -> Server:
        """pysaml2's IdP, built at the first login with the SP's metadata."""
        with self._lock:
            if self._server is None:
                sp_metadata = self.config.get("sp_metadata")
                if sp_metadata is None:
                    with urllib.request.urlopen(self.config["sp_metadata_url"], timeout=10) as r:  # noqa: S310 - loopback test URL
                        sp_metadata = r.read().decode()
                for old, new in self.config.get("sp_metadata_replace", []):
                    sp_metadata = sp_metadata.replace(old, new)
                self._server = Server(config=self._pysaml2_config(self.signing_files, sp_metadata))
            return self._server

    # ---- WSGI ---------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
        try:
            if path == "/metadata" and method == "GET":
                if "metadata-503" in self.faults:
                    return self._reply(start_response, "503 Service Unavailable", "down on purpose")
                return self._reply(
                    start_response, "200 OK", self.metadata_xml, "application/samlmetadata+xml"
                )
            if path == "/control" and method == "POST" and len(self.pairs) > 1:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                change = json.loads(environ["wsgi.input"].read(length) or b"{}")
                return self._reply(start_response, "200 OK", self.control(change))
            if path == "/sso/redirect" and method == "GET":
                query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
                auto = self.config.get("auto_login")
                if auto:
                    return self._respond(start_response, query, auto)
                return self._login_form(start_response, query)
            if path == "/sso/login" and method == "POST":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                form = {
                    k: v[0]
                    for k, v in parse_qs(environ["wsgi.input"].read(length).decode()).items()
                }
                user = self.config["users"].get(form.get("username", ""))
                if user is None or user.get("password") != form.get("password"):
                    return self._reply(start_response, "401 Unauthorized", "wrong credentials")
                return self._respond(start_response, form, form["username"])
            return self._reply(start_response, "404 Not Found", f"no page {path}")
        except Exception as error:  # one line in the log and the page: tests assert on it
            log.exception("IdP error on %s", path)
            return self._reply(
                start_response, "400 Bad Request", f"IdP error: {type(error).__name__}: {error}"
            )

    def _login_form(self, start_response: StartResponse, query: dict[str, str]) -> Iterable[bytes]:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in query.items()
            if k in ("SAMLRequest", "RelayState", *VARIANT_PARAMETERS)
        )
        page = (
            '<form method="post" action="/sso/login">'
            f'{hidden}<input name="username"><input name="password" type="password">'
            "<button>Log in</button></form>"
        )
        return self._reply(start_response, "200 OK", page, "text/html")

    def _respond(
        self, start_response: StartResponse, params: dict[str, str], username: str
    ) -> Iterable[bytes]:
        server = self.server()
        request = server.parse_authn_request(params["SAMLRequest"], BINDING_HTTP_REDIRECT)
        message = request.message
        log.info(
            "AuthnRequest %s from %s for ACS %s",
            message.id,
            message.issuer.text,
            message.assertion_consumer_service_url,
        )
        try:
            # Refuses an ACS URL that the SP's metadata does not list, as real IdPs do.
            response_args = server.response_args(message, [BINDING_HTTP_POST])
        except Exception as error:
            raise UnsupportedBinding(
                f"AssertionConsumerServiceURL {message.assertion_consumer_service_url} is not "
                f"registered for SP {message.issuer.text} ({error})"
            ) from error
        user = self.config["users"].get(username)
        if user is None:
            raise UnknownPrincipal(username)
        identity = {name: list(values) for name, values in user["attributes"].items()}
        uid = identity.get(OID_UID, [username])[0]
        sign_assertion, sign_response = SIGNED_PARTS[params.get("idp_sign", "assertion")]
        sign_alg, digest_alg = ALGORITHMS[params.get("idp_alg", "sha256")]
        response = server.create_authn_response(
            identity,
            userid=uid,
            authn={"class_ref": PASSWORD_PROTECTED},
            sign_assertion=sign_assertion,
            sign_response=sign_response,
            sign_alg=sign_alg,
            digest_alg=digest_alg,
            **response_args,
        )
        http_args = server.apply_binding(
            BINDING_HTTP_POST,
            str(response),
            response_args["destination"],
            params.get("RelayState", ""),
            response=True,
        )
        log.info(
            "Response for %s (signed: %s, %s) posted to %s",
            uid,
            params.get("idp_sign", "assertion"),
            params.get("idp_alg", "sha256"),
            response_args["destination"],
        )
        return self._reply(start_response, "200 OK", http_args["data"], "text/html")

    @staticmethod
    def _reply(
        start_response: StartResponse, status: str, body: str, content_type: str = "text/plain"
    ) -> Iterable[bytes]:
        data = body.encode()
        start_response(
            status,
            [
                ("Content-Type", f"{content_type}; charset=utf-8"),
                ("Content-Length", str(len(data))),
            ],
        )
        return [data]


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as config_file:
        config = json.load(config_file)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(name)s %(levelname)s %(message)s"
    )
    idp = IdentityProvider(config)
    host, port = config["listen"]
    httpd = make_server(host, port, idp, ThreadingWSGIServer, LoggingHandler)
    print("READY", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
