"""URLs of the test LMS: the plugin app mounted the way edx-platform mounts plugin URLs."""

from django.urls import include, re_path

urlpatterns = [re_path(r"^richie/", include("lmsbridge_openedx.urls", namespace="lmsbridge"))]
