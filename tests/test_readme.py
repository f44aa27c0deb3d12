"""The README's key table documents every key the code reads."""

from __future__ import annotations

import re
from pathlib import Path

from tutor_lmsbridge.apps import read_bridge
from tutor_lmsbridge.config import DEFAULTS, UNIQUE
from tutor_lmsbridge.config_reader import ConfigReader
from tutor_lmsbridge.model import app_key_prefix

from .samples import PLATFORM
from .test_rendered_settings import HOSTILE_BASE

README = (Path(__file__).parent.parent / "README.rst").read_text()


def documented() -> set[str]:
    return set(re.findall(r"``((?:LMSBRIDGE_)?[A-Z][A-Z0-9_]+)``", README))


def test_every_global_key_is_documented() -> None:
    for key in [*DEFAULTS, *UNIQUE]:
        assert f"LMSBRIDGE_{key}" in documented(), key


def test_every_per_app_setting_is_documented() -> None:
    config = {**PLATFORM, **HOSTILE_BASE}
    reader = ConfigReader(config)
    read_bridge(config, reader)
    settings = set()
    for app in ("mitxonline", "keycloak", "richie"):
        prefix = app_key_prefix(app)
        settings |= {key.removeprefix(prefix) for key in reader.read_keys if key.startswith(prefix)}
    missing = sorted(settings - documented())
    assert missing == []
    assert len(settings) >= 38


def test_readme_is_valid_restructuredtext() -> None:
    """PyPI renders it as long_description; a warning there is a broken page."""
    import docutils.core

    assert len(README) < 60_000
    docutils.core.publish_doctree(
        README, settings_overrides={"report_level": 2, "halt_level": 2, "warning_stream": False}
    )


def test_readme_shows_the_two_setup_commands() -> None:
    assert "    make demo    #" in README
    assert "    make test    #" in README
