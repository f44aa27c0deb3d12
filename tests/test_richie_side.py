"""Richie's side, as `tutor lmsbridge credentials <richie app>` prints it (issue #22): a Python
settings block by default, the environment variables Richie's sandbox settings read with
``--format env``, everything with ``--format json``. The e2e test (tests/e2e/
test_richie_catalog.py) runs a real Richie on the default block."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tutor_lmsbridge.core.errors import ConfigError
from tutor_lmsbridge.core.pipeline import plan_for
from tutor_lmsbridge.core.read_bridge import read_bridge
from tutor_lmsbridge.output.reports import credentials

from .support.samples import MITXONLINE, PLATFORM, RICHIE

HTTPS = {"ENABLE_HTTPS": True}
LMS = "https://local.openedx.io"
# Every key of a RICHIE_LMS_BACKENDS entry Richie 3.5.1 reads for an edX LMS: richie/apps/
# courses/lms/__init__.py (BACKEND, COURSE_REGEX), lms/base.py (DEFAULT_COURSE_RUN_SYNC_MODE),
# api.py (COURSE_RUN_SYNC_NO_UPDATE_FIELDS), apps/core/context_processors.py (BASE_URL,
# JS_BACKEND, JS_COURSE_REGEX, JS_NEXT_URL); API_TOKEN only for a Richie older than 2.0.0-beta.17.
RICHIE_ENTRY_KEYS = {
    "BASE_URL",
    "BACKEND",
    "COURSE_REGEX",
    "JS_BACKEND",
    "JS_COURSE_REGEX",
    "JS_NEXT_URL",
    "DEFAULT_COURSE_RUN_SYNC_MODE",
    "COURSE_RUN_SYNC_NO_UPDATE_FIELDS",
}


def printed(output: str, **config: Any) -> str:
    return credentials(plan_for({**PLATFORM, **HTTPS, **RICHIE, **config}), "richie", output)


def settings_block(**config: Any) -> dict[str, Any]:
    """The default text, executed as a settings module would."""
    namespace: dict[str, Any] = {}
    exec(printed("text", **config), namespace)  # noqa: S102 (our own output, as Richie runs it)
    return {key: value for key, value in namespace.items() if key.isupper()}


def test_default_text_is_the_python_settings_block() -> None:
    assert printed("text") == printed("python")
    block = settings_block()
    assert set(block) == {
        "RICHIE_LMS_BACKENDS",
        "RICHIE_COURSE_RUN_SYNC_SECRETS",
        "RICHIE_AUTHENTICATION_DELEGATION",
        "SECURE_REFERRER_POLICY",
    }
    (entry,) = block["RICHIE_LMS_BACKENDS"]
    assert set(entry) == RICHIE_ENTRY_KEYS
    assert entry["JS_NEXT_URL"] == "richie"
    assert re.match(entry["COURSE_REGEX"], f"{LMS}/courses/course-v1:a+b+c/course/")
    delegation = block["RICHIE_AUTHENTICATION_DELEGATION"]
    assert delegation["BASE_URL"] == LMS
    assert delegation["BACKEND"] == "openedx-hawthorn"
    # Richie formats each href with BASE_URL (context_processors.site_metas).
    hrefs = {k: v["href"].format(base_url=LMS) for k, v in delegation["PROFILE_URLS"].items()}
    assert hrefs["dashboard"] == f"{LMS}/dashboard/"
    assert block["SECURE_REFERRER_POLICY"] == "strict-origin-when-cross-origin"


def test_other_apps_keep_their_env_text() -> None:
    plan = plan_for({**PLATFORM, **MITXONLINE})
    assert credentials(plan, "mitxonline", "text") == credentials(plan, "mitxonline", "env")


def env_values(text: str) -> dict[str, str]:
    """A Compose .env as Compose reads it: KEY=value, single quotes literal, # comments."""
    values = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        if value.startswith("'"):
            assert value.endswith("'"), line
            assert value.count("'") == 2, line
            value = value[1:-1]
        else:
            assert re.fullmatch(r"[A-Za-z0-9_./:@-]*", value), line
        values[name] = value
    return values


