"""Richie: rendered LMS/Studio settings, the exported LMS_BACKENDS entry, and the in-image
course-run sync, checked with the real `richie` package's signature and routing code."""

import json
import re
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from richie.apps.courses.utils import get_signature

from tutor_lmsbridge.core.pipeline import plan_for
from tutor_lmsbridge.core.plan import build_plan
from tutor_lmsbridge.core.read_bridge import read_bridge
from tutor_lmsbridge.core.richie_routing import course_regex
from tutor_lmsbridge.output.reports import credential_items

from .support.celery_steps import StepWorker
from .support.edx_settings import load_lms_settings
from .support.samples import MITXONLINE, PLATFORM, RICHIE, combine
from .support.studio import Course, sync_targets
from .support.tutor_helpers import enable_lmsbridge, render_env, run_tutor, set_args

HTTPS = {"ENABLE_HTTPS": True}
COURSE_ID = "course-v1:edX+DemoX+Demo_Course"


def settings_of(tmp_path: Path, config: dict[str, Any], service: str = "lms") -> dict[str, Any]:
    env = render_env(
        tmp_path, {**config, **HTTPS, "LMSBRIDGE_SECRET_SEED": PLATFORM["LMSBRIDGE_SECRET_SEED"]}
    )
    return {
        mode: load_lms_settings(env, mode, tmp_path, service)
        for mode in ("production", "development")
    }


def plan(config: dict[str, Any], **extra: Any) -> Any:
    return plan_for({**PLATFORM, **HTTPS, **config, **extra})


# ---- settings ----------------------------------------------------------------------------


# A Richie older than 2.0.0-beta.17, which calls the LMS with X-Edx-Api-Key.
OLD_RICHIE = {**RICHIE, "LMSBRIDGE_RICHIE_API_KEY": True}


@pytest.mark.parametrize("with_mitxonline", [False, True], ids=["richie", "richie+mitxonline"])
def test_lms_settings_for_richie(with_mitxonline: bool, tmp_path: Path) -> None:
    https_mitx = {**MITXONLINE, "LMSBRIDGE_MITXONLINE_URL": "https://mitxonline.example.com"}
    config = combine(https_mitx, OLD_RICHIE) if with_mitxonline else OLD_RICHIE
    expected_key = plan(config).lms.edx_api_key
    assert expected_key
    for mode, s in settings_of(tmp_path, config).items():
        assert "https://richie.local.openedx.io" in s["CORS_ORIGIN_WHITELIST"], mode
        assert "https://richie.local.openedx.io" in s["CSRF_TRUSTED_ORIGINS"]
        assert "richie.local.openedx.io" in s["LOGIN_REDIRECT_WHITELIST"]
        assert s["ENABLE_CORS_HEADERS"] is True
        assert s["CORS_ALLOW_CREDENTIALS"] is True
        assert s["ENABLE_CROSS_DOMAIN_CSRF_COOKIE"] is True
        assert s["CROSS_DOMAIN_CSRF_COOKIE_NAME"] == "edx_csrf_token"
        assert s["CROSS_DOMAIN_CSRF_COOKIE_DOMAIN"] == ".openedx.io"
        assert s["EDX_API_KEY"] == expected_key
        assert s["LMSBRIDGE_RICHIE_URL"] == "https://richie.local.openedx.io"
        if with_mitxonline:
            assert s["AUTHENTICATION_BACKENDS"][0] == "ol_social_auth.backends.OLOAuth2"
            assert s["MITX_REDIRECT_ENABLED"] is True
        else:
            assert s["MITX_REDIRECT_ENABLED"] is False  # no identity provider connected


def test_no_edx_api_key_by_default(tmp_path: Path) -> None:
    """Richie 2.0.0-beta.17 and later call nothing with it: nothing renders EDX_API_KEY, nothing
    exports API_TOKEN, and the catalog works the same otherwise."""
    p = plan(RICHIE)
    assert p.lms.edx_api_key is None
    (entry,) = credential_items(p, p.bridge.apps[0], dev=False)["RICHIE_LMS_BACKENDS"]
    assert "API_TOKEN" not in entry
    token = plan(OLD_RICHIE).lms.edx_api_key
    assert token
    env = render_env(
        tmp_path, {**RICHIE, **HTTPS, "LMSBRIDGE_SECRET_SEED": PLATFORM["LMSBRIDGE_SECRET_SEED"]}
    )
    rendered = "\n".join(path.read_text() for path in env.rglob("*") if path.is_file())
    assert token not in rendered
    for mode in ("production", "development"):
        s = load_lms_settings(env, mode, tmp_path)
        assert s.get("EDX_API_KEY") is None, mode  # the plugin leaves it unset
        assert s["ENABLE_CROSS_DOMAIN_CSRF_COOKIE"] is True


