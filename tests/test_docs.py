"""The docs' generated tables are the code's, both ways; every page is valid RST; the README
is the short page PyPI shows."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tutor_lmsbridge.core.keys import APP_KEYS, GLOBAL_KEYS
from tutor_lmsbridge.core.presets import BUILTIN_PRESETS
from tutor_lmsbridge.core.read_bridge import read_bridge
from tutor_lmsbridge.output import message_tables
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

from .support import samples
from .support.samples import PLATFORM

PROJECT = Path(__file__).parent.parent
README = (PROJECT / "README.rst").read_text()
CONFIGURATION = (PROJECT / "docs/configuration.rst").read_text()
SECURITY = (PROJECT / "docs/security.rst").read_text()
TROUBLESHOOTING = (PROJECT / "docs/troubleshooting.rst").read_text()
DOCS = sorted((PROJECT / "docs").glob("*.rst"))


def key_tables() -> str:
    return CONFIGURATION[CONFIGURATION.index(BEGIN) : CONFIGURATION.index(END) + len(END)]


def test_key_tables_are_generated_from_the_catalog() -> None:
    assert key_tables() == tables(), "run `make readme`"


def test_every_key_in_the_key_tables_is_in_the_catalog_and_back() -> None:
    rows = re.findall(r"^   \* - ``([A-Z0-9_<>]+)``$", key_tables(), re.MULTILINE)
    catalog = [key.name() for key in GLOBAL_KEYS] + [key.setting for key in APP_KEYS]
    assert rows == catalog
    assert len(set(catalog)) == len(catalog)  # declared once


def test_the_preset_table_is_generated_from_the_presets() -> None:
    """In the configuration page's Presets section (issue #21, item 1)."""
    section = CONFIGURATION[CONFIGURATION.index("\nPresets\n-------\n") :]
    block = section[section.index(PRESETS_BEGIN) : section.index(PRESETS_END) + len(PRESETS_END)]
    assert block == preset_table(), "run `make readme`"
    rows = re.findall(r"^   \* - ``([a-z0-9]+)``$", block, re.MULTILINE)
    assert rows == [preset.name for preset in BUILTIN_PRESETS]


@pytest.mark.parametrize("path", [PROJECT / "README.rst", *DOCS], ids=lambda path: path.name)
def test_page_is_valid_restructuredtext(path: Path) -> None:
    """A warning is a broken page (PyPI refuses a README that has one)."""
    import docutils.core

    docutils.core.publish_doctree(
        path.read_text(),
        settings_overrides={"report_level": 2, "halt_level": 2, "warning_stream": False},
    )


