"""How Open edX logs learners in through an app: one module per protocol, one registry.

A preset names its protocol (``Preset.protocol``); every place that differs by protocol asks
the registry for the protocol's object instead of branching on its name:

- ``endpoints``: the MITx apps' backends, fed fixed endpoint URLs (endpoints.py);
- ``generic``: any python-social-auth OAuth2 backend class (generic.py);
- ``oidc``: OpenID Connect discovery, through the plugin's per-app backend class (oidc.py);
- ``saml``: a SAML 2.0 identity provider, through edx-platform's own backend (saml.py).

Each module declares the per-app keys it uses (the keys themselves are declared once, in
core/keys.py), reads its part of the configuration, plans its provider row, says what the
identity provider's side must be told (``credentials``), probes the provider (``check
--probe``) and names the row kind `do lmsbridge-verify` checks. The modules load on first use,
so that a configuration without SAML never imports the XML and key code. Pure Python: no
Tutor, no Django. docs/architecture.rst shows how to add a protocol.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..core.presets import Preset
    from .base import LoginProtocol

#: The registry: protocol name -> the module that implements it (its ``PROTOCOL`` object).
PROTOCOL_MODULES: dict[str, str] = {
    "endpoints": f"{__name__}.endpoints",
    "generic": f"{__name__}.generic",
    "oidc": f"{__name__}.oidc",
    "saml": f"{__name__}.saml",
}


@functools.cache
def protocol_named(name: str) -> LoginProtocol:
    """The protocol object of a name in PROTOCOL_MODULES (KeyError otherwise)."""
    protocol: LoginProtocol = importlib.import_module(PROTOCOL_MODULES[name]).PROTOCOL
    return protocol


def login_protocol(preset: Preset) -> LoginProtocol | None:
    """How an app of this preset logs learners in; None when the app is no identity
    provider (Richie, an OAuth2 client). The core refuses a preset that is one without a
    protocol of PROTOCOL_MODULES."""
    return protocol_named(preset.protocol) if preset.identity_provider else None


def provider_protocol(preset: Preset) -> LoginProtocol:
    """The protocol of a preset whose apps are identity providers."""
    protocol = login_protocol(preset)
    if protocol is None:
        raise ValueError(f"the {preset.name} preset names no login protocol")
    return protocol