def test_env_holds_only_what_richies_sandbox_reads_in_its_syntax() -> None:
    """openfun/richie sandbox/settings.py: values.Value with environ_name (no prefix) for the
    edX entry and the delegation, ListValue (comma-separated) and DictValue (a Python literal)
    for the class-level settings, under DJANGO_<setting>."""
    block = settings_block(LMSBRIDGE_RICHIE_SYNC_SECRETS=["new-secret", "old-secret"])
    text = printed("env", LMSBRIDGE_RICHIE_SYNC_SECRETS=["new-secret", "old-secret"])
    env = env_values(text)
    (entry,) = block["RICHIE_LMS_BACKENDS"]
    delegation = block["RICHIE_AUTHENTICATION_DELEGATION"]
    assert env == {
        "EDX_BASE_URL": entry["BASE_URL"],
        "EDX_BACKEND": entry["BACKEND"],
        "EDX_COURSE_REGEX": entry["COURSE_REGEX"],
        "EDX_JS_BACKEND": entry["JS_BACKEND"],
        "EDX_JS_COURSE_REGEX": entry["JS_COURSE_REGEX"],
        "EDX_JS_NEXT_URL": entry["JS_NEXT_URL"],
        "DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS": "new-secret,old-secret",
        "AUTHENTICATION_BASE_URL": delegation["BASE_URL"],
        "AUTHENTICATION_BACKEND": delegation["BACKEND"],
        "AUTHENTICATION_PROFILE_URLS": env["AUTHENTICATION_PROFILE_URLS"],
    }
    # As django-configurations parses them.
    secrets = env["DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS"].split(",")
    assert secrets == block["RICHIE_COURSE_RUN_SYNC_SECRETS"]
    assert ast.literal_eval(env["AUTHENTICATION_PROFILE_URLS"]) == delegation["PROFILE_URLS"]
    # What the environment cannot carry is said, not dropped silently.
    assert "SECURE_REFERRER_POLICY = 'strict-origin-when-cross-origin'" in text


def test_json_prints_everything() -> None:
    data = json.loads(printed("json"))
    assert data["settings"] == settings_block()
    assert data["env"] == env_values(printed("env"))