def test_api_key_on_is_a_warning() -> None:
    bridge = read_bridge({**PLATFORM, **HTTPS, **OLD_RICHIE})
    ((key, message),) = bridge.warnings
    assert key == "LMSBRIDGE_RICHIE_API_KEY"
    assert "set it to false unless your Richie is older" in message
    # A token set while API_KEY is off: named, and still not rendered.
    unused = read_bridge({**PLATFORM, **HTTPS, **RICHIE, "LMSBRIDGE_RICHIE_API_TOKEN": "abc123"})
    assert [key for key, _ in unused.warnings] == ["LMSBRIDGE_RICHIE_API_TOKEN"]
    assert build_plan(unused).lms.edx_api_key is None


def test_studio_settings_carry_the_course_sync(tmp_path: Path) -> None:
    loaded = settings_of(tmp_path, RICHIE, service="cms")
    expected = [sync._asdict() for sync in plan(RICHIE).course_sync]
    assert expected[0]["url"] == "http://richie:8000/api/v1.0/course-runs-sync/"  # internal URL
    for s in loaded.values():
        assert s["LMSBRIDGE_COURSE_SYNC"] == expected
    # Studio's LMS_ROOT_URL, read by the in-image code at run time, differs per mode.
    assert loaded["production"]["LMS_ROOT_URL"] == "https://local.openedx.io"


def test_no_course_sync_when_turned_off(tmp_path: Path) -> None:
    loaded = settings_of(tmp_path, {**RICHIE, "LMSBRIDGE_RICHIE_SYNC": False}, service="cms")
    assert "LMSBRIDGE_COURSE_SYNC" not in loaded["production"]


def test_warnings_when_the_browser_will_drop_the_csrf_cookie() -> None:
    elsewhere = read_bridge(
        {**PLATFORM, **HTTPS, **RICHIE, "LMSBRIDGE_RICHIE_URL": "https://catalog.example.org"}
    )
    assert [key for key, _ in elsewhere.warnings] == ["LMSBRIDGE_RICHIE_CSRF_COOKIE_DOMAIN"]
    assert "catalog.example.org (richie) is not under .openedx.io" in elsewhere.warnings[0][1]
    no_https = read_bridge(
        {**PLATFORM, **RICHIE, "LMSBRIDGE_RICHIE_URL": "http://richie.local.openedx.io"}
    )
    assert [key for key, _ in no_https.warnings] == ["ENABLE_HTTPS"]
    assert read_bridge({**PLATFORM, **HTTPS, **RICHIE}).warnings == ()


# ---- what Richie gets ---------------------------------------------------------------------


def test_exported_backend_entry_and_secrets() -> None:
    p = plan(OLD_RICHIE, LMSBRIDGE_RICHIE_SYNC_SECRETS=["new-secret", "old-secret"])
    items = credential_items(p, p.bridge.apps[0], dev=False)
    (entry,) = items["RICHIE_LMS_BACKENDS"]
    assert entry == {
        "BASE_URL": "https://local.openedx.io",
        "BACKEND": "richie.apps.courses.lms.edx.EdXLMSBackend",
        "COURSE_REGEX": r"^https://local\.openedx\.io/courses/(?P<course_id>[^/]+)/course/?$",
        "JS_BACKEND": "openedx-hawthorn",
        "JS_COURSE_REGEX": r"^https://local\.openedx\.io/courses/([^/]+)/course/?$",
        "JS_NEXT_URL": "richie",
        "DEFAULT_COURSE_RUN_SYNC_MODE": "sync_to_public",
        "COURSE_RUN_SYNC_NO_UPDATE_FIELDS": [],
        "API_TOKEN": p.lms.edx_api_key,
    }
    assert items["RICHIE_COURSE_RUN_SYNC_SECRETS"] == ["new-secret", "old-secret"]
    # The first secret signs; Richie accepts any of the list (rotation).
    assert p.course_sync[0].secret == "new-secret"
    dev = credential_items(p, p.bridge.apps[0], dev=True)["RICHIE_LMS_BACKENDS"][0]
    assert (
        dev["COURSE_REGEX"]
        == r"^http://local\.openedx\.io:8000/courses/(?P<course_id>[^/]+)/course/?$"
    )


