"""Shared test set-up: one in-process Django serves the database tests (importing the
harness also puts the plugin's in-image Open edX app on the path)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from .support import django_harness
from .support.lms_jobs import Lms


@pytest.fixture(scope="session")
def django_ready(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One in-process Django (settings are process-global) on a throwaway SQLite file."""
    django_harness.setup_django(tmp_path_factory.mktemp("django") / "lms.sqlite3")


@pytest.fixture
def db(django_ready: None) -> Iterator[None]:
    """Each test in a transaction that is rolled back."""
    from django.db import transaction

    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def lms(db: None, codes: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Lms:
    """The jobs a module's ``codes`` fixture rendered, run as `tutor local do` runs them."""
    return Lms(codes, tmp_path, capsys)


def pytest_itemcollected(item: pytest.Item) -> None:
    """Under pytest-xdist (`make test`), the e2e tests share one worker: their servers
    listen on fixed loopback addresses (the Open edX stand-in on 127.0.0.2:8000). Marked as
    each is collected, before xdist reads the marks (its collection_modifyitems hook)."""
    if item.nodeid.startswith("tests/e2e/"):
        item.add_marker(pytest.mark.xdist_group("e2e"))