@pytest.mark.parametrize(
    ("secret", "problem"), [("a,b", "comma"), ("it's", "single quote")], ids=["comma", "quote"]
)
def test_a_secret_env_cannot_carry_is_one_line(secret: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        printed("env", LMSBRIDGE_RICHIE_SYNC_SECRETS=[secret])
    line = caught.value.line("lmsbridge-set")
    assert "LMSBRIDGE_RICHIE_SYNC_SECRETS" in line
    assert problem in line
    assert "--format python" in line
    assert secret not in line
    assert "\n" not in line
    assert settings_block(LMSBRIDGE_RICHIE_SYNC_SECRETS=[secret])[
        "RICHIE_COURSE_RUN_SYNC_SECRETS"
    ] == [secret]  # the Python block carries it


def test_legacy_oauth2_login_is_for_richie_before_2_15() -> None:
    bridge = read_bridge({**PLATFORM, **HTTPS, **RICHIE, "LMSBRIDGE_RICHIE_OAUTH2_CLIENT": True})
    messages = dict(bridge.warnings)
    assert "2.14" in messages["LMSBRIDGE_RICHIE_OAUTH2_CLIENT"]
    assert "RICHIE_AUTHENTICATION_DELEGATION" in messages["LMSBRIDGE_RICHIE_OAUTH2_CLIENT"]
    block = settings_block(LMSBRIDGE_RICHIE_OAUTH2_CLIENT=True)
    assert block["SOCIAL_AUTH_EDX_OAUTH2_ENDPOINT"] == f"{LMS}/oauth2"
    env = env_values(printed("env", LMSBRIDGE_RICHIE_OAUTH2_CLIENT=True))
    assert env["DJANGO_SOCIAL_AUTH_EDX_OAUTH2_KEY"] == block["SOCIAL_AUTH_EDX_OAUTH2_KEY"]
    assert "LMSBRIDGE_RICHIE_OAUTH2_CLIENT" not in dict(
        read_bridge({**PLATFORM, **RICHIE}).warnings
    )


def test_richie_gets_no_logout_page() -> None:
    """Richie keeps no learner session and has no /logout (the e2e test asks a real one)."""
    plan = plan_for({**PLATFORM, **HTTPS, **RICHIE})
    assert plan.lms.logout_urls == []
    # An operator with a Richie that has one can still name it.
    url = "https://richie.local.openedx.io/en/accounts/logout/"
    plan = plan_for({**PLATFORM, **HTTPS, **RICHIE, "LMSBRIDGE_RICHIE_LOGOUT_URL": url})
    assert plan.lms.logout_urls == [url]


# ---- the payload (lmsbridge_openedx/richie_payload.py) -----------------------------------


def openedx_course(**fields: Any) -> Any:
    import types
    from datetime import datetime, timezone

    defaults: dict[str, Any] = {
        "start": datetime(2030, 1, 1, tzinfo=timezone.utc),
        "end": None,
        "enrollment_start": None,
        "enrollment_end": None,
        "language": None,
        "catalog_visibility": "both",
    }
    return types.SimpleNamespace(**{**defaults, **fields})


def test_enrollment_start_falls_back_to_the_course_start() -> None:
    from lmsbridge_openedx.richie_payload import course_run

    run = course_run(LMS, "course-v1:a+b+c", openedx_course(), "en")
    assert run["enrollment_start"] == run["start"] == "2030-01-01T00:00:00+00:00"
    kept = openedx_course(enrollment_start=openedx_course().start.replace(month=2))
    assert course_run(LMS, "course-v1:a+b+c", kept, "en")["enrollment_start"].startswith("2030-02")
    assert course_run(LMS, "x", openedx_course(start=None), "en")["enrollment_start"] is None


@pytest.mark.parametrize(
    ("openedx", "richie"),
    [("both", "course_and_search"), ("about", "course_only"), ("none", "hidden")],
)
def test_catalog_visibility_comes_from_the_course(openedx: str, richie: str) -> None:
    from lmsbridge_openedx.richie_payload import course_run

    run = course_run(LMS, "course-v1:a+b+c", openedx_course(catalog_visibility=openedx), "en")
    assert run["catalog_visibility"] == richie


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("es-419", "es"),
        ("pt-pt", "pt"),
        ("pt_PT", "pt"),
        ("fr-ca", "fr"),
        ("zh-cn", "zh-hans"),
        ("zh_TW", "zh-hant"),
        ("en-us", "en"),
        ("en-uk", "en-gb"),
        ("pt-br", "pt-br"),
        ("es-mx", "es-mx"),
        ("de-de", "de"),
        ("en@lolcat", None),
        ("fil", None),
    ],
)
def test_builtin_language_mapping(code: str, expected: str | None) -> None:
    from lmsbridge_openedx.richie_payload import richie_language

    assert richie_language(code, {}) == expected


def test_the_catalogs_own_mapping_comes_first(caplog: pytest.LogCaptureFixture) -> None:
    from lmsbridge_openedx.richie_payload import course_run, for_catalog

    overrides = {"es-419": "es-419", "fil": "tl"}
    run = course_run(LMS, "course-v1:a+b+c", openedx_course(language="es_419"), "fr")
    assert run["languages"] == ["es_419", "fr"]  # the course's, then the platform's
    target = {"app": "richie", "languages": overrides}
    assert for_catalog(target, run)["languages"] == ["es-419"]
    assert for_catalog({"app": "richie"}, run)["languages"] == ["es"]
    # Unknown: named in one line, and the platform's language goes instead.
    unknown = course_run(LMS, "course-v1:a+b+c", openedx_course(language="en@pirate"), "fr")
    with caplog.at_level("WARNING"):
        (sent,) = for_catalog({"app": "fun"}, [unknown])
    assert sent["languages"] == ["fr"]
    (line,) = [r.getMessage() for r in caplog.records]
    assert "'en@pirate' is not one of Richie's codes" in line
    assert "course-v1:a+b+c" in line
    assert "LMSBRIDGE_FUN_LANGUAGES={en@pirate: <code>}" in line
    # Nothing maps: the field is left out (an update keeps Richie's).
    nothing = course_run(LMS, "x", openedx_course(language="en@pirate"), "en@lolcat")
    assert "languages" not in for_catalog({"app": "richie"}, nothing)


