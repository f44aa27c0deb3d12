"""The few LMS pages the round trips visit."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape
from oauth2_provider.oauth2_backends import OAuthLibCore


@login_required  # type: ignore[untyped-decorator]
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    profile = getattr(user, "profile", None)
    name = f" ({escape(profile.name)})" if profile is not None and profile.name else ""
    return HttpResponse(
        f"Dashboard. Logged in as {escape(user.username)} <{escape(user.email)}>{name}"
    )


def saml_metadata(request: HttpRequest) -> HttpResponse:
    """edx-platform's third_party_auth.views.saml_metadata_view
    (common/djangoapps/third_party_auth/views.py): the SP metadata of the configuration that
    the provider named by ?tpa_hint= points to (else "default"), 404 while that
    configuration is not enabled for the request's Site (edx's request.site, which its
    CurrentSiteMiddleware sets to Site.objects.get_current(request))."""
    from django.contrib.sites.models import Site
    from django.http import Http404, HttpResponseServerError
    from django.urls import reverse
    from social_django.utils import load_backend, load_strategy

    from tests.edx_standin.third_party_auth.models import SAMLConfiguration, SAMLProviderConfig

    idp_slug = request.GET.get("tpa_hint")
    slug = "default"
    if idp_slug:
        provider = SAMLProviderConfig.current(idp_slug)
        if provider.saml_configuration:
            slug = provider.saml_configuration.slug
    if not SAMLConfiguration.is_enabled(Site.objects.get_current(request), slug):
        raise Http404
    complete_url = reverse("social:complete", args=("tpa-saml",))
    if settings.APPEND_SLASH and not complete_url.endswith("/"):
        complete_url += "/"
    backend = load_backend(load_strategy(request), "tpa-saml", redirect_uri=complete_url)
    metadata, errors = backend.generate_metadata_xml(idp_slug)
    if errors:
        return HttpResponseServerError(", ".join(errors))
    return HttpResponse(metadata, content_type="text/xml")


def local_login(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Local login (break glass)")


def logout(request: HttpRequest) -> HttpResponse:
    """edx-platform's LogoutView (openedx/core/djangoapps/user_authn/views/logout.py): the
    provider's logout URL is read before the session ends; with TPA_AUTOMATIC_LOGOUT_ENABLED
    and a URL, the page's target is that URL (its template sends the browser there: here a
    redirect). Otherwise the page logs out of every IDA_LOGOUT_URI_LIST entry (here listed
    as JSON)."""
    from django.contrib.auth import logout as django_logout
    from django.http import HttpResponseRedirect

    from tests.edx_standin.third_party_auth.pipeline import (
        get_idp_logout_url_from_running_pipeline,
    )

    tpa_logout_url = get_idp_logout_url_from_running_pipeline(request)
    django_logout(request)
    if getattr(settings, "TPA_AUTOMATIC_LOGOUT_ENABLED", False) and tpa_logout_url:
        return HttpResponseRedirect(tpa_logout_url)
    return JsonResponse({"logout_uris": settings.IDA_LOGOUT_URI_LIST})


def me(request: HttpRequest) -> HttpResponse:
    """A bearer-token API, as the MIT apps call Open edX's."""
    valid, oauth_request = OAuthLibCore().verify_request(request, scopes=["read"])
    if not valid:
        return JsonResponse({"detail": "invalid token"}, status=401)
    user = oauth_request.user
    return JsonResponse({"username": user.username, "is_staff": user.is_staff})
