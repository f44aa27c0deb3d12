"""LMS: /richie/<path> redirects to the same path on the Richie catalog."""

from typing import Any

from django.conf import settings
from django.http import Http404, HttpResponseRedirect


def richie_redirect(request: Any, path: str) -> HttpResponseRedirect:
    base = getattr(settings, "LMSBRIDGE_RICHIE_URL", None)
    if not base:
        raise Http404("No Richie catalog is connected.")
    target = f"{base.rstrip('/')}/{path}"
    query = request.META.get("QUERY_STRING", "")
    return HttpResponseRedirect(f"{target}?{query}" if query else target)
