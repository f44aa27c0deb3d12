"""The course run Richie syncs, built from an Open edX course. No edx-platform import here.

This module owns what is sent (the payload); ``sync`` owns how it is sent (signature, POST,
delivery). ``sync.course_run`` stays importable as a re-export of :func:`course_run`.

What Richie 3.5 does with each field (richie/apps/courses/api.py ``sync_course_run``, its
``SyncCourseRunSerializer`` and ``CourseRun.compute_state`` in models/course.py), and what
FUN's own Open edX app, richie-openedx-sync, sends (fccn/richie-openedx-sync tasks.py, utils.py
and CHANGELOG 1.1.0-1.1.1):

- ``enrollment_start``: a run without one is "to be scheduled" for Richie, and left out of its
  search index; richie-openedx-sync falls back to the course start, so the run is open from
  its start. So do we.
- ``catalog_visibility``: Open edX's ``both``/``about``/``none`` (xmodule/course_block.py
  CATALOG_VISIBILITY_*) as Richie's ``course_and_search``/``course_only``/``hidden``
  (Richie's EdXLMSBackend maps them too, but another LMS backend class would not).
- ``languages``: Richie accepts only the codes of its ``ALL_LANGUAGES`` (Django's LANGUAGES by
  default), refuses the whole run otherwise, and requires one for a new run. A run built here
  lists Open edX's candidates (the course's language, then the platform's LANGUAGE_CODE, as
  richie-openedx-sync picks them); :func:`for_catalog` sends, per catalog and just before the
  run is signed, the first that maps to one of the catalog's codes, and logs by name each
  code that maps to none.
"""

import logging
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

log = logging.getLogger(__name__)

CATALOG_VISIBILITY = {"both": "course_and_search", "about": "course_only", "none": "hidden"}

# Richie 3.5.1's default ALL_LANGUAGES (richie/apps/core/defaults.py): the codes of Django
# 4.2's global LANGUAGES, which Richie 3.5.1 installs.
# fmt: off
RICHIE_LANGUAGES = frozenset((
    "af", "ar", "ar-dz", "ast", "az", "bg", "be", "bn", "br", "bs", "ca", "ckb", "cs", "cy",
    "da", "de", "dsb", "el", "en", "en-au", "en-gb", "eo", "es", "es-ar", "es-co", "es-mx",
    "es-ni", "es-ve", "et", "eu", "fa", "fi", "fr", "fy", "ga", "gd", "gl", "he", "hi", "hr",
    "hsb", "hu", "hy", "ia", "id", "ig", "io", "is", "it", "ja", "ka", "kab", "kk", "km", "kn",
    "ko", "ky", "lb", "lt", "lv", "mk", "ml", "mn", "mr", "ms", "my", "nb", "ne", "nl", "nn",
    "os", "pa", "pl", "pt", "pt-br", "ro", "ru", "sk", "sl", "sq", "sr", "sr-latn", "sv", "sw",
    "ta", "te", "tg", "th", "tk", "tr", "tt", "udm", "uk", "ur", "uz", "vi", "zh-hans",
    "zh-hant",
))
# fmt: on
# Open edX codes whose Richie code is not their base language (openedx/envs/common.py
# LANGUAGES: zh-cn, zh-hk, zh-tw, en-uk; Django names the scripts, not the regions).
LANGUAGE_ALIASES = {
    "zh-cn": "zh-hans",
    "zh-sg": "zh-hans",
    "zh-tw": "zh-hant",
    "zh-hk": "zh-hant",
    "zh-mo": "zh-hant",
    "en-uk": "en-gb",
}


def iso(value: Any) -> str | None:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return None


def resource_link(lms_root_url: str, course_id: str) -> str:
    """The course's URL on the LMS, which the exported COURSE_REGEX matches."""
    return f"{lms_root_url.rstrip('/')}/courses/{course_id}/course/"


def course_run(
    lms_root_url: str, course_id: str, course: Any, default_language: str
) -> dict[str, Any]:
    """The course-run fields Richie syncs, from a course (modulestore or overview) object.
    ``languages`` holds Open edX's candidates; :func:`for_catalog` gives each catalog its
    code."""
    languages = list(
        dict.fromkeys(filter(None, [getattr(course, "language", None), default_language]))
    )
    start = iso(getattr(course, "start", None))
    run = {
        "resource_link": resource_link(lms_root_url, course_id),
        "start": start,
        "end": iso(getattr(course, "end", None)),
        "enrollment_start": iso(getattr(course, "enrollment_start", None)) or start,
        "enrollment_end": iso(getattr(course, "enrollment_end", None)),
        "languages": languages,
    }
    visibility = CATALOG_VISIBILITY.get(getattr(course, "catalog_visibility", None) or "")
    if visibility is not None:
        run["catalog_visibility"] = visibility
    return run


def richie_language(code: str, overrides: Mapping[str, str]) -> str | None:
    """Richie's code for an Open edX one: the catalog's own mapping first, then the code
    itself, its alias or its base language if Richie lists it; None when nothing matches."""
    normal = code.strip().lower().replace("_", "-")
    for candidate in (code, normal):
        if candidate in overrides:
            return overrides[candidate]
    lowered = {name.lower().replace("_", "-"): value for name, value in overrides.items()}
    if normal in lowered:
        return lowered[normal]
    if normal in RICHIE_LANGUAGES:
        return normal
    if normal in LANGUAGE_ALIASES:
        return LANGUAGE_ALIASES[normal]
    base = normal.split("-", 1)[0]
    return base if base in RICHIE_LANGUAGES else None


def _for_catalog_run(target: Mapping[str, Any], run: Mapping[str, Any]) -> dict[str, Any]:
    overrides: Mapping[str, str] = target.get("languages") or {}
    chosen: str | None = None
    for code in run.get("languages") or []:
        chosen = richie_language(code, overrides)
        if chosen is not None:
            break
        app = str(target.get("app", "the catalog"))
        log.warning(
            "lmsbridge: course-run sync to %s: %s: language %r is not one of Richie's codes; "
            "map it with LMSBRIDGE_%s_LANGUAGES={%s: <code>}",
            app,
            run.get("resource_link"),
            code,
            app.upper(),
            code,
        )
    result = dict(run)
    if chosen is not None:
        result["languages"] = [chosen]
    else:
        # No candidate maps: an update keeps the run's languages (a partial update); Richie
        # refuses a new run, naming the field.
        result.pop("languages", None)
    return result


def for_catalog(target: Mapping[str, Any], payload: Any) -> Any:
    """A run (or a list of runs) as this catalog takes it: languages in its codes."""
    if isinstance(payload, list):
        return [_for_catalog_run(target, run) for run in payload]
    return _for_catalog_run(target, payload)
