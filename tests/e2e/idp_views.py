"""Views of the identity provider stand-in."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, login
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.utils.html import escape
from oauth2_provider.oauth2_backends import OAuthLibCore

BROWSER_PATHS = ("/login/", "/oauth2/authorize/")
INTERNAL_PATHS = ("/oauth2/token/", "/api/users/me")


def split_by_address(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[..., Any]:
    """Each path answers only on the address it belongs to (see idp_settings)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        address = request.META["SERVER_NAME"], int(request.META["SERVER_PORT"])
        host = request.get_host().split(":")[0]
        browser_host = settings.CONFIG["browser_host"]
        paths = BROWSER_PATHS if host == browser_host else INTERNAL_PATHS
        if not request.path.startswith(paths):
            return HttpResponseNotFound(f"{request.path} is not served on {host} ({address[1]})")
        return get_response(request)

    return middleware


def login_form(request: HttpRequest) -> HttpResponse:
    next_url = request.GET.get("next") or request.POST.get("next") or "/"
    if request.method == "POST":
        user = authenticate(
            request, username=request.POST.get("username"), password=request.POST.get("password")
        )
        if user is not None:
            login(request, user)
            return redirect(next_url)
    token = get_token(request)
    return HttpResponse(
        "<form method='post'>"
        f"<input type='hidden' name='csrfmiddlewaretoken' value='{token}'>"
        f"<input type='hidden' name='next' value='{escape(next_url)}'>"
        "<input name='username'><input name='password' type='password'></form>"
    )


def users_me(request: HttpRequest) -> HttpResponse:
    """What MITxOnline's api/users/me answers: the user behind the bearer token."""
    valid, oauth_request = OAuthLibCore().verify_request(request, scopes=["user:read"])
    if not valid:
        return JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
    user = oauth_request.user
    return JsonResponse({"username": user.username, "email": user.email, "name": user.first_name})
