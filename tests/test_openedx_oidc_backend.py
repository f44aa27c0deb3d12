"""The in-image OpenID Connect backends (lmsbridge_openedx.oidc), without any server: one class
per backend name, found the way Django and social-core find backends, with its own caches, the
LMS's internal URL for server-to-server calls, the issuer pinned, and the claims mapping."""

import itertools
import json
import pickle
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.utils.module_loading import import_string
from jwt.algorithms import RSAAlgorithm
from lmsbridge_openedx import oidc
from social_core.backends.utils import load_backends
from social_core.exceptions import AuthTokenError

PUBLIC = "https://sso.example.com/realms/staff"
INTERNAL = "http://keycloak:8080/realms/staff"
CLIENT_ID = "openedx"
DISCOVERY = {
    "issuer": PUBLIC,
    "authorization_endpoint": f"{PUBLIC}/protocol/openid-connect/auth",
    "token_endpoint": f"{PUBLIC}/protocol/openid-connect/token",
    "userinfo_endpoint": f"{PUBLIC}/protocol/openid-connect/userinfo",
    "jwks_uri": f"{PUBLIC}/protocol/openid-connect/certs",
    "revocation_endpoint": f"{PUBLIC}/protocol/openid-connect/revoke",
    "token_endpoint_auth_methods_supported": ["client_secret_basic"],
}


class Association:
    def __init__(self, pk: int, server_url: str, handle: str) -> None:
        self.id, self.server_url, self.handle = pk, server_url, handle


class AssociationStore:
    """social-core's association storage, in memory (the nonce lives there)."""

    def __init__(self) -> None:
        self.rows: list[Association] = []

    def store(self, server_url: str, association: Any) -> None:
        self.rows.append(Association(len(self.rows) + 1, server_url, association.handle))

    def get(self, server_url: str, handle: str) -> list[Association]:
        return [r for r in self.rows if r.server_url == server_url and r.handle == handle]

    def remove(self, ids: list[int]) -> None:
        self.rows = [r for r in self.rows if r.id not in ids]


class Storage:
    def __init__(self) -> None:
        self.association = AssociationStore()


class Strategy:
    """Resolves settings as edx-platform does for a provider row: the row's key and other
    settings; anything else is the caller's default."""

    def __init__(self, other_settings: dict[str, Any]) -> None:
        self.values = {"KEY": CLIENT_ID, "SECRET": "s3cret", **other_settings}
        self.storage = Storage()

    def setting(self, name: str, default: Any = None, backend: Any = None) -> Any:
        return self.values.get(name, default)

    def request_data(self) -> dict[str, Any]:
        return {}

    def absolute_uri(self, path: str | None = None) -> str | None:
        return path

    def random_string(self, length: int) -> str:
        return "n" * length


class Fetches:
    """What the backend fetched, and the documents it gets."""

    def __init__(self, discovery: dict[str, Any], jwks: dict[str, Any]) -> None:
        self.discovery, self.jwks = discovery, jwks
        self.urls: list[str] = []

    def install(self, backend: Any) -> None:
        def get_json(url: str, *args: Any, **kwargs: Any) -> Any:
            self.urls.append(url)
            return json.loads(json.dumps(self.discovery))

        class Response:
            text = json.dumps(self.jwks)

        def request(url: str, *args: Any, **kwargs: Any) -> Response:
            self.urls.append(url)
            return Response()

        backend.get_json = get_json
        backend.request = request


@pytest.fixture
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks_of(key: rsa.RSAPrivateKey) -> dict[str, Any]:
    public = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    return {"keys": [{**public, "kid": "k1", "use": "sig"}]}


_serial = itertools.count()


@pytest.fixture
def fresh_name() -> str:
    """A backend name no other test used: classes (and their caches) live for the process."""
    return f"unit-{next(_serial)}"


def backend_for(name: str, other_settings: dict[str, Any], fetches: Fetches) -> Any:
    backend = getattr(oidc, oidc.class_name(name))(Strategy(other_settings))
    fetches.install(backend)
    return backend


