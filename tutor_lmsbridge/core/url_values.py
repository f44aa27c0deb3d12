"""URL values: parse the operator's URLs once, strictly, and build derived URLs."""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import urlsplit

from .errors import ConfigError, show_value

# A DNS name or IPv4 address; an IPv6 literal comes in brackets and is checked apart.
_HOST_RE = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_PATH_RE = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$")
EXAMPLE = "https://app.example.com"
# "user:password@" before the host, with or without a scheme ("admin:pw@host" too): tested
# before any message shows the value, so that a password is never echoed.
_USER_INFO_RE = re.compile(r"^\s*(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?://)?[^/?#@]*@")


def has_user_info(text: str) -> bool:
    return bool(_USER_INFO_RE.match(text))


def user_info_error(key: str, value: object) -> ConfigError | None:
    """The error for a URL (or a list of URLs) carrying user info, said without the value:
    credentials do not belong in a URL Tutor keeps in config.yml and the plugin prints."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, str) and has_user_info(item):
            bare = _without_user_info(item.strip())
            usable = bare.startswith(("http://", "https://")) and isinstance(value, str)
            return ConfigError(
                key,
                "a URL must not carry a user name or password (user:password@host): "
                "credentials do not belong in a URL, which config.yml keeps and status and "
                "logs show",
                "give the URL without them (the app's credentials have keys of their own)",
                bare if usable else None,
            )
    return None


def _without_user_info(text: str) -> str:
    match = _USER_INFO_RE.match(text)
    if match is None:
        return text
    head = match.group(0)
    scheme = head.split("//", 1)[0] + "//" if "//" in head else ""
    return scheme + text[match.end() :]


class BaseUrl(NamedTuple):
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
    error = user_info_error(key, text)
    if error is not None:
        raise error
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
    if parts.netloc.startswith("[") or ":" in host:
        host = _ipv6_host(key, text, host, fix)
    elif not _HOST_RE.match(host):
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


def _ipv6_host(key: str, text: str, host: str, fix: str) -> str:
    """An IPv6 literal (a Docker IPv6 gateway such as fd00::1), kept in brackets as URLs
    write it, so that every URL and origin built on it stays valid."""
    import ipaddress  # on this path only: it costs every `tutor` call to import

    try:
        address = ipaddress.IPv6Address(host)
        if address.scope_id:  # "%eth0" names an interface of this machine only
            raise ValueError(host)
    except ValueError:
        raise ConfigError(
            key, f"{show_value(text)} has no valid IPv6 address in brackets", fix, EXAMPLE
        ) from None
    return f"[{address.compressed}]"
