"""The protocol registry (tutor_lmsbridge/protocols/): each protocol's keys are the catalog's,
each plans the row kind it names for `do lmsbridge-verify`, and a SAML provider is no OAuth2
client."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from tutor_lmsbridge.core.connected_apps import IdentityProvider, SamlIdentityProvider
from tutor_lmsbridge.core.keys import APP_BY_SETTING, APP_KEYS
from tutor_lmsbridge.core.pipeline import plan_for
from tutor_lmsbridge.core.presets import BUILTIN_PRESETS
from tutor_lmsbridge.protocols import PROTOCOL_MODULES, login_protocol, protocol_named
from tutor_lmsbridge.protocols.base import NO_LOGIN_KEYS

from ..support.samples import KEYCLOAK, MITXONLINE, OIDC, PLATFORM, SHIB, sp_private_key

VERIFY_JOB = (
    Path(__file__).parents[2] / "tutor_lmsbridge/templates/lmsbridge/tasks/lms/verify_objects.py"
).read_text()
SAMPLES = {"endpoints": MITXONLINE, "generic": KEYCLOAK, "oidc": OIDC, "saml": SHIB}


def planned(config: dict[str, Any]) -> Any:
    return plan_for({**PLATFORM, "LMSBRIDGE_SP_PRIVATE_KEY": sp_private_key(), **config})


def test_every_protocol_has_a_sample() -> None:
    assert set(SAMPLES) == set(PROTOCOL_MODULES)


@pytest.mark.parametrize("name", sorted(PROTOCOL_MODULES))
def test_a_protocols_keys_are_declared_in_the_catalog(name: str) -> None:
    protocol = protocol_named(name)
    assert protocol.name == name
    assert protocol.keys <= set(APP_BY_SETTING)


def test_the_catalog_applies_a_protocol_key_to_the_presets_of_protocols_that_use_it() -> None:
    protocol_keys = set().union(*(protocol_named(n).keys for n in PROTOCOL_MODULES))
    for preset in BUILTIN_PRESETS:
        protocol = login_protocol(preset)
        uses = protocol.keys if protocol is not None else NO_LOGIN_KEYS
        applying = {k.setting for k in APP_KEYS if k.applies(preset)} & protocol_keys
        assert applying == set(uses), preset.name


@pytest.mark.parametrize(("name", "config"), sorted(SAMPLES.items()))
def test_a_protocol_plans_the_row_kind_the_verify_job_checks(
    name: str, config: dict[str, Any]
) -> None:
    plan = planned(config)
    (app,) = plan.bridge.apps
    protocol = login_protocol(app.preset)
    assert protocol is protocol_named(name)
    rows: list[Any] = [*plan.providers, *plan.saml_providers]
    (row,) = rows
    assert row.check()["model"] == protocol.verify_kind
    assert f'"{protocol.verify_kind}": ProviderKind(' in VERIFY_JOB


def test_a_saml_provider_carries_no_oauth2_client() -> None:
    provider = planned(SHIB).bridge.apps[0].provider
    assert isinstance(provider, SamlIdentityProvider)
    fields = {field.name for field in dataclasses.fields(provider)}
    assert not fields & {"client_id", "client_secret", "generated"}
    oauth = planned(OIDC).bridge.apps[0].provider
    assert isinstance(oauth, IdentityProvider)
    assert oauth.client_secret == "oidc-secret-value"


def test_a_login_preset_without_a_known_protocol_is_refused_in_one_line() -> None:
    from tutor_lmsbridge.core.errors import ConfigError
    from tutor_lmsbridge.core.presets import PRESETS, Preset

    odd = Preset(name="odd", title="Odd", identity_provider=True, api_client=False)
    config = {**PLATFORM, "LMSBRIDGE_APPS": ["odd"], "LMSBRIDGE_ODD_URL": "https://odd.example"}
    with pytest.raises(ConfigError) as refused:
        plan_for(config, {**PRESETS, "odd": odd})
    assert refused.value.line("config-save") == (
        "LMSBRIDGE_ODD_PRESET: the odd preset logs learners in but names no known protocol "
        "(''). Fix: use a preset whose protocol is one of endpoints, generic, oidc, saml"
    )
