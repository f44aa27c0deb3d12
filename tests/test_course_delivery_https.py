"""Course-run delivery to an HTTPS catalog (issue #22): the TLS handshake is inside the one
deadline of a request, and a certificate problem is one line saying so, never a traceback.

The catalog is tests/support/catalog_server.py behind a certificate from a throwaway private CA
made for this module (tests/support/tls.py). ``deliver()`` trusts that CA the way Studio's
worker in an operator's container would: ``SSL_CERT_FILE``, which OpenSSL reads when
``ssl.create_default_context()`` loads the default verify paths (no test-only hook in
sync.py). Each test costs at most its 1 s deadline."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .support.catalog_server import Catalog, catalog_server
from .support.provider_server import silent_listener
from .support.studio import sync_targets
from .support.tls import PrivateCA, private_ca

SECRET = "richie-sync-secret"
RUN = {
    "resource_link": "https://local.openedx.io/courses/course-v1:edX+C1+run/course/",
    "languages": ["fr"],  # a new run needs its languages (Richie validates it whole)
}


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> PrivateCA:
    return private_ca(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def catalog(ca: PrivateCA) -> Iterator[Catalog]:
    with catalog_server([SECRET], tls=ca.server_context("127.0.0.1")) as server:
        yield server


@pytest.fixture
def richie(catalog: Catalog, ca: PrivateCA) -> Iterator[Catalog]:
    """The module's HTTPS catalog, reset: answering, empty, with its own certificate."""
    tls = catalog.tls
    catalog.mode = "ok"
    catalog.stored.clear()
    catalog.requests = 0
    yield catalog
    catalog.mode = "ok"
    catalog.tls = tls


@pytest.fixture
def trusted(ca: PrivateCA, monkeypatch: pytest.MonkeyPatch) -> None:
    """Studio's worker trusts the private CA, as an operator's container is told to."""
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.cert_file))


def target(base: str) -> dict[str, Any]:
    (entry,) = sync_targets(
        base, LMSBRIDGE_RICHIE_SYNC_SECRETS=[SECRET], LMSBRIDGE_RICHIE_SYNC_TIMEOUT=1
    )
    assert entry["url"].startswith(base)
    return entry


def timed(entry: dict[str, Any]) -> tuple[Any, float]:
    from lmsbridge_openedx import sync

    started = time.monotonic()
    outcome = sync.deliver(entry, RUN)
    return outcome, time.monotonic() - started


def test_an_https_catalog_behind_a_private_ca_gets_the_run(trusted: None, richie: Catalog) -> None:
    from lmsbridge_openedx import sync

    entry = target(richie.base)
    assert entry["url"].startswith("https://127.0.0.1:")
    outcome, elapsed = timed(entry)
    assert (outcome.result, outcome.detail) == (sync.DELIVERED, "HTTP 200")
    assert richie.stored == {RUN["resource_link"]: RUN}  # its signature checked by richie's code
    assert elapsed < 0.9  # well before the deadline: no waiting
    # The same catalog with a wrong secret: the TLS path carries Richie's refusal too.
    outcome, _ = timed({**entry, "secret": "not-" + SECRET})
    assert (outcome.result, outcome.detail) == (
        sync.REFUSED,
        'answered HTTP 401: "Invalid authentication."',
    )
    assert richie.requests == 2


def test_a_catalog_that_never_answers_the_handshake_is_given_up_at_the_deadline(
    trusted: None,
) -> None:
    """TCP is accepted (the kernel's backlog), the ClientHello never answered."""
    from lmsbridge_openedx import sync

    with silent_listener() as silent:
        outcome, elapsed = timed(target(silent.replace("http://", "https://", 1)))
    assert (outcome.result, outcome.detail) == (sync.RETRY, "could not connect within 1 s")
    assert 0.95 < elapsed < 1.5


def test_a_slow_connect_then_a_stalled_handshake_still_ends_at_the_deadline(
    trusted: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connect takes 0.7 s (a far or lossy network: the real connect, answered late),
    then the handshake stalls: the handshake may only use the 0.3 s left, not a fresh 1 s
    (which made it 1.7 s)."""
    from lmsbridge_openedx import sync

    real = socket.create_connection

    def answered_late(*args: Any, **kwargs: Any) -> socket.socket:
        sock = real(*args, **kwargs)
        time.sleep(0.7)
        return sock

    monkeypatch.setattr(socket, "create_connection", answered_late)  # what sync.py calls
    with silent_listener() as silent:
        outcome, elapsed = timed(target(silent.replace("http://", "https://", 1)))
    assert (outcome.result, outcome.detail) == (sync.RETRY, "could not connect within 1 s")
    assert 0.95 < elapsed < 1.5


def test_a_catalog_dripping_its_answer_over_tls_cannot_hold_the_request(
    trusted: None, richie: Catalog
) -> None:
    """After the handshake, one byte (one TLS record) every 0.3 s: a 20 s answer, on which a
    per-read timeout of 1 s never fires."""
    from lmsbridge_openedx import sync

    richie.mode = "drip"
    outcome, elapsed = timed(target(richie.base))
    assert (outcome.result, outcome.detail) == (
        sync.RETRY,
        "no answer within 1 s (the run was sent; it may have landed)",
    )
    assert richie.requests == 1  # the request went through TLS and reached the handler
    assert 0.95 < elapsed < 1.5


# A certificate the worker does not accept is RETRY, not REFUSED: REFUSED means Richie read the
# run and will not take it, so it is dropped until the next publish. Here Richie never saw
# the run, and what is wrong is on the path to it (a CA not yet given to the worker, a proxy
# serving its default certificate during a deploy, a renewal): once fixed, the retries
# deliver the pending updates within SYNC_RETRY_HOURS with nothing re-published, and each
# try logs the reason meanwhile.
@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("CA not trusted", "certificate verify failed: unable to get local issuer certificate"),
        (
            "another host",
            "certificate verify failed: IP address mismatch, certificate is not valid for "
            "'127.0.0.1'",
        ),
    ],
)
def test_a_certificate_the_worker_does_not_accept_is_named_in_one_line(
    case: str,
    reason: str,
    richie: Catalog,
    ca: PrivateCA,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lmsbridge_openedx import sync

    if case == "CA not trusted":
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # the system's CAs only
    else:
        monkeypatch.setenv("SSL_CERT_FILE", str(ca.cert_file))
        richie.tls = ca.server_context("127.0.0.9")  # a valid certificate, for another host
    outcome, elapsed = timed(target(richie.base))
    assert outcome.result == sync.RETRY
    assert outcome.detail.startswith(
        "connection failed before the run was sent (SSLCertVerificationError: "
        f"[SSL: CERTIFICATE_VERIFY_FAILED] {reason}"
    )
    assert "\n" not in outcome.detail
    assert "Traceback" not in outcome.detail
    assert (richie.requests, richie.stored) == (0, {})
    assert elapsed < 0.9  # well before the deadline: no waiting


def test_an_https_url_for_a_plain_http_catalog_says_so_within_the_deadline(trusted: None) -> None:
    """INTERNAL_URL says https:// but Richie's service inside the cluster speaks HTTP."""
    from lmsbridge_openedx import sync

    with catalog_server([SECRET]) as plain:
        outcome, elapsed = timed(target(plain.base.replace("http://", "https://", 1)))
        assert plain.stored == {}
    assert outcome.result == sync.RETRY
    assert outcome.detail.startswith(
        "connection failed before the run was sent (SSLError: [SSL: WRONG_VERSION_NUMBER]"
    )
    assert elapsed < 0.9  # well before the deadline: no waiting
