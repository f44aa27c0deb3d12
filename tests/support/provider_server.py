"""A small OAuth2/OIDC provider look-alike on 127.0.0.1 for `check --probe` tests, and a
listener that never answers (for time-outs). Both run in threads and stop on exit."""

import base64
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class ProviderHandler(BaseHTTPRequestHandler):
    """Answers like an OAuth2 provider to requests without credentials, and to a code
    exchange as django-oauth-toolkit does: the client is authenticated first (401
    invalid_client), then the code is checked (400 invalid_grant)."""

    clients: dict[str, str] = {}  # noqa: RUF012 (set per server, read only)
    # Only HTTP Basic client authentication (client_secret_basic), as providers that do not
    # support client_secret_post: credentials in the form are refused.
    basic_only = False

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean

    def _send(
        self, status: int, body: object = None, headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        host = f"http://{self.headers['Host']}"
        if self.path.startswith("/oauth2/authorize/"):
            self._send(302, headers={"Location": "/login/?next=/oauth2/authorize/"})
        elif self.path == "/api/users/me":
            self._send(401, {"detail": "Authentication credentials were not provided."})
        elif self.path == "/.well-known/openid-configuration":
            self._send(
                200,
                {
                    "issuer": host,
                    "authorization_endpoint": f"{host}/oauth2/authorize/",
                    "token_endpoint": f"{host}/oauth2/token/",
                },
            )
        elif self.path == "/.well-known/broken-configuration":
            self._send(200, {"issuer": host})
        else:
            self._send(404, {"detail": "Not found."})

    def do_POST(self) -> None:
        if self.path == "/oauth2/token/":
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            client_id, secret = form.get("client_id", ""), form.get("client_secret")
            header = self.headers.get("Authorization") or ""
            if header.startswith("Basic "):
                client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            elif self.basic_only:
                client_id = ""
            if client_id in self.clients and self.clients[client_id] == secret:
                self._send(400, {"error": "invalid_grant"})
            else:
                self._send(401, {"error": "invalid_client"})
        else:
            self._send(404, {"detail": "Not found."})


@contextmanager
def provider_server(
    host: str = "127.0.0.1", clients: dict[str, str] | None = None, basic_only: bool = False
) -> Iterator[str]:
    """Yield the base URL of a running provider look-alike that knows ``clients`` (id:
    secret)."""
    handler = type(
        "Handler", (ProviderHandler,), {"clients": dict(clients or {}), "basic_only": basic_only}
    )
    server = ThreadingHTTPServer((host, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def silent_listener(host: str = "127.0.0.1") -> Iterator[str]:
    """A port that accepts connections (kernel backlog) but never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    sock.listen(16)
    try:
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        sock.close()


def closed_port_url(host: str = "127.0.0.1") -> str:
    """The URL of a port nothing listens on (connections are refused)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://{host}:{port}"
