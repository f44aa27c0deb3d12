"""`tutor lmsbridge credentials` for the MITx apps through the real `tutor`: every OPENEDX_*
URL their settings read, and a registration that is right for any LMS_HOST."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from .support.samples import MITXONLINE, MITXPRO, PLATFORM
from .support.tutor_helpers import enable_lmsbridge, run_tutor, set_args

SEED = {"LMSBRIDGE_SECRET_SEED": PLATFORM["LMSBRIDGE_SECRET_SEED"]}


def credentials(root: Path, config: dict[str, Any], app: str, *args: str) -> str:
    enable_lmsbridge(root)
    run_tutor(root, "config", "save", *set_args({**config, **SEED}))
    return run_tutor(root, "lmsbridge", "credentials", app, *args).stdout


def generated(config: dict[str, Any]) -> dict[str, Any]:
    """The MITx recipe: Open edX generates the login client."""
    return {key: value for key, value in config.items() if "_CLIENT_" not in key}


def test_mitxonline_gets_studio_and_course_urls_for_any_host(tmp_path: Path) -> None:
    config = {
        **MITXONLINE,
        "LMS_HOST": "lms.example.com",
        "CMS_HOST": "cms.example.com",
        "ENABLE_HTTPS": True,
        "LMSBRIDGE_MITXONLINE_URL": "https://mitxonline.example.com",
    }
    text = credentials(tmp_path, config, "mitxonline")
    settings = dict(line.split("=", 1) for line in text.splitlines() if not line.startswith("#"))
    assert settings["OPENEDX_API_BASE_URL"] == "https://lms.example.com"
    assert settings["OPENEDX_STUDIO_API_BASE_URL"] == "https://cms.example.com"
    # tutor-mfe's learning MFE (apps.<LMS_HOST>/learning); MITxOnline appends the course key
    # and OPENEDX_COURSE_BASE_URL_SUFFIX (/home).
    assert settings["OPENEDX_COURSE_BASE_URL"] == "https://apps.lms.example.com/learning/course/"
    assert (
        "# (these URLs are `tutor local`'s; under `tutor dev`, run `tutor lmsbridge credentials "
        "mitxonline --dev`: LMS on :8000, Studio on :8001, learning MFE on :2000)"
    ) in text.splitlines()


def test_mitxpro_reads_no_studio_or_course_url(tmp_path: Path) -> None:
    text = credentials(tmp_path, MITXPRO, "mitxpro")
    assert "OPENEDX_STUDIO_API_BASE_URL" not in text
    assert "OPENEDX_COURSE_BASE_URL" not in text
    assert "OPENEDX_API_BASE_URL=http://local.openedx.io" in text.splitlines()


@pytest.mark.parametrize(
    ("host", "dev", "redirect_uri"),
    [
        ("lms.example.com", False, "http://lms.example.com/auth/complete/ol-oauth2/"),
        ("lms.example.com", True, "http://lms.example.com:8000/auth/complete/ol-oauth2/"),
        ("local.openedx.io", False, None),  # configure_instance's own host: nothing to add
        ("local.openedx.io", True, None),
    ],
)
def test_the_registration_line_registers_the_real_redirect_uri(
    host: str, dev: bool, redirect_uri: str | None, tmp_path: Path, db: None
) -> None:
    """configure_instance --tutor registers local.openedx.io whatever LMS_HOST is; the printed
    Django shell line, run as MITxOnline's shell runs it, makes edx-oauth-app hold the
    generated client with the real redirect URI."""
    from oauth2_provider.models import Application

    config = {**generated(MITXONLINE), "LMS_HOST": host}
    args = ["--dev"] if dev else []
    text = credentials(tmp_path, config, "mitxonline", *args)
    data = json.loads(
        run_tutor(
            tmp_path, "lmsbridge", "credentials", "mitxonline", "--format", "json", *args
        ).stdout
    )
    client = data["login_client"]
    lines = [line.lstrip("# ") for line in text.splitlines() if "manage.py shell -c" in line]
    if redirect_uri is None:
        assert lines == []
        assert "register_redirect_uri" not in client
        return
    assert client["redirect_uris"] == [redirect_uri]
    assert client["configure_instance_registers"] == (
        f"http://local.openedx.io{':8000' if dev else ''}/auth/complete/ol-oauth2/"
    )
    (line,) = lines
    assert line == client["register_redirect_uri"]
    argv = shlex.split(line)
    assert argv[:8] == ["docker", "compose", "run", "--rm", "web", "./manage.py", "shell", "-c"]
    # An application as configure_instance leaves it: the hard-coded redirect URIs.
    Application.objects.create(
        name="edx-oauth-app",
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris=client["configure_instance_registers"],
    )
    exec(argv[8], {})  # noqa: S102 (the printed line's code, as `manage.py shell -c` runs it)
    (application,) = Application.objects.filter(name="edx-oauth-app")
    assert application.redirect_uris == redirect_uri
    assert application.client_id == client["client_id"]
    assert application.client_secret == client["client_secret"]
    assert application.skip_authorization
    assert application.redirect_uri_allowed(redirect_uri)