def test_languages_key_reaches_studio_and_is_validated() -> None:
    plan = plan_for({**PLATFORM, **RICHIE, "LMSBRIDGE_RICHIE_LANGUAGES": {"es-419": "es-419"}})
    assert plan.cms_settings_data()[0]["languages"] == {"es-419": "es-419"}
    assert plan_for({**PLATFORM, **RICHIE}).cms_settings_data()[0]["languages"] == {}
    for bad in ({"es-419": "es 419"}, {"x": "es"}, {"es": "import os"}):
        with pytest.raises(ConfigError) as caught:
            plan_for({**PLATFORM, **RICHIE, "LMSBRIDGE_RICHIE_LANGUAGES": bad})
        line = caught.value.line("lmsbridge-set")
        assert line.startswith("LMSBRIDGE_RICHIE_LANGUAGES")
        assert "not a language code" in line
        assert "\n" not in line


def test_the_docs_richie_recipe_gives_richie_its_settings(tmp_path: Path) -> None:
    """docs/recipes.rst's Richie section, run on a fresh root (tests/test_docs_commands.py
    runs every command; this checks what its `credentials richie` hands Richie)."""
    from .support.doc_commands import commands, page
    from .support.tutor_helpers import run_tutor

    text = page("docs/recipes.rst")
    section = text[text.index("\nRichie\n------") :]
    words = commands(section)
    (recipe,) = [w for w in words if w[:3] == ["tutor", "lmsbridge", "set"]]
    assert ["tutor", "lmsbridge", "credentials", "richie"] in words
    run_tutor(tmp_path, "plugins", "enable", "lmsbridge")
    run_tutor(tmp_path, *recipe[1:])
    check = run_tutor(tmp_path, "lmsbridge", "check").stdout
    assert check.splitlines()[-1].startswith("0 error(s)")
    namespace: dict[str, Any] = {}
    exec(run_tutor(tmp_path, "lmsbridge", "credentials", "richie").stdout, namespace)  # noqa: S102
    (entry,) = namespace["RICHIE_LMS_BACKENDS"]
    assert entry["BASE_URL"] == namespace["RICHIE_AUTHENTICATION_DELEGATION"]["BASE_URL"]
    assert re.match(entry["COURSE_REGEX"], f"{entry['BASE_URL']}/courses/course-v1:a+b+c/course/")
    assert namespace["SECURE_REFERRER_POLICY"] == "strict-origin-when-cross-origin"
    assert namespace["RICHIE_COURSE_RUN_SYNC_SECRETS"]


def test_a_second_catalog_brings_learners_back_to_itself() -> None:
    """JS_NEXT_URL: the LMS's /richie/<path> redirects to the first catalog only."""
    second = {
        "LMSBRIDGE_APPS": ["richie", "fun"],
        "LMSBRIDGE_FUN_PRESET": "richie",
        "LMSBRIDGE_FUN_URL": "https://fun.local.openedx.io",
    }
    plan = plan_for({**PLATFORM, **HTTPS, **RICHIE, **second})
    assert plan.lms.richie_url == "https://richie.local.openedx.io"
    entries = {
        app: json.loads(credentials(plan, app, "json"))["settings"]["RICHIE_LMS_BACKENDS"][0]
        for app in ("richie", "fun")
    }
    assert entries["richie"]["JS_NEXT_URL"] == "richie"
    assert entries["fun"]["JS_NEXT_URL"] == "https://fun.local.openedx.io"
