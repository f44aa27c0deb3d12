"""Probe an OpenID Provider from where the LMS stands: standard library only.

``probe_oidc`` reads the discovery document the way the in-image backend
(lmsbridge_openedx.oidc) does — from ``internal_url`` when given, with the token, userinfo and
JWKS endpoints announced under the public issuer moved to ``internal_url`` — and asks each
endpoint what a login will ask it, without credentials:

- discovery: HTTP 200, a JSON object, ``issuer`` equal to the configured issuer exactly (the
  LMS pins ``iss`` to it, so any other value fails every login);
- authorization endpoint (the browser's): answers, anything but 404 or 5xx (redirects are not
  followed: a redirect to a login page is an answer);
- token endpoint: with the login client's id and secret (``ClientCheck``), a code exchange
  with a dummy code, authenticated the way the login will (``client_secret_basic`` or
  ``client_secret_post``, see ``token_auth_method``): ``invalid_grant`` means the provider
  knows the client, ``invalid_client`` or 401 that the id or secret is wrong. While the client
  is not set yet, a credential-less POST must be refused with 400 or 401;
- userinfo endpoint: refuses a token-less GET with 400, 401 or 403;
- JWKS: loads, and holds a key that can verify ``algorithm`` (id_token signatures).

One (level, message) pair per finding; level is "ok", "warning" or "error". Messages name the
URL and what was expected. No Tutor here: the plugin and tests call it with plain values.
"""

import base64
import json
from typing import Any, NamedTuple

from .http_fetch import Answer, fetch

WELL_KNOWN = "/.well-known/openid-configuration"
# Which JSON Web Key types can verify which JWS algorithms (RFC 7518 §3.1, RFC 8037).
KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
EC_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521", "ES256K": "secp256k1"}

Finding = tuple[str, str]
BASIC, POST = "client_secret_basic", "client_secret_post"
# The authorization code the probe exchanges: no provider issued it, so a provider that
# authenticated the client answers invalid_grant (RFC 6749 §5.2).
DUMMY_CODE = "lmsbridge-probe-dummy-code"


class ClientCheck(NamedTuple):
    """The login client the LMS authenticates with at the token endpoint."""

    client_id: str
    client_secret: str
    redirect_uri: str
    # other_settings' TOKEN_ENDPOINT_AUTH_METHOD when the operator set one ("" : from discovery)
    auth_method: str = ""
    fix: str = ""  # what to correct when the provider refuses the client (names the keys)


def token_auth_method(setting: str, document: dict[str, Any]) -> str:
    """How the login authenticates at the token endpoint, as social-core's
    ``OpenIdConnectAuth.use_basic_auth`` decides (social_core/backends/open_id_connect.py): the
    TOKEN_ENDPOINT_AUTH_METHOD setting when set (basic only if it says so), else basic when
    discovery lists no methods or lists client_secret_basic, else the credentials in the body
    (``BaseOAuth2.auth_complete_params``)."""
    if setting:
        return BASIC if setting == BASIC else POST
    methods = document.get("token_endpoint_auth_methods_supported") or []
    if not isinstance(methods, list):
        methods = []
    return BASIC if not methods or BASIC in methods else POST


def exchange_dummy_code(url: str, client: ClientCheck, method: str, timeout: float) -> Answer:
    """POST an authorization-code grant with a dummy code, authenticated with ``method``."""
    form = {
        "grant_type": "authorization_code",
        "code": DUMMY_CODE,
        "redirect_uri": client.redirect_uri,
    }
    headers = {"Accept": "application/json"}
    if method == BASIC:
        # What requests' HTTPBasicAuth sends for social-core's (key, secret) tuple.
        pair = f"{client.client_id}:{client.client_secret}".encode("latin-1", "replace")
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    else:
        form["client_id"] = client.client_id
        form["client_secret"] = client.client_secret
    return fetch(url, timeout, "POST", headers=headers, form=form)


def oauth2_error(body: bytes) -> str:
    """The ``error`` of an OAuth2 error response (RFC 6749 §5.2), "" when there is none."""
    try:
        document = json.loads(body)
    except ValueError:
        return ""
    error = document.get("error") if isinstance(document, dict) else None
    return error if isinstance(error, str) else ""


def client_finding(url: str, client: ClientCheck, method: str, answer: Answer) -> Finding:
    """What a dummy-code exchange says about the client (never its secret)."""
    what = f"token endpoint {url}"
    if answer.status is None:
        return ("error", f"{what}: {answer.problem} (expected an answer to a code exchange)")
    error = oauth2_error(answer.body)
    if answer.status == 400 and error == "invalid_grant":
        return ("ok", f"{what} accepts the login client {client.client_id} ({method})")
    if answer.status == 401 or error == "invalid_client":
        refused = f"{answer.status} {error}".rstrip()
        fix = f". Fix: {client.fix}" if client.fix else ""
        return (
            "error",
            f"{what} refuses the login client {client.client_id} ({method}): {refused}; the "
            f"client id or secret is wrong, so every login fails{fix}",
        )
    if answer.status == 404 or answer.status >= 500:
        hint = " (wrong path?)" if answer.status == 404 else ""
        return (
            "error",
            f"{what} answers {answer.status}{hint}, expected 400 invalid_grant to a dummy code",
        )
    said = f"{answer.status} {error}".rstrip()
    return (
        "warning",
        f"{what} answers {said} to a dummy code ({method}), not invalid_grant nor "
        "invalid_client: whether it accepts the login client is unknown",
    )


