"""A course catalog on loopback that answers Richie's course-runs-sync endpoint as Richie 3.5
does (richie/apps/courses/api.py, ``sync_course_runs_from_request``): the signature checked
with richie's own ``get_signature`` against every secret, "Invalid authentication." (401)
otherwise; a list answered per resource link, 400 when any run was refused; runs stored by
resource_link: a run it has is updated with the fields sent (``sync_course_run``'s
``partial=bool(draft_course_runs)``), a new one needs its languages. Each test sets
``mode`` to make it misbehave: ``down`` (nothing listens), ``error`` (503),
``silent_after_storing`` (stores the run, then does not answer), ``drip`` (one byte every
``drip_seconds``). Stopped by the test that started it; a handler never outlives ``stop()``
by more than one ``drip_seconds``.

With ``tls`` (a server-side ``ssl.SSLContext``, see tests/support/tls.py) it is an HTTPS
catalog, as a Richie behind its own certificate is: each connection is wrapped in its handler
thread, so a client that stalls or fails the handshake holds only its own thread. ``tls`` is
read per connection: a test may swap it (another certificate) between requests."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from richie.apps.courses.utils import get_signature

SYNC_PATH = "/api/v1.0/course-runs-sync/"
# The secret the test catalog takes (tests/conftest.py, the ``catalog`` fixture).
SYNC_SECRET = "richie-sync-secret"


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True
    catalog: Catalog

    def finish_request(self, request: Any, client_address: Any) -> None:
        tls = self.catalog.tls
        if tls is not None:
            request.settimeout(5)  # a client that never finishes the handshake
            try:
                request = tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return  # the client refused our certificate, or spoke plain HTTP
            request.settimeout(None)
        super().finish_request(request, client_address)


class Catalog:
    def __init__(
        self, secrets: list[str], host: str = "127.0.0.1", tls: ssl.SSLContext | None = None
    ) -> None:
        self.secrets = secrets
        self.host = host
        self.tls = tls
        self.mode = "ok"
        self.drip_seconds = 0.3
        self.seconds_per_run = 0.0  # time taken per run before answering (the real Richie's
        # is ~0.25-0.5 s: it saves each run's draft and public pages and reindexes them)
        self.refuse_languages: set[str] = set()  # runs with these languages get a 400
        self.stored: dict[str, dict[str, Any]] = {}  # resource_link -> last run stored
        self.requests = 0
        self.stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        # Reserve a port; `down` frees it and `up` binds it again.
        probe = socket.socket()
        probe.bind((host, 0))
        self.port = probe.getsockname()[1]
        probe.close()

    @property
    def base(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def reset(self) -> None:
        """Up, answering, empty: what each test of a module sharing one catalog starts from."""
        self.up()
        self.mode = "ok"
        self.refuse_languages = set()
        self.seconds_per_run = 0.0
        self.stored.clear()
        self.requests = 0

    def up(self) -> None:
        if self._server is not None:
            return
        catalog = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                catalog.requests += 1
                body = self.rfile.read(int(self.headers["Content-Length"]))
                catalog.answer(self, body)

        self._server = _Server((self.host, self.port), Handler)
        self._server.catalog = self
        # A short poll: down() (shutdown) waits up to one poll interval.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    def down(self) -> None:
        if self._server is None:
            return
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self.stopping.clear()

    # ---- Richie's answers ----

    def answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        if self.mode == "error":
            self.send(handler, 503, b"<h1>Service Unavailable</h1>")
            return
        if self.mode == "drip":
            self.drip(handler, b'HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n{"success":true}')
            return
        message = body.decode("utf-8")
        authorization = handler.headers.get("Authorization", "")
        if not any(authorization == get_signature(message, s) for s in self.secrets):
            self.send(handler, 401, b'"Invalid authentication."')
            return
        data = json.loads(message)
        results: dict[str, Any] = {}
        status = 200
        for run in data if isinstance(data, list) else [data]:
            refused = set(run.get("languages", [])) & self.refuse_languages
            if refused:
                results[run["resource_link"]] = {
                    "languages": [f'"{sorted(refused)[0]}" is not a valid choice.']
                }
                status = 400
            elif run["resource_link"] in self.stored:
                # Richie updates a run it has with the fields sent (partial=True).
                self.stored[run["resource_link"]] = {**self.stored[run["resource_link"]], **run}
                results[run["resource_link"]] = {"success": True}
            elif "languages" not in run:
                # A new run is validated whole: its languages are required.
                results[run["resource_link"]] = {"languages": ["This field is required."]}
                status = 400
            else:
                self.stored[run["resource_link"]] = run
                results[run["resource_link"]] = {"success": True}
        runs = data if isinstance(data, list) else [data]
        if self.seconds_per_run and self.stopping.wait(self.seconds_per_run * len(runs)):
            return
        if self.mode == "silent_after_storing":
            self.stopping.wait(30)  # landed, but no answer (until the test stops the server)
            return
        answer = results if isinstance(data, list) else next(iter(results.values()))
        self.send(handler, status, json.dumps(answer).encode("utf-8"))

    @staticmethod
    def send(handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def drip(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        for byte in raw:
            if self.stopping.wait(self.drip_seconds):
                return
            try:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
            except OSError:
                return


@contextmanager
def catalog_server(secrets: list[str], tls: ssl.SSLContext | None = None) -> Iterator[Catalog]:
    catalog = Catalog(secrets, tls=tls)
    catalog.up()
    try:
        yield catalog
    finally:
        catalog.down()


def wait_until(condition: Any, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return bool(condition())
