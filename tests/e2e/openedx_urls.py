from django.contrib import admin
from django.urls import include, path

from . import openedx_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("auth/saml/metadata.xml", openedx_views.saml_metadata),
    path("auth/", include("social_django.urls", namespace="social")),
    path("oauth2/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("dashboard", openedx_views.dashboard),
    path("login", openedx_views.local_login),
    path("logout", openedx_views.logout),
    path("api/user/v1/me", openedx_views.me),
]