def rewrite_endpoint(url: str, public: str, internal: str | None) -> str:
    """``url`` with the public issuer's origin and path replaced by ``internal`` when it lies
    under the public issuer (the in-image backend's rule; a test keeps the two equal)."""
    if not internal:
        return url
    public, internal = public.rstrip("/"), internal.rstrip("/")
    rest = url[len(public) :]
    if url.startswith(public) and (rest == "" or rest[0] in "/?#"):
        return internal + rest
    return url


def _answered(what: str, url: str, answer: Answer, healthy: set[int], expected: str) -> Finding:
    if answer.status is None:
        return ("error", f"{what} {url}: {answer.problem} (expected {expected})")
    if answer.status in healthy:
        return ("ok", f"{what} {url} answers {answer.status}")
    hint = " (wrong path?)" if answer.status == 404 else ""
    return ("error", f"{what} {url} answers {answer.status}{hint}, expected {expected}")


def key_problem(key: Any, algorithm: str) -> str | None:
    """Why ``key`` (a JWK) cannot verify ``algorithm`` signatures, or None if it can."""
    if not isinstance(key, dict):
        return "not a JSON object"
    kty = KEY_TYPES.get(algorithm[:2])
    if kty is None:
        return f"unknown algorithm {algorithm}"
    if key.get("kty") != kty:
        return f"kty {key.get('kty')}, not {kty}"
    if key.get("alg") not in (None, algorithm):
        return f"alg {key.get('alg')}"
    if key.get("use") not in (None, "sig"):
        return f"use {key.get('use')}"
    if algorithm in EC_CURVES and key.get("crv") != EC_CURVES[algorithm]:
        return f"crv {key.get('crv')}, not {EC_CURVES[algorithm]}"
    return None


def _jwks(url: str, timeout: float, algorithm: str) -> Finding:
    answer = fetch(url, timeout)
    if answer.status != 200:
        return _answered("JWKS", url, answer, {200}, "200 and the provider's signing keys")
    try:
        document = json.loads(answer.body)
    except ValueError:
        return ("error", f'JWKS {url} is not JSON (expected {{"keys": [...]}})')
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not keys:
        return ("error", f"JWKS {url} holds no keys (expected a key for {algorithm})")
    problems = [key_problem(key, algorithm) for key in keys]
    usable = problems.count(None)
    if usable:
        return ("ok", f"JWKS {url} holds {usable} key(s) for {algorithm}")
    listed = "; ".join(str(problem) for problem in problems)
    return ("error", f"JWKS {url} holds no key usable for {algorithm} ({listed})")


def probe_oidc(
    issuer: str,
    internal_url: str | None,
    timeout: float,
    algorithm: str = "RS256",
    client: ClientCheck | None = None,
) -> list[Finding]:
    """Findings about the OpenID Provider ``issuer``, reached at ``internal_url`` if set; with
    ``client``, whether its token endpoint accepts that login client."""
    base = (internal_url or issuer).rstrip("/")
    where = "internal URL" if internal_url else "issuer URL"
    url = base + WELL_KNOWN
    answer = fetch(url, timeout)
    if answer.status != 200:
        return [_answered(f"OIDC discovery ({where})", url, answer, {200}, "200 and JSON")]
    try:
        document = json.loads(answer.body)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return [("error", f"OIDC discovery {url} is not a JSON object (expected the document)")]

    findings: list[Finding] = []
    announced = document.get("issuer")
    if announced == issuer:
        findings.append(("ok", f"OIDC discovery {url} announces issuer {issuer}, as configured"))
    else:
        findings.append(
            (
                "error",
                f"OIDC discovery {url} announces issuer {announced!r}, expected {issuer!r} "
                "exactly: the LMS pins the id_token's iss to the configured issuer, so every "
                "login would fail",
            )
        )

    checks = [
        ("authorization_endpoint", "authorization endpoint (browser URL)", "GET"),
        ("token_endpoint", "token endpoint", "POST"),
        ("userinfo_endpoint", "userinfo endpoint without a token", "GET"),
        ("jwks_uri", "JWKS", "GET"),
    ]
    for name, what, method in checks:
        announced_url = document.get(name)
        if not isinstance(announced_url, str) or not announced_url:
            findings.append(("error", f"OIDC discovery {url} lacks {name}"))
            continue
        if name == "authorization_endpoint":
            target = announced_url  # the browser goes there, never through the internal URL
            answer = fetch(target, timeout, method)
            healthy = set(range(100, 500)) - {404}
            findings.append(_answered(what, target, answer, healthy, "an answer, not 404 or 5xx"))
            continue
        target = rewrite_endpoint(announced_url, issuer, internal_url)
        if internal_url and target == announced_url:
            findings.append(
                (
                    "warning",
                    f"{what} {announced_url} is not under the issuer {issuer}: the LMS calls it "
                    "as announced, not through the internal URL",
                )
            )
        if name == "jwks_uri":
            findings.append(_jwks(target, timeout, algorithm))
        elif name == "token_endpoint" and client is not None:
            auth_method = token_auth_method(client.auth_method, document)
            answer = exchange_dummy_code(target, client, auth_method, timeout)
            findings.append(client_finding(target, client, auth_method, answer))
        elif name == "token_endpoint":
            answer = fetch(target, timeout, method)
            findings.append(_answered(what, target, answer, {400, 401}, "400/401 without a client"))
        else:
            answer = fetch(target, timeout, method)
            findings.append(_answered(what, target, answer, {400, 401, 403}, "400/401/403"))
    return findings