def test_the_long_description_is_the_short_readme_and_renders() -> None:
    """setup.py's long_description is README.rst, which PyPI's renderer turns into HTML."""
    import readme_renderer.rst

    result = subprocess.run(
        [sys.executable, "setup.py", "--long-description"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == README.strip()
    assert len(README.splitlines()) <= 250
    html = readme_renderer.rst.render(README, stream=io.StringIO())
    assert html is not None, "PyPI would not render the README"
    assert "Try it (no Docker needed)" in html
    assert "demo" in html


def test_readme_shows_the_two_setup_commands() -> None:
    assert "    make demo    #" in README
    assert "    make test    #" in README


def test_the_readme_and_the_index_link_every_page() -> None:
    """docs/architecture.rst is linked before it exists: it is written on its own branch."""
    pages = {path.name for path in DOCS} | {"architecture.rst"}
    index = (PROJECT / "docs/index.rst").read_text()
    for name in pages - {"index.rst"}:
        assert f"<{name}>`_" in index, name
        assert f"<docs/{name}>`_" in README, name


def test_the_troubleshooting_tables_are_read_from_the_code() -> None:
    block = TROUBLESHOOTING[
        TROUBLESHOOTING.index(message_tables.BEGIN) : TROUBLESHOOTING.index(message_tables.END)
        + len(message_tables.END)
    ]
    assert block == message_tables.tables(), "run `make readme`"


# The first words of each message, as a plain reading of the source finds them: a message
# the tables' syntax-tree reader missed fails here.
LITERAL_MESSAGES = {
    "core": r'ConfigError\(\s*[^,()]+(?:\([^()]*\))?,\s*"([^"{]{12,})',
    "templates/lmsbridge/tasks/lms/verify_objects.py": (
        r'findings\.(?:error|warning)\(\s*[^,()]+(?:\([^()]*\))?,\s*f?"([^"{]{12,})'
    ),
    "output": r'\(\s*"(?:error|warning)",\s*f?"([^"{]{12,})',
}


@pytest.mark.parametrize("folder", sorted(LITERAL_MESSAGES))
def test_every_message_of_the_code_is_in_the_troubleshooting_page(folder: str) -> None:
    base = PROJECT / "tutor_lmsbridge" / folder
    paths = [base] if base.is_file() else sorted(base.rglob("*.py"))
    if folder == "core":  # the configuration is read by core/ and its protocol modules
        paths += sorted((PROJECT / "tutor_lmsbridge" / "protocols").rglob("*.py"))
    found = [
        start for path in paths for start in re.findall(LITERAL_MESSAGES[folder], path.read_text())
    ]
    assert len(found) >= 10, "the pattern no longer finds the messages"
    page = " ".join(TROUBLESHOOTING.split()).replace("\\", "")
    missing = [start for start in found if " ".join(start.split()) not in page]
    assert missing == []


def security_rows() -> dict[str, list[str]]:
    """docs/security.rst's table: preset -> its cells, as an operator reads them."""
    block = SECURITY[SECURITY.index(SECURITY_BEGIN) : SECURITY.index(SECURITY_END)]
    rows: dict[str, list[str]] = {}
    for row in block.split("   * - ")[2:]:  # after the directive and the header row
        cells = [cell.strip() for cell in row.split("\n     - ")]
        rows[cells[0]] = cells[1:]
    return rows


def test_security_table_is_generated_from_the_catalog() -> None:
    block = SECURITY[
        SECURITY.index(SECURITY_BEGIN) : SECURITY.index(SECURITY_END) + len(SECURITY_END)
    ]
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
    (samples.MITXONLINE, "mitxonline", "mitxonline"),
    (samples.MITXPRO, "mitxpro", "mitxpro"),
    (samples.OIDC, "sso", "oidc"),
    ({**samples.OIDC, "LMSBRIDGE_SSO_LINK_BY_EMAIL": "never"}, "sso", "oidc"),
    ({**samples.OIDC, "LMSBRIDGE_SSO_LINK_BY_EMAIL": "trusted"}, "sso", "oidc"),
    (samples.KEYCLOAK, "keycloak", "oauth2"),
    ({**samples.KEYCLOAK, "LMSBRIDGE_KEYCLOAK_LINK_BY_EMAIL": "verified"}, "keycloak", "oauth2"),
    ({**samples.SHIB, "LMSBRIDGE_SP_PRIVATE_KEY": samples.sp_private_key()}, "shib", "saml"),
]


@pytest.mark.parametrize(("sample", "app", "preset"), SECURITY_SAMPLES)
def test_security_table_says_what_an_app_gets(
    sample: dict[str, Any], app: str, preset: str
) -> None:
    """Read independently of the table's generator: the provider the readers build from an
    app that sets nothing about trust has, flag by flag, what the page's row says."""
    (connected,) = read_bridge({**PLATFORM, **sample}).apps
    provider = connected.provider
    assert provider is not None
    got: dict[str, Any] = {"LINK_BY_EMAIL": provider.link_by_email}
    got.update({flag.upper(): value for flag, value in provider.flags.items()})
    row = security_rows()[preset]
    said = {
        setting: read_cell(cell, provider.link_by_email)
        for setting, cell in zip(SECURITY_SETTINGS, row, strict=False)
    }
    if f"LMSBRIDGE_{app.upper()}_LINK_BY_EMAIL" in sample:  # set, so not the default
        del said["LINK_BY_EMAIL"], got["LINK_BY_EMAIL"]
    assert said == got
    assert row[-1]  # what the operator decides


def test_every_preset_has_a_security_row() -> None:
    rows = security_rows()
    assert list(rows) == [preset.name for preset in BUILTIN_PRESETS]
    assert rows["richie"][0] == "-"  # no identity comes in
    assert "API_KEY" in rows["richie"][-1]
    (catalog,) = read_bridge({**PLATFORM, **samples.RICHIE}).apps
    assert catalog.provider is None
