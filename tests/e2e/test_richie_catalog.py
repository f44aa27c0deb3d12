"""The course-run sync against a real Richie 3.5.1 (tests/e2e/richie_process.py).

The Richie site is configured only from what `tutor lmsbridge credentials richie` prints; runs
are built and sent by the plugin's own in-image code (``lmsbridge_openedx.sync``), to the
targets Studio's rendered settings give it (``LMSBRIDGE_COURSE_SYNC``). What the catalog shows
is computed by Richie's own models (``CourseRun.state``) and search indexer.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from ..support.edx_settings import load_lms_settings
from ..support.tutor_helpers import run_tutor, saved_root
from .richie_process import RICHIE_HOSTS, RICHIE_PORT, RichieSite, richie_site

pytestmark = pytest.mark.e2e

NOW = datetime.now(timezone.utc).replace(microsecond=0)
CONFIG = {
    "LMSBRIDGE_APPS": ["richie"],
    "LMSBRIDGE_RICHIE_URL": "https://richie.local.openedx.io",
    # Studio reaches the catalog at its internal URL: here, the loopback Richie.
    "LMSBRIDGE_RICHIE_INTERNAL_URL": f"http://{RICHIE_HOSTS[0]}:{RICHIE_PORT}",
}


class Studio(types.SimpleNamespace):
    """What the in-image code reads from Studio's settings (the rendered cms production.py)."""

    LMS_ROOT_URL: str
    LANGUAGE_CODE: str
    LMSBRIDGE_COURSE_SYNC: list[dict[str, Any]]


def course(**fields: Any) -> types.SimpleNamespace:
    """A course as Studio's modulestore gives it (xmodule/course_block.py's fields)."""
    defaults: dict[str, Any] = {
        "start": NOW - timedelta(days=10),
        "end": NOW + timedelta(days=60),
        "enrollment_start": NOW - timedelta(days=20),
        "enrollment_end": None,
        "language": "en",
        "catalog_visibility": "both",
    }
    return types.SimpleNamespace(**{**defaults, **fields})


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return saved_root(tmp_path_factory.mktemp("richie-root"), CONFIG)


@pytest.fixture(scope="module")
def studio(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Studio:
    values = load_lms_settings(
        root / "env", "production", tmp_path_factory.mktemp("cms"), service="cms"
    )
    return Studio(
        LMS_ROOT_URL=values["LMS_ROOT_URL"],
        LANGUAGE_CODE=values["LANGUAGE_CODE"],
        LMSBRIDGE_COURSE_SYNC=values["LMSBRIDGE_COURSE_SYNC"],
    )


@pytest.fixture(scope="module")
def catalog(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RichieSite]:
    """One Richie for the module, configured with exactly what `credentials` printed."""
    block = run_tutor(root, "lmsbridge", "credentials", "richie", "--format", "python").stdout
    workdir = tmp_path_factory.mktemp("richie")
    with richie_site(workdir, "catalog", block, RICHIE_HOSTS[0], ["DemoX", "Hidden"]) as site:
        yield site


def publish(studio: Studio, course_id: str, course_fields: Any) -> tuple[str, int]:
    """What Studio's publish sends, with the in-image code: the run's link, and failures."""
    from lmsbridge_openedx import sync

    run = sync.course_run(studio.LMS_ROOT_URL, course_id, course_fields, studio.LANGUAGE_CODE)
    return run["resource_link"], sync.send(studio.LMSBRIDGE_COURSE_SYNC, run)


def test_a_run_is_created_then_updated(studio: Studio, catalog: RichieSite) -> None:
    link, failed = publish(studio, "course-v1:edX+DemoX+2026", course())
    assert failed == 0
    created = catalog.run("DemoX", link)
    # Started, enrollment open with no end: what Richie's compute_state calls "forever open".
    assert created["state"] == "forever open"
    assert created["start"] == (NOW - timedelta(days=10)).isoformat()
    later = NOW + timedelta(days=30)
    link, failed = publish(
        studio,
        "course-v1:edX+DemoX+2026",
        course(start=later, enrollment_start=NOW - timedelta(days=1)),
    )
    assert failed == 0
    updated = catalog.run("DemoX", link)
    assert updated["start"] == later.isoformat()
    assert updated["state"] == "starting on"  # FUTURE_OPEN
