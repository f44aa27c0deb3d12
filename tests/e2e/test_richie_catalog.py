"""The course-run sync against a real Richie 3.5.1 (tests/e2e/richie_process.py).

The Richie site is configured only from what `tutor lmsbridge credentials richie` prints; runs
are built and sent by the plugin's own in-image code (``lmsbridge_openedx.sync``), to the
targets Studio's rendered settings give it (``LMSBRIDGE_COURSE_SYNC``). What the catalog shows
is computed by Richie's own models (``CourseRun.state``) and search indexer.
"""

from __future__ import annotations

import re
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
# Two catalogs: two Richie sites, each with its own secret and language mapping.
CONFIG = {
    "LMSBRIDGE_APPS": ["richie", "fun"],
    "LMSBRIDGE_RICHIE_URL": "https://richie.local.openedx.io",
    # Studio reaches the catalog at its internal URL: here, the loopback Richie.
    "LMSBRIDGE_RICHIE_INTERNAL_URL": f"http://{RICHIE_HOSTS[0]}:{RICHIE_PORT}",
    "LMSBRIDGE_FUN_PRESET": "richie",
    "LMSBRIDGE_FUN_URL": "https://fun.local.openedx.io",
    "LMSBRIDGE_FUN_INTERNAL_URL": f"http://{RICHIE_HOSTS[1]}:{RICHIE_PORT}",
    "LMSBRIDGE_FUN_LANGUAGES": {"es-419": "es-mx"},
}
# Open edX language codes (edx-platform openedx/envs/common.py LANGUAGES, and the regional
# codes a course or LANGUAGE_CODE may carry): those Richie refused as sent before (issue #22),
# some it takes as they are, and some nothing in Richie matches.
OPENEDX_LANGUAGES = (  # noqa: SIM905 (a list of codes, as edx's source writes them)
    "en es-419 pt-pt fr-ca zh-cn en-us zh-tw zh-hk en-uk es-es de-de ja-jp ko-kr nl-nl it-it "
    "pt-br es-mx fr rtl am fil en@pirate ca@valencia"
).split()


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


def start_site(
    root: Path, app: str, host: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RichieSite]:
    """A Richie configured with exactly what `credentials <app>` printed (its default text)."""
    block = run_tutor(root, "lmsbridge", "credentials", app).stdout
    workdir = tmp_path_factory.mktemp(app)
    with richie_site(workdir, app, block, host, ["DemoX", "Hidden", "Langs"]) as site:
        yield site


@pytest.fixture(scope="module")
def catalog(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RichieSite]:
    yield from start_site(root, "richie", RICHIE_HOSTS[0], tmp_path_factory)


@pytest.fixture(scope="module")
def second_catalog(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RichieSite]:
    yield from start_site(root, "fun", RICHIE_HOSTS[1], tmp_path_factory)


def targets(studio: Studio, app: str) -> list[dict[str, Any]]:
    return [t for t in studio.LMSBRIDGE_COURSE_SYNC if t["app"] == app]


def publish(
    studio: Studio, course_id: str, course_fields: Any, app: str = "richie"
) -> tuple[str, int]:
    """What Studio's publish sends, with the in-image code: the run's link, and failures."""
    from lmsbridge_openedx import sync

    run = sync.course_run(studio.LMS_ROOT_URL, course_id, course_fields, studio.LANGUAGE_CODE)
    return run["resource_link"], sync.send(targets(studio, app), run)


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


def test_richie_reads_the_printed_settings(root: Path, catalog: RichieSite, tmp_path: Path) -> None:
    """The block `credentials` prints is what Richie's own context processors hand its
    frontend: the LMS, the learner's Open edX session, the profile links; and its responses
    carry the referrer policy edx's cross-domain CSRF check needs."""
    lms = load_lms_settings(root / "env", "production", tmp_path)
    lms_url = lms["LMS_ROOT_URL"]
    frontend, referrer_policy = catalog.frontend()
    (backend,) = frontend["lms_backends"]
    assert backend["endpoint"] == lms_url
    assert backend["backend"] == "openedx-hawthorn"
    assert backend["next_url"] == "richie"  # back through the LMS's /richie/<path>
    assert frontend["authentication"] == {"endpoint": lms_url, "backend": "openedx-hawthorn"}
    assert frontend["profile_urls"]["dashboard"]["action"] == f"{lms_url}/dashboard/"
    assert frontend["profile_urls"]["profile"]["action"] == f"{lms_url}/u/(username)"
    assert referrer_policy == "strict-origin-when-cross-origin"
    # Richie has no /logout, and Open edX is given no Richie page to log out from.
    assert catalog.status("/logout") == 404
    assert not [url for url in lms["IDA_LOGOUT_URI_LIST"] if "richie" in url]


def test_a_run_without_enrollment_start_opens_with_the_course(
    studio: Studio, catalog: RichieSite
) -> None:
    """As FUN's richie-openedx-sync sends it: enrollment starts with the course."""
    from lmsbridge_openedx import sync

    link, failed = publish(studio, "course-v1:edX+DemoX+open", course(enrollment_start=None))
    assert failed == 0
    run = catalog.run("DemoX", link)
    assert run["enrollment_start"] == run["start"]
    assert run["state"] == "forever open"
    # Richie's search index lists it (it leaves out runs without an enrollment start).
    shown = catalog.catalog("DemoX")
    assert len(shown["search_runs"]) == len(shown["runs"])
    # What the same run shows when sent with enrollment_start null, as before.
    bare = sync.course_run(studio.LMS_ROOT_URL, "course-v1:edX+DemoX+bare", course(), "en")
    bare["enrollment_start"] = None
    assert sync.send(targets(studio, "richie"), bare) == 0
    assert catalog.run("DemoX", bare["resource_link"])["state"] == "to be scheduled"
    shown = catalog.catalog("DemoX")
    assert len(shown["search_runs"]) == len(shown["runs"]) - 1


