"""Seed course pages into a copy of the migrated template database, then serve Richie.

Run with this directory's own interpreter (``.venv/bin/python serve.py HOST PORT CODE...``),
with ``RICHIE_SITE_DB`` (the copy) and ``LMSBRIDGE_RICHIE_SETTINGS`` (the credentials block)
in the environment. Each CODE becomes a published Richie course page, created the way Richie's
own helper creates pages (richie/apps/core/helpers.py ``create_i18n_page``) with the course
template, plus its ``Course`` extension whose ``code`` is what Richie's sync looks a run's
course up by (richie/apps/courses/api.py ``sync_course_run``: the course part of the course
key, through the LMS backend's ``extract_course_code`` and ``normalize_code``). Prints
``READY`` once it listens, for tests/e2e/process.py.
"""

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lmsbridge_richie_site.settings")


def seed(codes: list[str]) -> None:
    from richie.apps.core.helpers import create_i18n_page
    from richie.apps.courses.models import Course
    from richie.apps.courses.utils import normalize_code

    for code in codes:
        if Course.objects.filter(code=normalize_code(code)).exists():
            continue
        page = create_i18n_page(
            {"en": f"Course {code}", "fr": f"Cours {code}"},
            template="courses/cms/course_detail.html",
        )
        Course.objects.create(extended_object=page, code=normalize_code(code))
        for language in ("en", "fr"):
            page.publish(language)


def main() -> None:
    host, port, *codes = sys.argv[1:]
    import django

    django.setup()
    seed(codes)
    from socketserver import ThreadingMixIn

    from django.core.servers.basehttp import (
        WSGIRequestHandler,
        WSGIServer,
        get_internal_wsgi_application,
    )

    class Server(ThreadingMixIn, WSGIServer):  # type: ignore[misc]
        daemon_threads = True

    server = Server((host, int(port)), WSGIRequestHandler)
    server.set_app(get_internal_wsgi_application())
    print("READY", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
