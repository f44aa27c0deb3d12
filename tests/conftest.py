"""Shared test set-up: one in-process Django serves the database tests (importing the
harness also puts the plugin's in-image Open edX app on the path)."""

import pytest

from .support import django_harness


@pytest.fixture(scope="session")
def django_ready(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One in-process Django (settings are process-global) on a throwaway SQLite file."""
    django_harness.setup_django(tmp_path_factory.mktemp("django") / "lms.sqlite3")
