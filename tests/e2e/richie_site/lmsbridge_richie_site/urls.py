"""URLs of the test Richie site: Richie's API as its sandbox mounts it (openfun/richie
``sandbox/urls.py``: ``api/v<version>/`` with the courses app's routes, among them
``course-runs-sync``; its accounts and CMS pages under a language prefix), and one read-only
views of the harness (``views.catalog``, ``views.frontend``)."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path, re_path
from richie.apps.courses.urls import urlpatterns as courses_urlpatterns

from . import views

API_PREFIX = r"v(?P<version>[0-9]+\.[0-9]+)"

urlpatterns = [
    re_path(rf"api/{API_PREFIX:s}/", include([*courses_urlpatterns])),
    path("lmsbridge-test/catalog/<str:code>/", views.catalog),
    path("lmsbridge-test/frontend/", views.frontend),
]
urlpatterns += i18n_patterns(
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("cms.urls")),
)
