"""OpenID Connect login into Open edX: one social-auth backend class per identity provider.

edx-platform keys provider rows on (Site, backend name), so two OpenID Providers need two
backend names, hence two classes. The plugin lists ``lmsbridge_openedx.oidc.OIDC_<name>`` in
AUTHENTICATION_BACKENDS, where ``<name>`` is the backend name ([a-z0-9][a-z0-9-]*) with "-"
written as "_". This module makes those classes on first access (PEP 562 ``__getattr__``), so
``import_string``, social-core's ``load_backends`` and pickle all find them, and any name works
without a code change in the image. Each class has its own ``name`` (provider id
``oa2-<name>``) and, because social-core caches discovery and JWKS per class, its own caches.

Settings, read through ``self.setting`` (edx-platform resolves them from the provider row's
``other_settings``; ``KEY``/``SECRET`` from the row and SOCIAL_AUTH_OAUTH_SECRETS):

- ``OIDC_ENDPOINT``: the issuer as browsers reach it (without /.well-known/openid-configuration);
- ``ID_TOKEN_ISSUER``: the ``iss`` the id_token must carry; when unset, OIDC_ENDPOINT — never
  what the discovery document announces (social-core's default), which would accept any issuer
  the fetched document names;
- ``INTERNAL_ENDPOINT`` (optional): the same issuer as the LMS container reaches it. Discovery is
  read there, and the token, userinfo, JWKS and revocation endpoints announced under the public
  issuer are called there. The authorization endpoint stays public (the browser goes there), and
  so does the expected ``iss``;
- ``SCOPE``, ``USERNAME_KEY`` (social-core's own; default ``preferred_username``);
- ``FULLNAME_KEY`` (default ``name``) and ``EMAIL_KEY`` (default ``email``): the claims the full
  name and the email come from.

Imports Django-free social-core only; nothing from tutor_lmsbridge (this package runs in the
image).
"""

import re
import threading
from typing import Any

from social_core.backends.open_id_connect import OpenIdConnectAuth

CLASS_PREFIX = "OIDC_"
# An attribute name of a backend class: the backend name, "-" written as "_".
_CLASS_NAME = re.compile(r"OIDC_([a-z0-9][a-z0-9_]*)")
_lock = threading.Lock()
_classes: dict[str, type["OidcBackendBase"]] = {}


def class_name(backend_name: str) -> str:
    """The attribute of this module that is the backend class for ``backend_name``."""
    return CLASS_PREFIX + backend_name.replace("-", "_")


def rewrite_endpoint(url: str, public: str, internal: str | None) -> str:
    """``url`` with the public issuer's origin and path replaced by ``internal``, when it lies
    under the public issuer; any other URL (another host, another path) as it is."""
    if not internal:
        return url
    public, internal = public.rstrip("/"), internal.rstrip("/")
    rest = url[len(public) :]
    if url.startswith(public) and (rest == "" or rest[0] in "/?#"):
        return internal + rest
    return url


class OidcBackendBase(OpenIdConnectAuth):
    """What the per-provider classes share; never listed itself (its name is social-core's
    generic "oidc")."""

    def public_endpoint(self) -> str:
        return str(self.setting("OIDC_ENDPOINT", self.OIDC_ENDPOINT) or "")

    def internal_endpoint(self) -> str | None:
        value = self.setting("INTERNAL_ENDPOINT", None)
        return str(value) if value else None

    def oidc_endpoint(self) -> str:
        # Where discovery is read from: the LMS's own way to the issuer. OpenID Connect
        # Discovery removes a terminating "/" before appending the well-known path.
        return (self.internal_endpoint() or self.public_endpoint()).rstrip("/")

    def server_side(self, url: str) -> str:
        return rewrite_endpoint(url, self.public_endpoint(), self.internal_endpoint())

    def access_token_url(self) -> str:
        return self.server_side(super().access_token_url())

    def userinfo_url(self) -> str:
        return self.server_side(super().userinfo_url())

    def jwks_uri(self) -> str:
        return self.server_side(super().jwks_uri())

    def revoke_token_url(self, token: Any, uid: Any) -> str:
        return self.server_side(super().revoke_token_url(token, uid))

    def id_token_issuer(self) -> str:
        return str(self.setting("ID_TOKEN_ISSUER", None) or self.public_endpoint())

    def claim(self, response: dict[str, Any], key: str) -> Any:
        """A claim from the userinfo response, else from the validated id_token."""
        if key in response:
            return response[key]
        if self.id_token is not None:
            return self.id_token.get(key)
        return None

    def get_user_details(self, response: dict[str, Any]) -> dict[str, Any]:
        details: dict[str, Any] = super().get_user_details(response)  # type: ignore[no-untyped-call]
        details["fullname"] = self.claim(response, self.setting("FULLNAME_KEY", "name"))
        details["email"] = self.claim(response, self.setting("EMAIL_KEY", "email"))
        return details


def __getattr__(attribute: str) -> type[OidcBackendBase]:
    match = _CLASS_NAME.fullmatch(attribute)
    if match is None:
        raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")
    backend_name = match.group(1).replace("_", "-")
    with _lock:
        # Made once per name: Django and social-core compare and cache by class, so two
        # threads of one LMS process must not each make their own.
        if attribute not in _classes:
            _classes[attribute] = type(
                attribute,
                (OidcBackendBase,),
                {
                    "name": backend_name,
                    "__module__": __name__,
                    "__qualname__": attribute,
                    "__doc__": f"OpenID Connect backend {backend_name!r}.",
                },
            )
        return _classes[attribute]
