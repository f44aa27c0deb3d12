"""Mounted by edx-platform under ^richie/ (see apps.py)."""

from django.urls import re_path

from . import views

app_name = "lmsbridge"
urlpatterns = [re_path(r"^(?P<path>.*)$", views.richie_redirect, name="richie")]
