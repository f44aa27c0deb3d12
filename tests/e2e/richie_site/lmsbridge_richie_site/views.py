"""What the catalog shows, computed by Richie's own code (the harness's two views).

``catalog``:
For the public page of the course with this code: each course run as Richie keeps it, with
``state`` from ``CourseRun.state`` (``compute_state``, richie/apps/courses/models/course.py)
and ``on_course_page`` from ``is_visible_on_course_page``; and ``search_runs``, the runs of the
document Richie's indexer builds for the catalog's search (richie/apps/search/indexers/
courses.py ``get_es_document_for_course``, which leaves out hidden runs and runs without a start
or an enrollment start).
"""

import json
from typing import Any

from django.http import HttpResponse, JsonResponse
from richie.apps.core.context_processors import FrontendContextProcessor, site_metas
from richie.apps.courses.models import Course
from richie.apps.search.indexers import ES_INDICES


def catalog(request: Any, code: str) -> HttpResponse:
    try:
        course = Course.objects.get(code=code.upper(), extended_object__publisher_is_draft=False)
    except Course.DoesNotExist:
        return HttpResponse(status=404)
    runs = []
    for run in course.course_runs.order_by("resource_link"):
        state = run.state
        runs.append(
            {
                "resource_link": run.resource_link,
                "start": run.start and run.start.isoformat(),
                "enrollment_start": run.enrollment_start and run.enrollment_start.isoformat(),
                "languages": list(run.languages),
                "catalog_visibility": run.catalog_visibility,
                "enrollment_count": run.enrollment_count,
                "state": str(state["text"]),
                "on_course_page": run.is_visible_on_course_page,
            }
        )
    document = ES_INDICES.courses.get_es_document_for_course(course)
    search_runs = [
        {
            "start": run["start"],
            "enrollment_start": run["enrollment_start"],
            "languages": list(run["languages"]),
        }
        for run in document["course_runs"]
    ]
    return JsonResponse(
        {"runs": runs, "search_runs": json.loads(json.dumps(search_runs, default=str))}
    )


def frontend(request: Any) -> JsonResponse:
    """What Richie hands its frontend about the LMS and the learner's session, from the
    settings the site was given: the LMS backends and authentication of
    ``FrontendContextProcessor`` and the profile links of ``site_metas``
    (richie/apps/core/context_processors.py)."""
    processor = FrontendContextProcessor()
    metas = site_metas(request)
    return JsonResponse(
        {
            "lms_backends": processor.get_lms_context(),
            "authentication": processor.get_authentication_context(),
            "profile_urls": json.loads(metas["AUTHENTICATION"]["profile_urls"]),
        }
    )