@pytest.mark.usefixtures("django_ready")  # ModelBackend, listed beside ours, imports Django's auth
def test_one_class_per_backend_name_found_as_django_and_social_core_find_backends() -> None:
    staff = import_string("lmsbridge_openedx.oidc.OIDC_staff_sso")
    learners = import_string("lmsbridge_openedx.oidc.OIDC_learners")
    assert (staff.name, learners.name) == ("staff-sso", "learners")
    assert staff is not learners
    assert issubclass(staff, oidc.OidcBackendBase)
    # Made once: the same class on every access (Django's auth compares backend paths, social
    # caches by class).
    assert import_string("lmsbridge_openedx.oidc.OIDC_staff_sso") is staff
    assert oidc.OIDC_staff_sso is staff
    # The dotted path edx-platform stores in the session leads back to the class.
    assert f"{staff.__module__}.{staff.__qualname__}" == "lmsbridge_openedx.oidc.OIDC_staff_sso"
    assert pickle.loads(pickle.dumps(staff)) is staff  # noqa: S301 (our own bytes)

    found = load_backends(  # type: ignore[no-untyped-call]
        [
            "lmsbridge_openedx.oidc.OIDC_staff_sso",
            "lmsbridge_openedx.oidc.OIDC_learners",
            "django.contrib.auth.backends.ModelBackend",
        ],
        force_load=True,
    )
    assert found["staff-sso"] is staff
    assert found["learners"] is learners


@pytest.mark.parametrize(
    "attribute",
    ["OIDC_", "OIDC_Staff", "OIDC__x", "OIDC_a.b", "oidc_staff", "OidcAuth", "__path__"],
)
def test_other_attributes_are_missing(attribute: str) -> None:
    with pytest.raises(AttributeError):
        getattr(oidc, attribute)


def test_discovery_and_jwks_are_cached_per_provider(
    key: rsa.RSAPrivateKey, fresh_name: str
) -> None:
    fetches = Fetches(DISCOVERY, jwks_of(key))
    first = backend_for(fresh_name, {"OIDC_ENDPOINT": PUBLIC}, fetches)
    assert first.authorization_url() == DISCOVERY["authorization_endpoint"]
    first.get_jwks_keys()
    again = backend_for(fresh_name, {"OIDC_ENDPOINT": PUBLIC}, fetches)
    again.access_token_url()
    again.get_jwks_keys()
    assert fetches.urls == [f"{PUBLIC}/.well-known/openid-configuration", DISCOVERY["jwks_uri"]]

    other_issuer = "https://login.example.org"
    other = Fetches({**DISCOVERY, "authorization_endpoint": f"{other_issuer}/authorize"}, {})
    second = backend_for(fresh_name + "-b", {"OIDC_ENDPOINT": other_issuer}, other)
    # The second provider's class reads its own discovery document, not the first one's.
    assert second.authorization_url() == f"{other_issuer}/authorize"
    assert other.urls == [f"{other_issuer}/.well-known/openid-configuration"]


def test_internal_endpoint_carries_server_calls_and_the_browser_stays_public(
    fresh_name: str,
) -> None:
    fetches = Fetches(DISCOVERY, {"keys": []})
    backend = backend_for(
        fresh_name,
        {"OIDC_ENDPOINT": PUBLIC, "ID_TOKEN_ISSUER": PUBLIC, "INTERNAL_ENDPOINT": INTERNAL + "/"},
        fetches,
    )
    assert backend.authorization_url() == DISCOVERY["authorization_endpoint"]
    assert backend.access_token_url() == f"{INTERNAL}/protocol/openid-connect/token"
    assert backend.userinfo_url() == f"{INTERNAL}/protocol/openid-connect/userinfo"
    assert backend.jwks_uri() == f"{INTERNAL}/protocol/openid-connect/certs"
    assert backend.revoke_token_url("t", "u") == f"{INTERNAL}/protocol/openid-connect/revoke"
    assert backend.id_token_issuer() == PUBLIC
    assert fetches.urls == [f"{INTERNAL}/.well-known/openid-configuration"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{PUBLIC}/token", f"{INTERNAL}/token"),
        (PUBLIC, INTERNAL),
        (f"{PUBLIC}?x=1", f"{INTERNAL}?x=1"),
        # Not under the issuer's path: another realm, another host, a longer path segment.
        (
            "https://sso.example.com/realms/other/token",
            "https://sso.example.com/realms/other/token",
        ),
        (
            "https://cdn.example.com/realms/staff/certs",
            "https://cdn.example.com/realms/staff/certs",
        ),
        (f"{PUBLIC}2/token", f"{PUBLIC}2/token"),
    ],
)
def test_rewrite_endpoint(url: str, expected: str) -> None:
    assert oidc.rewrite_endpoint(url, PUBLIC + "/", INTERNAL) == expected
    assert oidc.rewrite_endpoint(url, PUBLIC, None) == url