def test_optional_oauth2_login_client_for_richie() -> None:
    p = plan(RICHIE, LMSBRIDGE_RICHIE_OAUTH2_CLIENT=True)
    (application,) = p.applications
    # Richie <= 2.14 serves social-auth under oauth/ (openfun/richie v2.14.1 sandbox/urls.py).
    assert application.redirect_uris == (
        "https://richie.local.openedx.io/oauth/complete/edx-oauth2/",
    )
    assert p.tokens == ()  # a login client, not an API caller
    items = credential_items(p, p.bridge.apps[0], dev=False)
    assert items["SOCIAL_AUTH_EDX_OAUTH2_KEY"] == "lmsbridge-richie"
    assert items["SOCIAL_AUTH_EDX_OAUTH2_ENDPOINT"] == "https://local.openedx.io/oauth2"
    assert plan(RICHIE).applications == ()


class RecordingBackend:
    """Stands for Richie's EdXLMSBackend (whose import needs django-cms)."""

    def __init__(self, configuration: dict[str, Any]) -> None:
        self.configuration = configuration


@pytest.mark.parametrize("dev", [False, True])
def test_resource_link_routes_to_this_lms_among_several(dev: bool, django_ready: None) -> None:
    """Richie's own LMSHandler.select_lms picks the first entry whose COURSE_REGEX matches."""
    from django.test.utils import override_settings
    from lmsbridge_openedx import sync as in_image_sync
    from richie.apps.courses.lms import LMSHandler

    p = plan(RICHIE)
    lms_url = p.bridge.platform.lms_url(dev)
    ours = {**credential_items(p, p.bridge.apps[0], dev)["RICHIE_LMS_BACKENDS"][0]}
    other = {
        "BACKEND": "tests.test_richie.RecordingBackend",
        "COURSE_REGEX": r"^https://lms\.other\.org/courses/(?P<course_id>[^/]+)/course/?$",
    }
    ours["BACKEND"] = "tests.test_richie.RecordingBackend"
    run = in_image_sync.course_run(lms_url, COURSE_ID, types.SimpleNamespace(), "en")
    assert re.match(course_regex(lms_url), run["resource_link"])
    with override_settings(RICHIE_LMS_BACKENDS=[other, ours]):
        chosen = LMSHandler.select_lms(run["resource_link"])
        assert chosen.configuration is ours
        assert (
            LMSHandler.select_lms("https://lms.other.org/courses/x/course/").configuration is other
        )
        assert LMSHandler.select_lms("https://evil.example/courses/x/course/") is None


# ---- the in-image course-run sync ---------------------------------------------------------


