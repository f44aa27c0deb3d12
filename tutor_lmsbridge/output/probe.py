"""`tutor lmsbridge check --probe`: reach each identity provider from this machine.

One finding per endpoint; each login protocol probes its providers (protocols/): OpenID
Connect through ``oidc_probe`` (discovery, issuer, endpoints, JWKS), SAML through
``saml_probe`` (metadata, entity id, single sign-on endpoint, signing certificate; inline
metadata is checked as given). For the OAuth2 ones (``probe_oauth2``), what counts as
healthy is what an OAuth2 provider answers to a request without credentials: the
authorization page answers (not 404 / 5xx), the token endpoint refuses with 400 or 401
(once the login client is set: a dummy code exchanged with the client's credentials, sent
as the backend class sends them, answers invalid_grant), the user-info API (``API_ROOT +
api/users/me``) refuses with 401 or 403, and an OIDC discovery document is JSON naming its
endpoints.
"""

from __future__ import annotations

import json

from ..core.connected_apps import ConnectedApp, IdentityProvider
from ..core.plan import Plan
from ..protocols import provider_protocol
from .http_fetch import Answer, fetch
from .oidc_probe import BASIC, POST, ClientCheck, exchange_dummy_code, oauth2_error
from .reports import Finding, provider_redirect_uri

USER_INFO_PATH = "api/users/me"


def _finding(key: str, what: str, url: str, answer: Answer, healthy: set[int]) -> Finding:
    if answer.status is None:
        return Finding("error", key, f"{what} {url}: {answer.problem}")
    if answer.status in healthy:
        return Finding("ok", key, f"{what} {url} answers {answer.status}")
    hint = " (wrong path?)" if answer.status == 404 else ""
    expected = "/".join(str(code) for code in sorted(healthy))
    return Finding("error", key, f"{what} {url} answers {answer.status}{hint}, expected {expected}")


def probe(plan: Plan, timeout: float = 5.0) -> list[Finding]:
    """Every identity provider, as its login protocol probes it."""
    findings = []
    for app in plan.bridge.apps:
        # A pending client does not stop the probe: the endpoints answer before it exists.
        if app.provider is not None:
            findings += provider_protocol(app.preset).probe(plan, app, timeout)
    return findings


def probe_oauth2(plan: Plan, app: ConnectedApp, timeout: float) -> list[Finding]:
    """The endpoints an OAuth2 provider's settings name (endpoints and generic protocols)."""
    provider = app.provider
    if not isinstance(provider, IdentityProvider):
        return []
    settings = provider.other_settings
    key = app.key_prefix.rstrip("_")
    if "DISCOVERY_URL" in settings:
        return [_discovery(key, settings["DISCOVERY_URL"], timeout)]
    findings = []
    if "AUTHORIZATION_URL" in settings:
        url = settings["AUTHORIZATION_URL"]
        answer = fetch(url, timeout)
        ok = set(range(200, 400)) | {400, 401, 403}
        findings.append(_finding(key, "authorization page (browser URL)", url, answer, ok))
    if "ACCESS_TOKEN_URL" in settings:
        url = settings["ACCESS_TOKEN_URL"]
        if provider.ready:
            findings.append(_client_known(plan, app, url, timeout))
        else:
            answer = fetch(url, timeout, method="POST")
            findings.append(_finding(key, "token endpoint (internal URL)", url, answer, {400, 401}))
    if "API_ROOT" in settings:
        url = settings["API_ROOT"].rstrip("/") + "/" + USER_INFO_PATH
        answer = fetch(url, timeout)
        findings.append(_finding(key, "user info without a token", url, answer, {401, 403}))
    return findings


def login_client_check(plan: Plan, app: ConnectedApp) -> ClientCheck:
    """The login client as the LMS presents it at the token endpoint (never printed)."""
    provider = app.provider
    assert isinstance(provider, IdentityProvider)
    prefix = app.key_prefix
    return ClientCheck(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        redirect_uri=provider_redirect_uri(plan, app, dev=False) or "",
        auth_method=str(provider.other_settings.get("TOKEN_ENDPOINT_AUTH_METHOD") or ""),
        fix=f"set {prefix}CLIENT_ID and {prefix}CLIENT_SECRET to the client registered for "
        f"Open edX at the provider (its redirect URI: `tutor lmsbridge credentials {app.name}`)",
    )


def oauth2_auth_method(app: ConnectedApp) -> str:
    """How the app's backend class authenticates at the token endpoint: social-core's
    ``BaseOAuth2.use_basic_auth`` returns the class's USE_BASIC_AUTH (basic), else the
    credentials go in the body (social_core/backends/oauth.py); an OpenID Connect class
    first reads TOKEN_ENDPOINT_AUTH_METHOD (open_id_connect.py). A class that does not import
    here (only the image has it) is taken as social-core's default, the body."""
    from ..core.backend_classes import load_class  # imports the class: probe only

    provider = app.provider
    assert isinstance(provider, IdentityProvider)
    cls = load_class(provider.backend.class_path)
    setting = provider.other_settings.get("TOKEN_ENDPOINT_AUTH_METHOD")
    if setting and cls is not None and "TOKEN_ENDPOINT_AUTH_METHOD" in dir(cls):
        return BASIC if setting == BASIC else POST
    return BASIC if getattr(cls, "USE_BASIC_AUTH", False) is True else POST


def _client_known(plan: Plan, app: ConnectedApp, url: str, timeout: float) -> Finding:
    """Whether the app knows Open edX's login client: exchange a dummy authorization code
    with the client's credentials, sent the way the backend sends them. An OAuth2 provider
    authenticates the client before it looks at the code (RFC 6749 §4.1.3, oauthlib's order),
    so ``invalid_grant`` means the id and secret are registered, and ``invalid_client`` (401)
    that they are not."""
    provider = app.provider
    assert isinstance(provider, IdentityProvider)
    key = app.key_prefix.rstrip("_")
    method = oauth2_auth_method(app)
    answer = exchange_dummy_code(url, login_client_check(plan, app), method, timeout)
    error = oauth2_error(answer.body)
    what = f"token endpoint (internal URL) {url}"
    if answer.status == 400 and error == "invalid_grant":
        return Finding("ok", key, f"{what} knows the login client {provider.client_id}")
    if answer.status == 401 or error == "invalid_client":
        fix = (
            f"register it: step 2 of `tutor lmsbridge credentials {app.name}`"
            if provider.generated
            else f"check {app.key_prefix}CLIENT_ID and _CLIENT_SECRET against {app.name}'s "
            "OAuth2 application"
        )
        return Finding(
            "error",
            key,
            f"{what} does not know the login client {provider.client_id} (or its secret "
            f"differs): login through {app.name} fails. Fix: {fix}",
        )
    return _finding(key, "token endpoint (internal URL)", url, answer, {400})


def _discovery(key: str, url: str, timeout: float) -> Finding:
    answer = fetch(url, timeout)
    if answer.status != 200:
        return _finding(key, "OIDC discovery document", url, answer, {200})
    try:
        document = json.loads(answer.body)
    except ValueError:
        return Finding("error", key, f"OIDC discovery document {url} is not JSON")
    missing = [
        name
        for name in ("authorization_endpoint", "token_endpoint")
        if not isinstance(document, dict) or name not in document
    ]
    if missing:
        return Finding("error", key, f"OIDC discovery document {url} lacks {', '.join(missing)}")
    return Finding("ok", key, f"OIDC discovery document {url} names its endpoints")
