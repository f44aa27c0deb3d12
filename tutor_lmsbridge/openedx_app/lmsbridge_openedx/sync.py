"""Course-run sync to Richie: signature and one bounded HTTP POST. No edx-platform import here.

The payload (what a run says) is built in ``richie_payload``; ``course_run``, ``iso`` and
``resource_link`` are re-exported here so callers of ``sync.course_run`` keep working.
When and how often a run is sent (Studio's Celery task, retries) is ``tasks``.

Richie's endpoint ``<richie>/api/v1.0/course-runs-sync/`` takes one course run (or a list),
signed with ``Authorization: SIG-HMAC-SHA256 <hex>`` where hex is the HMAC-SHA256 of the raw
body under one of ``RICHIE_COURSE_RUN_SYNC_SECRETS`` (richie/apps/courses/api.py,
``sync_course_runs_from_request``). :func:`deliver` never raises: it says what is known.

The timeout is one deadline for the whole request. ``urllib``'s ``timeout`` applies to each
socket operation, so a catalog that drips one byte every 3 s held a 5 s request for 30 s. Here
every socket operation (connect, each send, each read) gets what is left of the deadline as
its own timeout, and none starts once it has passed; so the request ends at the deadline
whatever the catalog does. No extra thread: a thread abandoned on a stuck socket would keep
the worker's connection (and the thread) until the catalog closes it.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import io
import json
import logging
import socket
import ssl
import time
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from .richie_payload import course_run, for_catalog, iso, resource_link

__all__ = [
    "DELIVERED",
    "REFUSED",
    "RETRY",
    "Outcome",
    "answer_text",
    "course_run",
    "deliver",
    "iso",
    "resource_link",
    "send",
    "signature",
]

log = logging.getLogger(__name__)

DELIVERED = "delivered"
REFUSED = "refused"  # the catalog answered and will not take it: retrying would not help
RETRY = "retry"  # nothing definite: down, 5xx, 408/429, no answer in time

# What a log line keeps of the catalog's answer, and what is read of it at most.
BODY_SHOWN = 300
BODY_READ = 64 * 1024


class Outcome(NamedTuple):
    result: str  # DELIVERED, REFUSED or RETRY
    detail: str  # what is known, for the log line: status and Richie's answer, or the error
    status: int | None = None  # the HTTP status, when the catalog answered
    body: bytes = b""  # the catalog's answer (at most BODY_READ bytes)


def signature(body: bytes, secret: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"SIG-HMAC-SHA256 {digest}"


def _left(deadline: float) -> float:
    """Seconds left before the deadline; TimeoutError once it has passed."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("deadline passed")
    return left


class _DeadlineReader(io.RawIOBase):
    """The socket's read side, each read bounded by what is left of the deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._sock.settimeout(_left(self._deadline))
        return self._sock.recv_into(buffer)


class _DeadlineSocket:
    """What ``http.client`` uses of its socket (``sendall``, ``makefile``, ``close``), each
    call bounded by what is left of one deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline

    def sendall(self, data: bytes) -> None:
        # One timeout covers a whole sendall (Python >= 3.5), so the deadline holds. Over
        # TLS, SSLSocket.sendall loops on send(), but each send is one SSL_write of the whole
        # rest (Python does not enable partial writes), bounded as a whole in _ssl.c: the
        # first send takes everything or times out.
        self._sock.settimeout(_left(self._deadline))
        self._sock.sendall(data)

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))

    def close(self) -> None:
        self._sock.close()


class _Connection(http.client.HTTPConnection):
    def __init__(self, url: urllib.parse.SplitResult, deadline: float) -> None:
        self._tls = url.scheme == "https"
        default = 443 if self._tls else 80
        super().__init__(url.hostname or "", url.port or default)
        self._deadline = deadline

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), _left(self._deadline))
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls:
                # The context first: it reads the CA files (SSL_CERT_FILE or the system's).
                context = ssl.create_default_context()
                # The handshake is one call, bounded as a whole by the socket's timeout
                # (_ssl.c, do_handshake), and gets what is left *now*: the timeout that
                # create_connection set was what was left before the connect, so a slow
                # connect then a stalled handshake overran the deadline by the connect's time
                # (tests/test_course_delivery_https.py: a 0.7 s connect made 1 s into 1.7 s).
                sock.settimeout(_left(self._deadline))
                sock = context.wrap_socket(sock, server_hostname=self.host)
            _left(self._deadline)
        except BaseException:
            sock.close()
            raise
        self.sock = _DeadlineSocket(sock, self._deadline)


def answer_text(body: bytes, secret: str) -> str:
    """The catalog's answer as one short log-safe line, never the signing secret."""
    text = body.decode("utf-8", "replace")
    if secret:
        text = text.replace(secret, "[secret]")
    text = " ".join(text.split())  # one line: an answer cannot forge log lines
    if len(text) > BODY_SHOWN:
        text = text[:BODY_SHOWN] + "..."
    return text or "(empty body)"


def deliver(target: Mapping[str, Any], payload: Any) -> Outcome:
    """POST one run (or a list) to one catalog, within ``target["timeout"]`` seconds in all."""
    # Each catalog's own language codes (richie_payload owns what a run says).
    payload = for_catalog(target, payload)
    timeout = target["timeout"]
    body = json.dumps(payload).encode("utf-8")
    url = urllib.parse.urlsplit(target["url"])
    path = url.path + (f"?{url.query}" if url.query else "")
    deadline = time.monotonic() + timeout
    connection = _Connection(url, deadline)
    sent = False
    try:
        connection.request(
            "POST",
            path or "/",
            body,
            {
                "Content-Type": "application/json",
                "Authorization": signature(body, target["secret"]),
            },
        )
        sent = True
        response = connection.getresponse()
        status = response.status
        location = response.getheader("Location", "")
        try:
            answer = response.read(BODY_READ)
        except (TimeoutError, OSError, http.client.HTTPException):
            answer = b"(answer cut at the deadline)"
    except TimeoutError:
        if sent:
            # Richie may well have stored it: a re-send is harmless, runs are keyed by
            # resource_link (richie/apps/courses/api.py, sync_course_run).
            return Outcome(
                RETRY, f"no answer within {timeout} s (the run was sent; it may have landed)"
            )
        return Outcome(RETRY, f"could not connect within {timeout} s")
    except ConnectionRefusedError:
        return Outcome(RETRY, "refused the connection")
    except (OSError, http.client.HTTPException) as exc:
        problem = f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__
        where = "after the run was sent" if sent else "before the run was sent"
        return Outcome(RETRY, f"connection failed {where} ({problem})")
    finally:
        connection.close()
    said = answer_text(answer, target["secret"])
    if 200 <= status < 300:
        return Outcome(DELIVERED, f"HTTP {status}", status, answer)
    if status in (408, 429) or status >= 500:
        return Outcome(RETRY, f"answered HTTP {status}: {said}", status, answer)
    if 300 <= status < 400:
        said = f"a redirect to {location or '?'}: set INTERNAL_URL to where Richie answers"
    return Outcome(REFUSED, f"answered HTTP {status}: {said}", status, answer)


def send(targets: Iterable[Mapping[str, Any]], payload: Any) -> int:
    """Deliver once to every catalog, now, without retries (Studio's publish goes through the
    ``tasks`` queue instead); log each catalog that did not take it, with what is known, and
    return how many did not."""
    missed = 0
    for target in targets:
        outcome = deliver(target, payload)
        if outcome.result != DELIVERED:
            missed += 1
            log.warning(
                "lmsbridge: course run not delivered to %s (%s): %s",
                target["app"],
                outcome.result,
                outcome.detail,
            )
    return missed
