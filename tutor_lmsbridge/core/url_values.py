"""URL values: parse the operator's URLs once, strictly, and build derived URLs."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .errors import ConfigError, show_value
from .records import Record

# A DNS name or IPv4 address (no user info, no IPv6 brackets: nothing here needs them).
_HOST_RE = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_PATH_RE = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$")
EXAMPLE = "https://app.example.com"


class BaseUrl(Record):
    """An absolute http(s) URL without query or fragment, kept without a trailing slash."""

    scheme: str
    host: str
    port: int | None
    path: str  # "" or "/prefix" (never ends with "/")

    @property
    def origin(self) -> str:
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}://{self.host}{port}"

    @property
    def netloc(self) -> str:
        return self.origin.split("://", 1)[1]

    def __str__(self) -> str:
        return self.origin + self.path

    def join(self, path: str) -> str:
        """This URL followed by ``path`` (which starts with "/")."""
        return f"{self}{path}"


def parse_base_url(key: str, value: object, allow_query: bool = False) -> BaseUrl:
    """Parse ``value`` as an absolute http(s) URL, or raise a ConfigError naming ``key``.
    ``allow_query``: a query is accepted (and left out of the BaseUrl), for document URLs
    such as a SAML metadata URL."""
    fix = "give an absolute http(s) URL without query"
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(key, f"expected a URL, got {show_value(value)}", fix, EXAMPLE)
    text = value.strip()
    if any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise ConfigError(key, "a URL cannot contain spaces or control characters", fix, EXAMPLE)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ConfigError(key, f"{show_value(text)} is not a valid URL", fix, EXAMPLE) from None
    if parts.scheme not in ("http", "https"):
        raise ConfigError(
            key, f"{show_value(text)} must start with http:// or https://", fix, EXAMPLE
        )
    host = parts.hostname or ""
    if not _HOST_RE.match(host) or parts.username or parts.password:
        raise ConfigError(key, f"{show_value(text)} has no valid host name", fix, EXAMPLE)
    if (parts.query and not allow_query) or parts.fragment:
        raise ConfigError(
            key, f"{show_value(text)} must not have a query or fragment", fix, EXAMPLE
        )
    if not _PATH_RE.match(parts.path):
        raise ConfigError(
            key, f"{show_value(text)} has characters not allowed in a path", fix, EXAMPLE
        )
    return BaseUrl(parts.scheme, host.lower(), port, parts.path.rstrip("/"))