def test_a_hidden_course_is_hidden(studio: Studio, catalog: RichieSite) -> None:
    hidden, failed = publish(studio, "course-v1:edX+Hidden+1", course(catalog_visibility="none"))
    assert failed == 0
    run = catalog.run("Hidden", hidden)
    assert run["catalog_visibility"] == "hidden"
    assert run["on_course_page"] is False
    assert catalog.catalog("Hidden")["search_runs"] == []
    # Shown again once Open edX shows it.
    publish(studio, "course-v1:edX+Hidden+1", course(catalog_visibility="both"))
    assert catalog.run("Hidden", hidden)["on_course_page"] is True
    assert len(catalog.catalog("Hidden")["search_runs"]) == 1


def test_open_edx_languages_are_accepted_or_named(
    studio: Studio, catalog: RichieSite, caplog: pytest.LogCaptureFixture
) -> None:
    """es-419 and the other Open edX codes Richie refused as sent, as one batch (the full
    sync's shape): Richie accepts the whole batch; a code it has no match for is named in the log,
    and the run goes with the platform's language."""
    from lmsbridge_openedx import sync

    runs = [
        sync.course_run(
            studio.LMS_ROOT_URL, f"course-v1:edX+Langs+{n}", course(language=code), "en"
        )
        for n, code in enumerate(OPENEDX_LANGUAGES)
    ]
    # This test is about what Richie accepts, not the transport's deadline: Richie takes
    # ~60 ms per run of a batch on a loaded machine.
    patient = [{**target, "timeout": 30} for target in targets(studio, "richie")]
    with caplog.at_level("WARNING"):
        assert sync.send(patient, runs) == 0
    shown = {r["resource_link"]: r["languages"] for r in catalog.catalog("Langs")["runs"]}
    sent = dict(zip(OPENEDX_LANGUAGES, (shown[run["resource_link"]] for run in runs), strict=True))
    assert sent["es-419"] == ["es"]
    assert sent["pt-pt"] == ["pt"]
    assert sent["zh-cn"] == ["zh-hans"]
    assert sent["zh-tw"] == ["zh-hant"]
    assert sent["en-uk"] == ["en-gb"]
    assert sent["pt-br"] == ["pt-br"]
    assert sent["fr-ca"] == ["fr"]
    assert sent["en-us"] == ["en"]
    named = sorted({"rtl", "am", "fil", "en@pirate", "ca@valencia"})
    assert all(sent[code] == ["en"] for code in named)  # the platform's language instead
    warned = sorted(
        str(re.search(r"language '([^']+)'", record.getMessage()).group(1))  # type: ignore[union-attr]
        for record in caplog.records
        if "not one of Richie's codes" in record.getMessage()
    )
    assert warned == named


def test_a_wrong_secret_is_refused(
    studio: Studio, catalog: RichieSite, caplog: pytest.LogCaptureFixture
) -> None:
    from lmsbridge_openedx import sync

    wrong = [{**target, "secret": "not-richies-secret"} for target in targets(studio, "richie")]
    run = sync.course_run(studio.LMS_ROOT_URL, "course-v1:edX+DemoX+forged", course(), "en")
    with caplog.at_level("WARNING"):
        assert sync.send(wrong, run) == 1
    assert "401" in caplog.text
    links = [r["resource_link"] for r in catalog.catalog("DemoX")["runs"]]
    assert run["resource_link"] not in links


def test_the_signed_empty_batch_verify_sends_changes_nothing(
    studio: Studio, catalog: RichieSite
) -> None:
    """`do lmsbridge-verify` checks each catalog with a signed empty batch: the real Richie
    checks the signature (401 when it differs) and answers 200 ``{}``, storing nothing."""
    from lmsbridge_openedx import sync

    (target,) = targets(studio, "richie")
    before = catalog.catalog("DemoX")["runs"]
    outcome = sync.deliver(target, [])
    assert (outcome.result, outcome.status, outcome.body) == (sync.DELIVERED, 200, b"{}")
    wrong = sync.deliver({**target, "secret": "not-richies-secret"}, [])
    assert (wrong.result, wrong.status) == (sync.REFUSED, 401)
    assert catalog.catalog("DemoX")["runs"] == before


def test_two_catalogs_each_with_its_own_settings(
    studio: Studio, catalog: RichieSite, second_catalog: RichieSite
) -> None:
    """One publish reaches both Richie sites, each signed with its own secret and given its
    own language codes (LMSBRIDGE_FUN_LANGUAGES maps es-419 to es-mx)."""
    from lmsbridge_openedx import sync

    run = sync.course_run(
        studio.LMS_ROOT_URL, "course-v1:edX+DemoX+both", course(language="es-419"), "en"
    )
    assert {t["app"] for t in studio.LMSBRIDGE_COURSE_SYNC} == {"richie", "fun"}
    assert sync.send(studio.LMSBRIDGE_COURSE_SYNC, run) == 0
    assert catalog.run("DemoX", run["resource_link"])["languages"] == ["es"]
    assert second_catalog.run("DemoX", run["resource_link"])["languages"] == ["es-mx"]
    # A learner who logs in from the second catalog is sent back to it, not to the first
    # (the LMS's /richie/<path> redirects to the first).
    (backend,) = second_catalog.frontend()[0]["lms_backends"]
    assert backend["next_url"] == "https://fun.local.openedx.io"
    # Each site holds only its own secret: the other catalog's signature is refused.
    crossed = [{**targets(studio, "fun")[0], "url": targets(studio, "richie")[0]["url"]}]
    assert sync.send(crossed, run) == 1
