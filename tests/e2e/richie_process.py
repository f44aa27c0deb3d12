"""A real Richie 3.5.1 for the e2e tests: the site of tests/e2e/richie_site, served on loopback.

`make peers` installs Richie from PyPI with its own dependencies (django-cms...) in
tests/e2e/richie_site/.venv and migrates the site's template database once. A test module
starts one site per catalog, with :func:`richie_site`:

    block = tutor lmsbridge credentials <app>   # the Python settings block, as printed
    with richie_site(tmp, "catalog", block, RICHIE_HOSTS[0], ["DemoX"]) as site:
        ...  # POST runs with lmsbridge_openedx.sync to site.sync_url
        site.catalog("DemoX")  # what Richie shows of that course (richie_site/.../views.py)

The site's database is a copy of the template, with one published course page per code
(``serve.py``); its Open edX settings are only the printed block. The server is stopped when
the block ends (tests/e2e/process.py). Without `make peers` the tests skip, naming it (a
failure in CI, where LMSBRIDGE_REQUIRE_NODE=1 makes every missing peer one).
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from .process import serve_until_ready

SITE_DIR = Path(__file__).resolve().parent / "richie_site"
PYTHON = SITE_DIR / ".venv" / "bin" / "python"
TEMPLATE_DB = SITE_DIR / "template.sqlite3"
# Fixed loopback addresses no other e2e server uses (one per catalog), on Richie's usual
# development port.
RICHIE_HOSTS = ("127.0.0.40", "127.0.0.41")
RICHIE_PORT = 8070
SYNC_PATH = "/api/v1.0/course-runs-sync/"
TIMEOUT = 10


def require_richie() -> None:
    if not (PYTHON.exists() and TEMPLATE_DB.exists()):
        reason = "the real Richie is not installed: run `make peers`"
        if os.environ.get("LMSBRIDGE_REQUIRE_NODE") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


class RichieSite(NamedTuple):
    url: str  # http://127.0.0.40:8070
    log: Path
    database: Path

    @property
    def sync_url(self) -> str:
        return self.url + SYNC_PATH

    def catalog(self, code: str) -> dict[str, Any]:
        """The course's runs as Richie keeps and shows them, and its search document's runs."""
        with urllib.request.urlopen(  # noqa: S310 (loopback)
            f"{self.url}/lmsbridge-test/catalog/{code}/", timeout=TIMEOUT
        ) as response:
            data: dict[str, Any] = json.load(response)
            return data

    def frontend(self) -> tuple[dict[str, Any], str | None]:
        """What Richie hands its frontend (LMS backends, session, profile links), and the
        Referrer-Policy its responses carry."""
        with urllib.request.urlopen(  # noqa: S310 (loopback)
            f"{self.url}/lmsbridge-test/frontend/", timeout=TIMEOUT
        ) as response:
            data: dict[str, Any] = json.load(response)
            return data, response.headers.get("Referrer-Policy")

    def status(self, path: str) -> int:
        try:
            with urllib.request.urlopen(f"{self.url}{path}", timeout=TIMEOUT) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    def run(self, code: str, resource_link: str) -> dict[str, Any]:
        runs: list[dict[str, Any]] = self.catalog(code)["runs"]
        (run,) = [r for r in runs if r["resource_link"] == resource_link]
        return run


@contextmanager
def richie_site(
    workdir: Path, name: str, settings_block: str, host: str, codes: Sequence[str]
) -> Iterator[RichieSite]:
    """Serve a Richie site whose Open edX settings are ``settings_block`` (Python, as `tutor
    lmsbridge credentials` prints it), with a published course page per code."""
    require_richie()
    database = workdir / f"{name}.sqlite3"
    shutil.copyfile(TEMPLATE_DB, database)
    settings_path = workdir / f"{name}_lmsbridge.py"
    settings_path.write_text(settings_block)
    log = workdir / f"{name}.log"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(SITE_DIR),
        "RICHIE_SITE_DB": str(database),
        "RICHIE_SITE_DATA": str(workdir / name),
        "LMSBRIDGE_RICHIE_SETTINGS": str(settings_path),
    }
    command = [str(PYTHON), str(SITE_DIR / "serve.py"), host, str(RICHIE_PORT), *codes]
    with serve_until_ready(f"richie {name}", command, log, SITE_DIR, env):
        yield RichieSite(f"http://{host}:{RICHIE_PORT}", log, database)
