from django.urls import include, path

from . import idp_views

urlpatterns = [
    path("login/", idp_views.login_form),
    path("oauth2/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("api/users/me", idp_views.users_me),
]
