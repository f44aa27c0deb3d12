"""`tutor lmsbridge check --probe`: reach each identity provider from this machine.

One finding per endpoint. What counts as healthy is what an OAuth2 provider answers to a
request without credentials: the authorization page answers (not 404 / 5xx), the token
endpoint refuses with 400 or 401, the user-info API (``API_ROOT + api/users/me``) refuses
with 401 or 403, and an OIDC discovery document is JSON naming its endpoints.
"""

import json
import socket
import urllib.error
import urllib.request
from typing import NamedTuple

from ..core.plan import Plan
from .reports import Finding

USER_INFO_PATH = "api/users/me"


class Answer(NamedTuple):
    status: int | None  # None: no HTTP answer
    body: bytes
    problem: str  # why there was no answer


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 302 to a login page is an answer; do not follow it


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, timeout: float, method: str = "GET") -> Answer:
    data = b"" if method == "POST" else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (http(s) only, validated)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return Answer(response.status, response.read(65536), "")
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read(65536) if exc.fp else b"", "")
    except TimeoutError:
        return Answer(None, b"", f"no answer within {timeout:g} s")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            return Answer(None, b"", f"no answer within {timeout:g} s")
        if isinstance(reason, ConnectionRefusedError):
            return Answer(None, b"", "connection refused")
        if isinstance(reason, socket.gaierror):
            return Answer(None, b"", "host name does not resolve")
        return Answer(None, b"", str(reason))
    except OSError as exc:
        return Answer(None, b"", str(exc))


def _finding(key: str, what: str, url: str, answer: Answer, healthy: set[int]) -> Finding:
    if answer.status is None:
        return Finding("error", key, f"{what} {url}: {answer.problem}")
    if answer.status in healthy:
        return Finding("ok", key, f"{what} {url} answers {answer.status}")
    hint = " (wrong path?)" if answer.status == 404 else ""
    expected = "/".join(str(code) for code in sorted(healthy))
    return Finding("error", key, f"{what} {url} answers {answer.status}{hint}, expected {expected}")


def probe(plan: Plan, timeout: float = 5.0) -> list[Finding]:
    findings = []
    for app in plan.bridge.apps:
        provider = app.provider
        # A pending client does not stop the probe: the endpoints answer before it exists.
        if provider is None:
            continue
        settings = provider.other_settings
        key = app.key_prefix.rstrip("_")
        if "DISCOVERY_URL" in settings:
            findings.append(_discovery(key, settings["DISCOVERY_URL"], timeout))
            continue
        if "AUTHORIZATION_URL" in settings:
            url = settings["AUTHORIZATION_URL"]
            answer = fetch(url, timeout)
            ok = set(range(200, 400)) | {400, 401, 403}
            findings.append(_finding(key, "authorization page (browser URL)", url, answer, ok))
        if "ACCESS_TOKEN_URL" in settings:
            url = settings["ACCESS_TOKEN_URL"]
            answer = fetch(url, timeout, method="POST")
            findings.append(_finding(key, "token endpoint (internal URL)", url, answer, {400, 401}))
        if "API_ROOT" in settings:
            url = settings["API_ROOT"].rstrip("/") + "/" + USER_INFO_PATH
            answer = fetch(url, timeout)
            findings.append(_finding(key, "user info without a token", url, answer, {401, 403}))
    return findings


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
