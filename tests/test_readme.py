"""The README's key tables are the catalog's, both ways; the README is valid RST."""

from __future__ import annotations

import re
from pathlib import Path

from tutor_lmsbridge.core.keys import APP_KEYS, GLOBAL_KEYS
from tutor_lmsbridge.output.key_tables import BEGIN, END, tables

README = (Path(__file__).parent.parent / "README.rst").read_text()


def readme_tables() -> str:
    return README[README.index(BEGIN) : README.index(END) + len(END)]


def test_readme_key_tables_are_generated_from_the_catalog() -> None:
    assert readme_tables() == tables(), "run `make readme`"


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
