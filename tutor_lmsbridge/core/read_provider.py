"""Direction A: read the identity-provider side of an app (backend, client, other_settings).

What differs by protocol (the backend, the settings it computes, its checks) is the
protocol module's (tutor_lmsbridge/protocols/); this reads what the OAuth2-shaped ones share:
the client id and secret, the provider flags and the account-linking policy.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..protocols import provider_protocol
from .config_values import AppValues
from .connected_apps import ConnectedApp, IdentityProvider, app_key_prefix
from .errors import ConfigError, show_value
from .presets import PROVIDER_FLAGS, LinkPolicy
from .trust import flag_findings

if TYPE_CHECKING:
    from ..protocols.base import LoginProtocol


def read_oauth2_provider(
    values: AppValues, warnings: list[tuple[str, str]], protocol: LoginProtocol
) -> IdentityProvider:
    """A provider of one of the OAuth2-shaped protocols (its backend, settings and checks)."""
    backend, requirement = protocol.read_backend(values)
    client_id: str = values.get("CLIENT_ID")
    client_secret: str = values.get("CLIENT_SECRET")
    id_key, secret_key = values.key("CLIENT_ID"), values.key("CLIENT_SECRET")
    other_settings = _other_settings(values, protocol)
    protocol.check_provider(values, backend, other_settings)
    id_set, secret_set = values.is_set("CLIENT_ID"), values.is_set("CLIENT_SECRET")
    if id_set != secret_set:
        # Half of a registered client and half of a generated one would match nothing.
        missing = secret_key if id_set else id_key
        fix = "set both" + (
            f", or neither to use the generated pair (tutor lmsbridge credentials {values.name})"
            if values.preset.generated_login_client
            else ""
        )
        raise ConfigError(missing, "the client id and secret must be set together", fix)
    if not client_id and not client_secret:
        warnings.append(
            (
                id_key,
                f"not set yet (nor {secret_key}): login through {values.name} stays off until "
                f"you set the OAuth2 client registered for Open edX at {values.name}",
            )
        )
    flags = {flag: values.get(flag.upper()) for flag in PROVIDER_FLAGS}
    link_by_email = values.get("LINK_BY_EMAIL")
    prefix = app_key_prefix(values.name)
    warnings.extend(
        flag_findings(protocol, values.preset.name, link_by_email, flags, prefix, values.name)
    )
    return IdentityProvider(
        backend=backend,
        requirement=requirement,
        client_id=client_id,
        client_secret=client_secret,
        generated=not id_set,
        title=values.get("PROVIDER_NAME"),
        slug=values.get("SLUG"),
        visible=values.get("VISIBLE"),
        flags={flag: values.get(flag.upper()) for flag in PROVIDER_FLAGS},
        other_settings=other_settings,
        link_by_email=read_link_policy(values, warnings),
        logout=values.get("LOGOUT"),
        max_session_length=values.get("MAX_SESSION_LENGTH"),
    )


def read_link_policy(values: AppValues, warnings: list[tuple[str, str]]) -> LinkPolicy:
    """LINK_BY_EMAIL, with a warning for ``trusted`` where the preset does not vouch for the
    app's emails (only the MITx apps verify every email at registration)."""
    policy: LinkPolicy = values.get("LINK_BY_EMAIL")
    protocol = provider_protocol(values.preset)
    if policy == "trusted" and protocol.link_default != "trusted":
        safer = protocol.safer_link
        warnings.append(
            (
                values.key("LINK_BY_EMAIL"),
                f"trusted links a first login to the account with the same email without "
                f"{values.name} verifying that email: whoever gets an account there with a "
                f"learner's email logs in as that learner. Use {safer}, unless {values.name} "
                "is your own and verifies every email",
            )
        )
    return policy


def _other_settings(values: AppValues, protocol: LoginProtocol) -> dict[str, Any]:
    """The provider's ``other_settings`` JSON: browser URL for the authorization step,
    internal URL for the calls the LMS makes itself (token exchange, user info, JWKS)."""
    settings = protocol.other_settings(values)
    extra: dict[str, Any] = values.get("OTHER_SETTINGS")
    for name in extra:
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
            raise ConfigError(
                values.key("OTHER_SETTINGS"),
                f"{show_value(name)} is not a backend setting name: use UPPER_CASE names",
                "",
                "{JWT_LEEWAY: 30}",
            )
    return dict(sorted({**settings, **extra}.items()))


def check_unique_backends(apps: tuple[ConnectedApp, ...]) -> None:
    seen: dict[str, str] = {}
    for app in apps:
        if not isinstance(app.provider, IdentityProvider):
            continue  # SAML providers share edx's tpa-saml backend, keyed on their slug
        backend = app.provider.backend.name
        if backend in seen:
            raise ConfigError(
                f"{app.key_prefix}BACKEND",
                f"backend {show_value(backend)} is already used by app {show_value(seen[backend])}"
                ": Open edX keys providers on the backend name, so each needs its own",
                "",
                f"{app.name}-sso",
            )
        seen[backend] = app.name