class RichieSyncHandler(BaseHTTPRequestHandler):
    """Richie's course-runs-sync endpoint: the signature is checked with richie's own
    get_signature against every secret of RICHIE_COURSE_RUN_SYNC_SECRETS."""

    secrets: ClassVar[list[str]] = []
    received: ClassVar[list[Any]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        message = body.decode("utf-8")
        authorization = self.headers.get("Authorization", "")
        valid = any(authorization == get_signature(message, secret) for secret in self.secrets)
        if self.path != "/api/v1.0/course-runs-sync/":
            status = 404
        elif not valid:
            status = 401
        else:
            status = 200
            self.received.append(json.loads(message))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextmanager
def richie_server(secrets: list[str]) -> Iterator[tuple[str, list[Any]]]:
    class Handler(RichieSyncHandler):
        pass

    Handler.secrets = secrets
    Handler.received = []
    handler = Handler
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_publish_sends_a_signed_course_run_that_richie_accepts(
    worker: StepWorker, fake_modulestore: list[Any]
) -> None:
    from django.test.utils import override_settings
    from lmsbridge_openedx import receivers

    fake_modulestore.append(Course())
    secrets = list(
        plan(RICHIE, LMSBRIDGE_RICHIE_SYNC_SECRETS=["current", "previous"])
        .bridge.apps[0]
        .catalog.sync_secrets
    )
    with richie_server(secrets) as (base, received):
        targets = sync_targets(base, LMSBRIDGE_RICHIE_SYNC_SECRETS=["current", "previous"])
        with override_settings(LMSBRIDGE_COURSE_SYNC=targets):
            receivers.course_published(sender=None, course_key=COURSE_ID)
            assert received == []  # queued, not sent: Studio's worker sends it
            assert worker.run() == 1
    assert received == [
        {
            "resource_link": f"https://local.openedx.io/courses/{COURSE_ID}/course/",
            "start": "2030-01-01T00:00:00+00:00",
            "end": "2030-06-01T00:00:00+00:00",
            "enrollment_start": "2029-12-01T00:00:00+00:00",
            "enrollment_end": None,
            "languages": ["fr"],
            "enrollment_count": 0,  # no learner yet (tests/test_enrollment_counts.py)
        }
    ]
    exported = plan(RICHIE).bridge.platform.lms_url(False)
    assert re.match(course_regex(exported), received[0]["resource_link"])


def test_rotation_richie_still_accepts_the_previous_secret(
    worker: StepWorker, fake_modulestore: list[Any]
) -> None:
    from django.test.utils import override_settings
    from lmsbridge_openedx import receivers

    fake_modulestore.append(Course())
    # Open edX still signs with the old secret while Richie already lists the new one first.
    with richie_server(["new-secret", "old-secret"]) as (base, received):
        targets = sync_targets(base, LMSBRIDGE_RICHIE_SYNC_SECRETS=["old-secret"])
        with override_settings(LMSBRIDGE_COURSE_SYNC=targets):
            receivers.course_published(sender=None, course_key=COURSE_ID)
            worker.run()
    assert len(received) == 1


def test_full_sync_command_sends_batches(studio: None, fake_modulestore: list[Any]) -> None:
    from django.core.management import CommandError, call_command
    from django.test.utils import override_settings

    fake_modulestore.extend(Course(n) for n in range(1, 121))
    with richie_server(["s"]) as (base, received):
        with override_settings(
            LMSBRIDGE_COURSE_SYNC=sync_targets(base, LMSBRIDGE_RICHIE_SYNC_SECRETS=["s"])
        ):
            call_command("lmsbridge_sync_courses")
        assert [len(batch) for batch in received] == [10] * 12
        bad = sync_targets(base, LMSBRIDGE_RICHIE_SYNC_SECRETS=["not-s"])
        with (
            override_settings(LMSBRIDGE_COURSE_SYNC=bad),
            pytest.raises(CommandError, match=r"failed for richie \(120 not delivered\)"),
        ):
            call_command("lmsbridge_sync_courses")


def test_richie_redirect_on_the_lms(studio: None) -> None:
    from django.test import Client
    from django.test.utils import override_settings

    with override_settings(LMSBRIDGE_RICHIE_URL="https://richie.local.openedx.io"):
        response = Client().get("/richie/en/courses/demo/?utm=1")
    assert response.status_code == 302
    assert response["Location"] == "https://richie.local.openedx.io/en/courses/demo/?utm=1"
    with override_settings(LMSBRIDGE_RICHIE_URL=None):
        assert Client().get("/richie/x").status_code == 404


def test_plugin_app_declares_what_edx_platform_reads() -> None:
    from lmsbridge_openedx.apps import LmsBridgeOpenedxConfig

    config = LmsBridgeOpenedxConfig.plugin_app
    receiver = config["signals_config"]["cms.djangoapp"]["receivers"][0]
    assert receiver["signal_path"] == "xmodule.modulestore.django.COURSE_PUBLISHED"
    from lmsbridge_openedx import receivers

    assert callable(getattr(receivers, receiver["receiver_func_name"]))
    assert config["url_config"]["lms.djangoapp"]["regex"] == r"^richie/"


def test_in_image_files_reach_the_build_context_verbatim(tmp_path: Path) -> None:
    enable_lmsbridge(tmp_path)
    run_tutor(tmp_path, "config", "save", *set_args(RICHIE))
    env = tmp_path / "env"
    source = Path(__file__).parent.parent / "tutor_lmsbridge" / "openedx_app"
    rendered = env / "build/openedx/lmsbridge/image/openedx_plugin"
    files = [p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert len(files) >= 9
    for path in files:
        assert (rendered / path.relative_to(source)).read_bytes() == path.read_bytes(), path
    requirements = (env / "build/openedx/lmsbridge/image/requirements.txt").read_text()
    assert "/openedx/lmsbridge/openedx_plugin" in requirements.splitlines()
