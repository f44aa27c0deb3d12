"""The README's key tables are the catalog's, both ways; the README is valid RST."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tutor_lmsbridge.core.keys import APP_KEYS, GLOBAL_KEYS
from tutor_lmsbridge.core.read_bridge import read_bridge
from tutor_lmsbridge.output.key_tables import (
    BEGIN,
    END,
    PRESETS_BEGIN,
    PRESETS_END,
    SECURITY_BEGIN,
    SECURITY_END,
    SECURITY_SETTINGS,
    preset_table,
    security_table,
    tables,
)

from .support.samples import (
    KEYCLOAK,
    MITXONLINE,
    MITXPRO,
    OIDC,
    PLATFORM,
    RICHIE,
    SHIB,
    sp_private_key,
)

README = (Path(__file__).parent.parent / "README.rst").read_text()


def readme_tables() -> str:
    return README[README.index(BEGIN) : README.index(END) + len(END)]


def test_readme_key_tables_are_generated_from_the_catalog() -> None:
    assert readme_tables() == tables(), "run `make readme`"


def test_readme_preset_table_is_generated_from_the_presets() -> None:
    block = README[README.index(PRESETS_BEGIN) : README.index(PRESETS_END) + len(PRESETS_END)]
    assert block == preset_table(), "run `make readme`"
    from tutor_lmsbridge.core.presets import BUILTIN_PRESETS

    rows = re.findall(r"^   \* - ``([a-z0-9]+)``$", block, re.MULTILINE)
    assert rows == [preset.name for preset in BUILTIN_PRESETS]


def test_every_key_in_the_readme_tables_is_in_the_catalog_and_back() -> None:
    rows = re.findall(r"^   \* - ``([A-Z0-9_<>]+)``$", readme_tables(), re.MULTILINE)
    catalog = [key.name() for key in GLOBAL_KEYS] + [key.setting for key in APP_KEYS]
    assert rows == catalog
    assert len(set(catalog)) == len(catalog)  # declared once


def test_readme_is_valid_restructuredtext() -> None:
    """PyPI renders it as long_description; a warning there is a broken page."""
    import docutils.core

    assert len(README) < 80_000
    docutils.core.publish_doctree(
        README, settings_overrides={"report_level": 2, "halt_level": 2, "warning_stream": False}
    )


def test_readme_shows_the_two_setup_commands() -> None:
    assert "    make demo    #" in README
    assert "    make test    #" in README


def readme_security_rows() -> dict[str, list[str]]:
    """The README's security table: preset -> its cells, as an operator reads them."""
    block = README[README.index(SECURITY_BEGIN) : README.index(SECURITY_END)]
    rows: dict[str, list[str]] = {}
    for row in block.split("   * - ")[2:]:  # after the directive and the header row
        cells = [cell.strip() for cell in row.split("\n     - ")]
        rows[cells[0]] = cells[1:]
    return rows


def test_readme_security_table_is_generated_from_the_catalog() -> None:
    block = README[README.index(SECURITY_BEGIN) : README.index(SECURITY_END) + len(SECURITY_END)]
    assert block == security_table(), "run `make readme`"


def read_cell(cell: str, link_by_email: str) -> Any:
    """``true`` -> True; ``true`` (with ``verified``; else ``false``) -> by the policy."""
    values = re.findall(r"``([a-z]+)``", cell)
    if len(values) == 1:
        return json.loads(values[0]) if values[0] in ("true", "false") else values[0]
    default, *policies, otherwise = values
    return json.loads(default if link_by_email in policies else otherwise)


# One sample app of each identity preset, as the readers see it (and the oidc one with each
# link policy, since SKIP_EMAIL_VERIFICATION follows it).
SECURITY_SAMPLES = [
    (MITXONLINE, "mitxonline", "mitxonline"),
    (MITXPRO, "mitxpro", "mitxpro"),
    (OIDC, "sso", "oidc"),
    ({**OIDC, "LMSBRIDGE_SSO_LINK_BY_EMAIL": "never"}, "sso", "oidc"),
    ({**OIDC, "LMSBRIDGE_SSO_LINK_BY_EMAIL": "trusted"}, "sso", "oidc"),
    (KEYCLOAK, "keycloak", "oauth2"),
    ({**KEYCLOAK, "LMSBRIDGE_KEYCLOAK_LINK_BY_EMAIL": "verified"}, "keycloak", "oauth2"),
    ({**SHIB, "LMSBRIDGE_SP_PRIVATE_KEY": sp_private_key()}, "shib", "saml"),
]


@pytest.mark.parametrize(("sample", "app", "preset"), SECURITY_SAMPLES)
def test_readme_security_table_says_what_an_app_gets(
    sample: dict[str, Any], app: str, preset: str
) -> None:
    """Read independently of the table's generator: the provider the readers build from an
    app that sets nothing about trust has, flag by flag, what the README's row says."""
    (connected,) = read_bridge({**PLATFORM, **sample}).apps
    provider = connected.provider
    assert provider is not None
    got: dict[str, Any] = {"LINK_BY_EMAIL": provider.link_by_email}
    got.update({flag.upper(): value for flag, value in provider.flags.items()})
    row = readme_security_rows()[preset]
    said = {
        setting: read_cell(cell, provider.link_by_email)
        for setting, cell in zip(SECURITY_SETTINGS, row, strict=False)
    }
    if f"LMSBRIDGE_{app.upper()}_LINK_BY_EMAIL" in sample:  # set, so not the default
        del said["LINK_BY_EMAIL"], got["LINK_BY_EMAIL"]
    assert said == got
    assert row[-1]  # what the operator decides


def test_every_preset_has_a_security_row() -> None:
    from tutor_lmsbridge.core.presets import BUILTIN_PRESETS

    rows = readme_security_rows()
    assert list(rows) == [preset.name for preset in BUILTIN_PRESETS]
    assert rows["richie"][0] == "-"  # no identity comes in
    assert "API_KEY" in rows["richie"][-1]
    (catalog,) = read_bridge({**PLATFORM, **RICHIE}).apps
    assert catalog.provider is None
