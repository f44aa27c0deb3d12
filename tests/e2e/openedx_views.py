"""The few LMS pages the round trips visit."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape
from oauth2_provider.oauth2_backends import OAuthLibCore


@login_required  # type: ignore[untyped-decorator]
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    return HttpResponse(f"Dashboard. Logged in as {escape(user.username)} <{escape(user.email)}>")


def local_login(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Local login (break glass)")


def logout(request: HttpRequest) -> HttpResponse:
    """edx-platform's logout page also logs out of every IDA_LOGOUT_URI_LIST entry."""
    return JsonResponse({"logout_uris": settings.IDA_LOGOUT_URI_LIST})


def me(request: HttpRequest) -> HttpResponse:
    """A bearer-token API, as the MIT apps call Open edX's."""
    valid, oauth_request = OAuthLibCore().verify_request(request, scopes=["read"])
    if not valid:
        return JsonResponse({"detail": "invalid token"}, status=401)
    user = oauth_request.user
    return JsonResponse({"username": user.username, "is_staff": user.is_staff})