def test_without_internal_endpoint_everything_is_the_public_issuer(fresh_name: str) -> None:
    fetches = Fetches(DISCOVERY, {"keys": []})
    backend = backend_for(fresh_name, {"OIDC_ENDPOINT": PUBLIC + "/"}, fetches)
    assert backend.access_token_url() == DISCOVERY["token_endpoint"]
    assert backend.jwks_uri() == DISCOVERY["jwks_uri"]
    # A terminating "/" of the issuer is removed before the well-known path (Discovery 1.0 §4).
    assert fetches.urls == [f"{PUBLIC}/.well-known/openid-configuration"]


def id_token(key: rsa.RSAPrivateKey, **claims: Any) -> str:
    now = int(time.time())
    payload = {"sub": "u-1", "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": "n" * 64}
    return jwt.encode({**payload, **claims}, key, algorithm="RS256", headers={"kid": "k1"})


def test_id_token_issuer_is_pinned_not_taken_from_discovery(
    key: rsa.RSAPrivateKey, fresh_name: str
) -> None:
    """A discovery document naming another issuer does not make its tokens acceptable."""
    impostor = "https://impostor.example.net"
    fetches = Fetches({**DISCOVERY, "issuer": impostor}, jwks_of(key))
    backend = backend_for(fresh_name, {"OIDC_ENDPOINT": PUBLIC}, fetches)
    backend.get_and_store_nonce(backend.authorization_url(), "state")
    with pytest.raises(AuthTokenError, match="Invalid issuer"):
        backend.validate_and_return_id_token(id_token(key, iss=impostor), "access")
    claims = backend.validate_and_return_id_token(id_token(key, iss=PUBLIC), "access")
    assert claims["iss"] == PUBLIC


def test_signature_is_checked_against_the_jwks_read_internally(
    key: rsa.RSAPrivateKey, fresh_name: str
) -> None:
    fetches = Fetches(DISCOVERY, jwks_of(key))
    settings = {"OIDC_ENDPOINT": PUBLIC, "ID_TOKEN_ISSUER": PUBLIC, "INTERNAL_ENDPOINT": INTERNAL}
    backend = backend_for(fresh_name, settings, fetches)
    backend.get_and_store_nonce(backend.authorization_url(), "state")
    forged = id_token(rsa.generate_private_key(public_exponent=65537, key_size=2048), iss=PUBLIC)
    with pytest.raises(AuthTokenError, match="Signature verification failed"):
        backend.validate_and_return_id_token(forged, "access")
    assert backend.validate_and_return_id_token(id_token(key, iss=PUBLIC), "access")["sub"] == "u-1"
    assert f"{INTERNAL}/protocol/openid-connect/certs" in fetches.urls


def test_user_details_follow_the_configured_claims(fresh_name: str) -> None:
    fetches = Fetches(DISCOVERY, {"keys": []})
    default = backend_for(fresh_name, {"OIDC_ENDPOINT": PUBLIC}, fetches)
    userinfo = {
        "sub": "u-1",
        "preferred_username": "ada",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "upn": "alovelace",
        "display_name": "Countess of Lovelace",
    }
    details = default.get_user_details(userinfo)
    assert (details["username"], details["fullname"], details["email"]) == (
        "ada",
        "Ada Lovelace",
        "ada@example.com",
    )

    mapped = backend_for(
        fresh_name,
        {
            "OIDC_ENDPOINT": PUBLIC,
            "USERNAME_KEY": "upn",
            "FULLNAME_KEY": "display_name",
            "EMAIL_KEY": "mail",
        },
        fetches,
    )
    # A claim missing from userinfo comes from the validated id_token.
    mapped.id_token = {"mail": "ada@corp.example.com"}
    details = mapped.get_user_details(userinfo)
    assert (details["username"], details["fullname"], details["email"]) == (
        "alovelace",
        "Countess of Lovelace",
        "ada@corp.example.com",
    )
