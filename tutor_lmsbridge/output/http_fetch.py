"""One HTTP request for the probes, answered or explained, never raised (standard library).

The probes ask an endpoint what a login will ask it; an HTTP error status is an answer like
any other, and a failure to get one is said in words ("connection refused", "no answer
within 5 s", "host name does not resolve").
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from typing import NamedTuple, TypeVar

T = TypeVar("T")


class Answer(NamedTuple):
    status: int | None  # None: no HTTP answer
    body: bytes
    problem: str  # why there was no answer


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a redirect is the endpoint's answer; following it would probe elsewhere


_NOT_FOLLOWING = urllib.request.build_opener(_NoRedirect)
_FOLLOWING = urllib.request.build_opener()


def _explain(exc: BaseException, timeout: float) -> str:
    """Why no HTTP answer came, in words."""
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            return f"no answer within {timeout:g} s"
        if isinstance(reason, ConnectionRefusedError):
            return "connection refused"
        if isinstance(reason, socket.gaierror):
            return "host name does not resolve"
        return str(reason)
    return str(exc)


def fetch_streaming(
    url: str,
    timeout: float,
    read: Callable[[Iterator[bytes]], T],
    *,
    headers: dict[str, str] | None = None,
    chunk: int = 1 << 16,
) -> tuple[int | None, T | None, str]:
    """GET ``url`` (following redirects) and, on a 200, give ``read`` its body in chunks as
    they arrive: a large document (a federation's metadata) is never held whole here.
    Returns (status, what ``read`` returned, why there was no answer)."""
    if not url.startswith(("http://", "https://")):
        return None, None, "not an http(s) URL"
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (http(s), checked above)
    try:
        with _FOLLOWING.open(request, timeout=timeout) as response:
            if response.status != 200:
                return response.status, None, ""
            return 200, read(iter(lambda: response.read(chunk), b"")), ""
    except urllib.error.HTTPError as exc:
        return exc.code, None, ""
    except (urllib.error.URLError, OSError) as exc:
        return None, None, _explain(exc, timeout)


def fetch(
    url: str,
    timeout: float,
    method: str = "GET",
    *,
    headers: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    follow_redirects: bool = False,
    limit: int = 1 << 20,
) -> Answer:
    """``url``'s status and at most ``limit`` bytes of its body (a POST sends ``form``)."""
    if not url.startswith(("http://", "https://")):
        return Answer(None, b"", "not an http(s) URL")
    data = urllib.parse.urlencode(form or {}).encode() if method == "POST" else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310 (http(s), checked above)
    opener = _FOLLOWING if follow_redirects else _NOT_FOLLOWING
    try:
        with opener.open(request, timeout=timeout) as response:
            return Answer(response.status, response.read(limit), "")
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read(limit) if exc.fp else b"", "")
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
