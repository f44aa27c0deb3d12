"""Shared test set-up: the plugin's in-image Open edX app is imported from its template
folder, as shipped; one in-process Django serves the database tests."""

import sys
from pathlib import Path

import pytest

OPENEDX_PLUGIN = (
    Path(__file__).parent.parent / "tutor_lmsbridge/templates/lmsbridge/image/openedx_plugin"
)
sys.path.insert(0, str(OPENEDX_PLUGIN))


@pytest.fixture(scope="session")
def django_ready(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One in-process Django (settings are process-global) on a throwaway SQLite file."""
    from .django_harness import setup_django

    setup_django(tmp_path_factory.mktemp("django") / "lms.sqlite3")
